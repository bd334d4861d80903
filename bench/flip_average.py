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
import json
import platform
import time
from dataclasses import replace

import numpy as np
import optuna
from threadpoolctl import threadpool_limits

from hpsearch.environment import blas
from hpsearch.objectives import cnn
from hpsearch.objectives.data import load_data
from hpsearch.objectives.protocol import FULL_EPOCHS, fullsize_settings
from netcore.augment import mirror

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
    if args.quick:
        params.update(filters1=8, filters2=16, dense=32)
        settings = fullsize_settings(cnn.CnnSettings, dataset="mnist-5k", epochs=2, full=False)
    else:  # the script's hour settings (tests/hpsearch/objectives/test_protocol.py), trained for --epochs
        settings = replace(fullsize_settings(cnn.CnnSettings, epochs=FULL_EPOCHS["cnn"]), epochs=args.epochs)
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
