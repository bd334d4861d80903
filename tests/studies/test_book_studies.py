"""Every chapter-6 study script end to end at its --quick budget: it runs its grid through hpsearch, exports,
and writes a report page that holds the expected groups and states its semantics."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest

from reports import load_export

pytestmark = pytest.mark.slow
STUDIES = Path(__file__).resolve().parents[2] / "studies"


@pytest.fixture
def script():
    """Load studies/<name>.py as a module, so a test can call its ``main(argv)``."""

    def load(name: str):
        spec = importlib.util.spec_from_file_location(f"study_{name}", STUDIES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


def _run(script, name: str, tmp_path, capsys, *extra: str) -> str:
    out = tmp_path / "runs"
    code = script(name).main(["--quick", "--n-jobs", "1", "--out", str(out), *extra])
    printed = capsys.readouterr().out
    assert code == 0, printed
    index = re.search(r"report: (\S+)", printed).group(1)
    html = Path(index).read_text(encoding="utf-8")
    assert "Semantics" in html and "<img" in html
    return html


def _export(tmp_path, study: str):
    return load_export(tmp_path / "runs" / study / "export")


def test_optimizer_trajectories(script, tmp_path, capsys):
    html = _run(script, "optimizer_trajectories", tmp_path, capsys)
    exp = _export(tmp_path, "optimizer-trajectories-quick")
    assert list(exp.trials["param_optimizer"]) == ["sgd", "momentum", "adagrad", "adam", "rmsprop", "nesterov"]
    points = exp.curves[exp.curves["metric"] != "lr"].groupby(["number", "metric"]).size()
    assert (points == 30).all() and len(points) == 6 * 3
    assert "Optimizer paths" in html and "SGD 0.95" in html


def test_optimizer_curves_in_two_workers(script, tmp_path, capsys):
    out = tmp_path / "runs"
    assert script("optimizer_curves").main(["--quick", "--n-jobs", "2", "--out", str(out)]) == 0
    exp = _export(tmp_path, "optimizer-curves-mnist-5k-quick")
    assert sorted(set(exp.trials["param_optimizer"])) == ["adagrad", "adam", "momentum", "sgd"]
    assert set(exp.trials["param_seed"]) == {0, 1} and exp.meta["n_workers"] == 2
    assert {"loss", "loss_smooth", "test_acc"} <= set(exp.curves["metric"])
    html = (out / "optimizer-curves-mnist-5k-quick" / "index.html").read_text(encoding="utf-8")
    assert "loss 2-10: mean [95% CI]" in html and "loss 20-39: mean [95% CI]" in html
    assert "after the update, same batch (book)" in html


def test_weight_init(script, tmp_path, capsys):
    html = _run(script, "weight_init", tmp_path, capsys)
    hist = _export(tmp_path, "weight-init-mnist-5k-quick-hist")
    assert len(hist.trials) == 3 * 4 * 2
    assert {f"hist_layer{k}" for k in range(1, 6)} <= set(hist.curves["metric"])
    sgd = _export(tmp_path, "weight-init-mnist-5k-quick-sgd")
    assert sorted(set(sgd.trials["param_init"])) == ["he", "std=0.01", "xavier"]
    for name in ("sigmoid: activations per layer", "relu: activations per layer", "Loss by init"):
        assert name in html


def test_batch_norm(script, tmp_path, capsys):
    html = _run(script, "batch_norm", tmp_path, capsys)
    exp = _export(tmp_path, "batch-norm-mnist-5k-quick")
    assert len(exp.trials) == 16 * 2 and set(exp.trials["param_norm"]) == {"batch_norm", "none"}
    assert "with BN: final train acc [95% CI]" in html and "without BN: final train acc [95% CI]" in html
    assert all(f">{w}<" in html for w in ("1", "0.5412", "0.0001"))  # one row per init scale


def test_overfitting(script, tmp_path, capsys):
    html = _run(script, "overfitting", tmp_path, capsys)
    exp = _export(tmp_path, "overfitting-mnist-5k-quick")
    assert len(exp.trials) == 4 * 2
    for group in ("none", "weight decay 0.1", "dropout 0.2", "dropout 0.15"):
        assert group in html
    assert "non-inverted" in html


def test_fair_comparison(script, tmp_path, capsys):
    html = _run(script, "fair_comparison", tmp_path, capsys, "--optimizers", "sgd", "adam")
    test = _export(tmp_path, "fair-comparison-mnist-5k-quick-test")
    configs = sorted(set(test.trials["param_config"]))
    assert configs == ["adam:default", "adam:tuned:0", "adam:tuned:1", "sgd:default", "sgd:tuned:0", "sgd:tuned:1"]
    assert pd.api.types.is_float_dtype(test.trials["value"]) and test.trials["value"].between(0, 1).all()
    tune = _export(tmp_path, "fair-comparison-mnist-5k-quick-tune-adam-t1")
    assert len(tune.trials) == 3 and tune.meta["seed"] == 1
    for text in ("Defaults vs tuned", "Learning-rate sensitivity", "Best validation accuracy vs tuning budget"):
        assert text in html


def test_a_changed_spec_is_refused_with_a_message(script, tmp_path, capsys):
    _run(script, "overfitting", tmp_path, capsys)
    code = script("overfitting").main(["--quick", "--n-jobs", "1", "--out", str(tmp_path / "runs"), "--seeds", "3"])
    assert code == 2 and "another name" in capsys.readouterr().err
