"""The real-size protocol as library data is studies/fashion_mnist.py's own: same settings, same priors."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from hpsearch.objectives.cnn import CnnSettings
from hpsearch.objectives.mlp import ObjectiveSettings
from hpsearch.objectives.protocol import PRIOR_CONFIGS, fullsize_settings

SCRIPT = Path(__file__).resolve().parents[3] / "studies" / "fashion_mnist.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("fashion_mnist_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("argv", [["--model", "cnn"], ["--model", "cnn", "--time-budget", "900"],
                                  ["--model", "cnn", "--quick", "--dataset", "mnist-5k"],
                                  ["--model", "mlp", "--quick"], ["--model", "cnn", "--dataset", "mnist"]])
def test_the_protocol_gives_the_scripts_settings(script, argv):
    args = script.build_parser().parse_args(argv)
    made = script.make_spec(args).settings
    full = not args.quick and args.dataset != "mnist-5k"
    cls, extra = (CnnSettings, {}) if args.model == "cnn" else (ObjectiveSettings, {"hidden": script.MLP_HIDDEN})
    ours = fullsize_settings(cls, dataset=args.dataset, epochs=made.epochs, full=full, **extra)
    assert ours == made


def test_the_prior_configurations_are_the_scripts(script):
    assert PRIOR_CONFIGS["cnn"] == script.PRIORS["cnn"]
