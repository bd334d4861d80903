"""What does test-time flip averaging add? One configuration trained once, its validation score with and without.

Trains one CNN configuration under studies/fashion_mnist.py's protocol (modern recipe; the 50,000 training
images, scored on the 10,000 validation images; the test split is not read) for EPOCHS epochs with one
seed, then scores the same net three ways on the whole validation split: plain, on the mirrored images, and
with the flip average (each image's class probabilities averaged with its mirror's, `Network.flip_average`).
The three scores are paired (one net, one split), so their differences are not seed noise. Default
configuration: the stop-33 hour's pick (trial 37 in docs/fullsize.md, values to 3 digits).

Run:  python bench/flip_average.py --epochs 20 --seed 1     (about 9 minutes on one core)
      python bench/flip_average.py --quick                   (a smoke run on mnist-5k)
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import optuna
from threadpoolctl import threadpool_limits

from hpsearch.environment import blas
from hpsearch.objectives import cnn
from hpsearch.objectives.data import load_data
from netcore.augment import mirror

_SCRIPT = Path(__file__).resolve().parents[1] / "studies" / "fashion_mnist.py"
_spec = importlib.util.spec_from_file_location("study_fashion_mnist", _SCRIPT)
fashion = importlib.util.module_from_spec(_spec)
sys.modules["study_fashion_mnist"] = fashion
_spec.loader.exec_module(fashion)

HOUR_PICK = {"lr": 6.73e-3, "optimizer": "adam", "weight_decay": 1e-6, "init_scale": 1.0, "blocks": 2,
             "filters1": 26, "filters2": 48, "batch_norm": False, "dropout": 0.28, "dense": 200, "kernel_size": 3}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--params", default=None, help="a JSON object of the configuration (default: the hour's pick)")
    ap.add_argument("--quick", action="store_true", help="a smoke run: mnist-5k, 2 epochs, a small net")
    args = ap.parse_args()
    params = json.loads(args.params) if args.params else dict(HOUR_PICK)
    argv = ["--model", "cnn", "--time-budget", "3600"]
    if args.quick:
        argv += ["--quick", "--dataset", "mnist-5k"]
        params.update(filters1=8, filters2=16, dense=32)
    settings = fashion.make_spec(fashion.build_parser().parse_args(argv), n_jobs=1).settings
    settings = dataclasses.replace(settings, epochs=2 if args.quick else args.epochs)
    print(f"machine: {platform.machine()} {platform.processor() or ''}; numpy {np.__version__}; "
          f"optuna {optuna.__version__}; BLAS {blas(1)}")
    print(f"configuration: {params}; {settings.epochs} epochs on {settings.dataset}, seed {args.seed}")
    with threadpool_limits(limits=1):
        t0 = time.perf_counter()
        net, _ = cnn.fit(params, settings, seed=args.seed)
        seconds = time.perf_counter() - t0
        split = load_data(settings)
        x, t = split.x_val.reshape(-1, 1, 28, 28).astype(net.dtype), split.t_val  # the cnn's image shape
        net.flip_average = False
        plain = net.accuracy(x, t)
        mirrored = net.accuracy(mirror(x), t)
        net.flip_average = True
        averaged = net.accuracy(x, t)
    print(f"trained in {seconds:.0f} s; validation ({len(t):,} images): plain {plain:.4f}, mirrored {mirrored:.4f}, "
          f"flip average {averaged:.4f} ({averaged - plain:+.4f})")


if __name__ == "__main__":
    main()
