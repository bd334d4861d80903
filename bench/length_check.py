"""Does retraining a search's pick for longer pay? The length check of hpsearch.final on one configuration.

Runs the full Fashion-MNIST protocol of studies/fashion_mnist.py (modern recipe, 20 epochs a trial) on one
given CNN configuration, without a search: the configuration is the study's only trial (trained on the
50,000 training images, scored on the 10,000 validation images), then `final_pick(longer=FACTOR)` runs the
length check (the trial's epochs against FACTOR times as many, one seed, side by side on validation) and
retrains for the length it chose on training + validation, once per retraining seed, each net scored once
on the test split. Default configuration: the hour's pick recorded in docs/fullsize.md (trial 26, values
as printed there, to 3 digits).

Run:  python bench/length_check.py --out /work/runs-length   (about an hour on 2 cores)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import optuna

from hpsearch import run
from hpsearch.environment import blas
from hpsearch.final import final_pick
from hpsearch.samplers.seeds import derive_seed

_SCRIPT = Path(__file__).resolve().parents[1] / "studies" / "fashion_mnist.py"
_spec = importlib.util.spec_from_file_location("study_fashion_mnist", _SCRIPT)
fashion = importlib.util.module_from_spec(_spec)
sys.modules["study_fashion_mnist"] = fashion
_spec.loader.exec_module(fashion)

HOUR_PICK = {"lr": 2.21e-3, "optimizer": "adam", "weight_decay": 1.4e-7, "init_scale": 0.84, "blocks": 2,
             "filters1": 27, "filters2": 48, "batch_norm": False, "dropout": 0.30, "dense": 249}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs-length")
    ap.add_argument("--factor", type=float, default=2.0)
    ap.add_argument("--params", default=None, help="a JSON object of the configuration (default: the hour's pick)")
    ap.add_argument("--final-seeds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="a smoke run on mnist-5k, 3 epochs")
    args = ap.parse_args()
    params = json.loads(args.params) if args.params else HOUR_PICK
    quick = ["--quick", "--dataset", "mnist-5k"] if args.quick else []
    study_args = fashion.build_parser().parse_args(["--model", "cnn", "--time-budget", "3600", "--trials", "1",
                                                    "--no-priors", "--out", args.out, "--name", "length-check",
                                                    *quick])
    spec = fashion.make_spec(study_args, n_jobs=1)
    spec = spec.__class__.from_dict({**spec.to_dict(), "priors": {**spec.priors, "configs": [
        {"params": params, "source": "bench/length_check.py"}]}})
    print(f"machine: {platform.machine()} {platform.processor() or ''}; numpy {np.__version__}; "
          f"optuna {optuna.__version__}; BLAS {blas(1)}")
    print(f"configuration: {params}; {spec.settings.epochs} epochs a trial; factor {args.factor:g}")
    t0 = time.perf_counter()
    study = run(spec, n_jobs=1, progress=False)
    trial = study.best_trial
    print(f"trial: validation {trial.value:.4f} in {time.perf_counter() - t0:.0f} s")
    seeds = [derive_seed(0, fashion.FINAL_SEEDS, i) for i in range(args.final_seeds)]
    t1 = time.perf_counter()
    final = final_pick(study, spec, seeds=seeds, n_jobs=2, longer=args.factor, on_phase=print)
    check = final["length_check"]
    print(f"length check: epochs {check['epochs']}, validation {check['values']}, gain {check['gain']:+.4f}, "
          f"paid {check['paid']}, seconds {[round(s) for s in check['seconds']]}")
    print(f"retrained for {final['epochs']} epochs on {final['n_train']} images: test per seed "
          f"{[round(v, 4) for v in final['test_per_seed']]}, mean {final['test_mean']:.4f}, sd {final['test_std']}")
    print(f"final phase {time.perf_counter() - t1:.0f} s")


if __name__ == "__main__":
    main()
