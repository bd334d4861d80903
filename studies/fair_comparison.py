"""A fair optimizer comparison: every optimizer gets the same tuning budget, then is scored on held-out test data.

The book compares optimizers at their default hyperparameters, one unseeded run each. Here, for each optimizer
(SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam), one study per tuning seed searches the learning rate on a log
scale (``--tune-weight-decay``: weight decay too) with the same number of trials and epochs, scored on a
validation split of the training images (the book's section 6.5 trial by default: 500 images, 400 train / 100
validation, 784-100x6-10, 50 epochs of batch 100 drawn with replacement; with fashion-mnist all 60,000 training
images, 5 epochs). The best configuration of each tuning study and the optimizer's defaults are then trained on
the same >= 5 seeds and scored once on the test split. The report shows defaults vs tuned with bootstrap CIs,
best-so-far vs tuning budget per optimizer (bands across tuning seeds), and validation accuracy vs learning
rate per optimizer (diverged trials marked, with where divergence starts).

Run: python studies/fair_comparison.py [--dataset mnist-5k|fashion-mnist] [--trials 30] [--tuning-seeds 2]
     [--seeds 5] [--n-jobs 2] [--sampler random|tpe|qmc] [--lr-range 1e-5 10] [--tune-weight-decay] [--quick]
Writes runs/fair-comparison-<dataset>/index.html.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hpsearch.experiments.fair import TestSettings, best_params, default_config, test_spec, tuned_config, tuning_spec
from hpsearch.experiments.script import base_parser, run_grid, seeds, study_name
from hpsearch.objectives.mlp import ObjectiveSettings
from netcore.optim import OPTIMIZERS
from reports import render_fair


def _settings(args) -> ObjectiveSettings:
    if args.quick:
        base = {"n_samples": 300, "hidden": (32, 32), "epochs": 3, "batch_size": 50}
    elif args.dataset == "mnist-5k":
        base = {}  # the book's section 6.5 trial
    else:
        base = {"n_samples": 60000, "epochs": 5, "eval_train_n": 5000}
    for key in ("n_samples", "epochs"):
        if getattr(args, key) is not None:
            base[key] = getattr(args, key)
    return ObjectiveSettings(dataset=args.dataset, **base)


def _semantics(args, settings: ObjectiveSettings, reps: list[int]) -> list[tuple[str, str]]:
    book = settings == ObjectiveSettings(dataset=settings.dataset)
    return [
        ("trial", ("the book's section 6.5 trial" if book else "option") + f": {settings.n_samples} training images "
         f"({settings.val_fraction:g} for validation), 784-{'-'.join(map(str, settings.hidden))}-10 ReLU/He, "
         f"{settings.epochs} epochs of batch {settings.batch_size} drawn with replacement, {settings.dtype}"),
        ("tuning budget", f"{args.trials} trials per optimizer and tuning seed ({args.tuning_seeds} tuning seeds), "
         f"{args.sampler} sampler; the same for every optimizer"
         + (" (a random plan draws the same learning rates for every optimizer of a tuning seed)"
            if args.sampler == "random" else "")),
        ("search space", f"lr log-uniform in [{args.lr_range[0]:g}, {args.lr_range[1]:g}]"
         + ("; weight decay log-uniform in [1e-8, 1e-2], drawn first" if args.tune_weight_decay else
            "; no weight decay") + "; other hyperparameters at the optimizer's defaults"),
        ("selection", "the best COMPLETE, non-diverged trial by final validation accuracy, per tuning study"),
        ("defaults", "the book's: SGD/Momentum/Nesterov/AdaGrad/RMSprop lr 0.01, Adam lr 0.001 (momentum 0.9, "
         "rho 0.99, betas 0.9/0.999)"),
        ("scoring", f"each configuration trained on seeds {reps} and scored once on the test split (never tuned on)"),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = base_parser(__doc__)
    ap.add_argument("--optimizers", nargs="+", default=list(OPTIMIZERS), choices=list(OPTIMIZERS))
    ap.add_argument("--trials", type=int, default=None, help="tuning trials per optimizer and tuning seed (30)")
    ap.add_argument("--tuning-seeds", type=int, default=None, help="tuning studies per optimizer (2)")
    ap.add_argument("--sampler", default="random", choices=("random", "tpe", "qmc", "cmaes"))
    ap.add_argument("--lr-range", nargs=2, type=float, default=(1e-5, 10.0), metavar=("LOW", "HIGH"))
    ap.add_argument("--tune-weight-decay", action="store_true", help="search weight decay as well")
    ap.add_argument("--n-samples", type=int, default=None, help="training images (train + validation)")
    ap.add_argument("--epochs", type=int, default=None, help="epochs per trial")
    args = ap.parse_args(argv)
    args.trials = args.trials if args.trials is not None else (3 if args.quick else 30)
    args.tuning_seeds = args.tuning_seeds if args.tuning_seeds is not None else 2
    base = study_name("fair-comparison", args)
    try:
        settings, reps = _settings(args), seeds(args)
        configs, tuning_dirs = [default_config(o) for o in args.optimizers], []
        total, done = len(args.optimizers) * args.tuning_seeds + 1, 0
        for opt in args.optimizers:
            for k in range(args.tuning_seeds):
                spec = tuning_spec(f"{base}-tune-{opt}-t{k}", opt, settings, n_trials=args.trials, tuning_seed=k,
                                   sampler=args.sampler, lr=tuple(args.lr_range), out_dir=args.out,
                                   weight_decay=(1e-8, 1e-2) if args.tune_weight_decay else None)
                done += 1
                print(f"study {done}/{total}: tuning {opt}, tuning seed {k} ({spec.n_trials} trials)", flush=True)
                tables = run_grid(spec, n_jobs=args.n_jobs, part_of=base, announce=print,
                                  quick=args.quick if done == 1 else None)
                configs.append(tuned_config(opt, k, best_params(tables.trials)))
                tuning_dirs.append(spec.run_dir / "export")
        final = test_spec(f"{base}-test", TestSettings(base=settings, configs=tuple(configs)), reps, out_dir=args.out)
        print(f"study {total}/{total}: {len(configs)} configurations on the test split ({final.n_trials} trials)",
              flush=True)
        run_grid(final, n_jobs=args.n_jobs, announce=print)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("writing the report", flush=True)
    index = render_fair(tuning_dirs, final.run_dir / "export", out_dir=Path(args.out) / base,
                        semantics=_semantics(args, settings, reps))
    print(f"report: {index}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
