"""Which parts of the modern recipe pay, for which model? One configuration trained under recipe variants.

Trains one configuration under studies/fashion_mnist.py's protocol (the 50,000 training images, scored on
the 10,000 validation images; the test split is not read) for a full trial's epochs (mlp 40, cnn 20) with
one seed, once per variant, and prints each variant's validation score, plain and (where the variant
scores that way) flip-averaged:

- modern: the script's default (shifts of 2 px, flips, label smoothing 0.1, EMA, warm-up + cosine, scored
  with test-time flip averaging on Fashion-MNIST);
- modern-no-augment: the same without the shifts and flips (and so without the flip averaging);
- plain: the script's ``--recipe plain`` (a cosine schedule, nothing else).

The variants share the seed and the split, so their differences are not split noise; they are one seed's
differences all the same (about 0.002 of seed spread on validation), so a gap smaller than that decides
nothing. Default configuration: the book's advice, the script's first prior (PRIOR_CONFIGS).

Run:  python bench/recipe_ablation.py --model mlp            (about 20 minutes on 2 cores)
      python bench/recipe_ablation.py --quick                (a smoke run on mnist-5k)
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import replace

import numpy as np
import optuna
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

from hpsearch.environment import blas
from hpsearch.objectives import cnn, mlp
from hpsearch.objectives.data import load_data
from hpsearch.objectives.mlp import ObjectiveSettings
from hpsearch.objectives.protocol import FULL_EPOCHS, MLP_HIDDEN, PRIOR_CONFIGS, fullsize_settings

OFF = {"augment_shift": 0, "augment_flip": False, "tta_flip": False}
PLAIN = {**OFF, "lr_schedule": "cosine", "label_smoothing": 0.0, "ema_decay": 0.0}


def variants(settings) -> dict:
    return {"modern": settings, "modern-no-augment": replace(settings, **OFF), "plain": replace(settings, **PLAIN)}


def train(model: str, params: dict, settings, seed: int) -> dict:
    with threadpool_limits(limits=1):
        t0 = time.perf_counter()
        net, result = (mlp if model == "mlp" else cnn).fit(params, settings, seed=seed)
        seconds = time.perf_counter() - t0
        flipped = net.flip_average
        net.flip_average = False  # the same net, scored plainly on the same whole validation split
        plain = _plain(net, settings, model)
    return {"value": result.value, "flipped": flipped, "seconds": seconds, "plain": plain}


def _plain(net, settings, model: str) -> float:
    split = load_data(settings)
    x = split.x_val.reshape(-1, 1, 28, 28) if model == "cnn" else split.x_val
    return float(net.accuracy(x.astype(net.dtype), split.t_val))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=("mlp", "cnn"), default="mlp")
    ap.add_argument("--epochs", type=int, default=None, help="default: a full trial's (mlp 40, cnn 20)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--params", default=None, help="a JSON object of the configuration (default: the first prior)")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="a smoke run: 3,000 Fashion-MNIST images, 2 epochs")
    args = ap.parse_args()
    params = json.loads(args.params) if args.params else dict(PRIOR_CONFIGS[args.model][0]["params"])
    cls, extra = (ObjectiveSettings, {"hidden": MLP_HIDDEN}) if args.model == "mlp" else (cnn.CnnSettings, {})
    if args.quick:
        settings = fullsize_settings(cls, epochs=2, full=False, **extra)
    else:
        settings = fullsize_settings(cls, epochs=FULL_EPOCHS[args.model], **extra)
    if args.epochs:
        settings = replace(settings, epochs=args.epochs)
    print(f"machine: {platform.machine()} {platform.processor() or ''}; numpy {np.__version__}; "
          f"optuna {optuna.__version__}; BLAS {blas(1)}")
    print(f"{args.model} configuration: {params}; {settings.epochs} epochs on {settings.dataset}, seed {args.seed}")
    runs = variants(settings)
    results = Parallel(n_jobs=args.n_jobs)(delayed(train)(args.model, params, s, args.seed) for s in runs.values())
    for name, r in zip(runs, results, strict=True):
        scored = f", flip-averaged {r['value']:.4f}" if r["flipped"] else ""
        print(f"{name:>18}: validation plain {r['plain']:.4f}{scored} ({r['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
