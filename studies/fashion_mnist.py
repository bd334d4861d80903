"""A real-size search: tune an MLP or a conv net on the full Fashion-MNIST within a wall-clock budget.

The protocol: the 60,000 training images less a fixed, seeded held-out validation split of 10,000; shuffled
epochs; four evaluations per epoch on a fixed 2,000-image validation subsample (so a bad trial can stop
within a quarter of an epoch); each trial's score is its accuracy on the whole validation split.
The training recipe (`--recipe modern`, the default; `--recipe plain` is the earlier cosine-only protocol):
random shifts of up to 2 pixels (zero padding) and, on Fashion-MNIST, horizontal flips and test-time flip
averaging (each trial's score and the test score average an image's class probabilities with its mirror's;
the evaluations during training stay plain; the final line and the page also give the test score without
it); label smoothing 0.1;
an exponential moving average of the weights; a warm-up + cosine learning-rate schedule. None of it is the
book's; the book's own studies keep its protocol.
The search: TPE samples learning rate, weight decay and init scale on log scales, the optimizer, batch norm
and dropout (and, for `--model cnn`, the number of conv blocks, filters per block and dense width). It starts
warm: two prior configurations (the book's advice, and common conv-net practice), the best trials of earlier
studies given with `--warm-start`, then a few random start-up trials (drawn in `--box` ranges if given; as
many as the budget affords). The pruner is cost-aware asynchronous successive halving (`--pruner asha`):
trials are compared at equal seconds spent, no trial may take more than half the budget, and near the
deadline nothing starts that cannot reach its first rung and nothing runs that cannot finish
(`--pruner hyperband` is Optuna's Hyperband, counted in evaluations). No trial starts after
`--time-budget` seconds. The best trial on validation is then retrained on training + validation (or on
training only: `--retrain train`), once per retraining seed (3 by default, side by side on the workers), and
each net is scored once on the 10,000 test images; the report puts their mean and spread beside published
results. How long it is retrained: FACTOR times its trial's epochs (`--retrain-factor FACTOR`; 2 by
default, so 40 epochs for the hour's conv net; 4 when the budget shortened the trials, so 28 for 15 minutes'
7), without a check: every doubling measured on the hour's picks gained (docs/fullsize.md), while a check on
one seed cannot resolve gains of 0.002 and costs a third of the hour. `--length-check FACTOR` runs the check
instead: the pick trained with one seed for its trial's epochs, doubled up to FACTOR times as many, side by
side on validation; the shortest length within 0.002 of the best is kept. Before the check and the
retraining it prints how long they should take at the pick's pace in the search.

Run:  python studies/fashion_mnist.py --model cnn --time-budget 3600      (an hour, every core)
      python studies/fashion_mnist.py --model mlp --quick                  (a one-minute demo)
      python studies/fashion_mnist.py --model cnn --quick --dataset mnist-5k
Fashion-MNIST comes with Debian's package dataset-fashion-mnist (`apt-get install dataset-fashion-mnist`)
or from $HPSEARCH_DATA/fashion-mnist. The report is written to runs/<name>/index.html.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import optuna

from hpsearch import SearchSpace, StudySpec, export, open_storage, run
from hpsearch.errors import MissingStorage, OneLineParser
from hpsearch.execution.preflight import script_workers
from hpsearch.execution.stopping import check_time_budget
from hpsearch.execution.worker import finished_count
from hpsearch.final import MIN_GAIN, RETRAIN, final_pick
from hpsearch.objectives.cnn import CnnSettings
from hpsearch.objectives.mlp import ObjectiveSettings
from hpsearch.objectives.protocol import (
    ANCHORS,
    FULL_EPOCHS,
    MLP_HIDDEN,
    PRIOR_CONFIGS,
    cnn_search_space,
    default_epochs,
    mlp_space,
    modern_recipe,
)
from hpsearch.samplers.asha import CostSchedule
from hpsearch.samplers.priors import from_studies, startup_for_budget
from hpsearch.samplers.seeds import derive_seed
from hpsearch.study import check_resume
from netcore.schedule import SCHEDULES
from reports.pages.fullsize import render_fullsize

FINAL_SEEDS = 5  # seed purpose of the retraining seeds (hpsearch.samplers.seeds uses 0-4)
PRIORS = PRIOR_CONFIGS  # the configurations tried first, each with its source: the library's, which the benchmark reads


def build_parser() -> argparse.ArgumentParser:
    ap = OneLineParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=("mlp", "cnn"), default="cnn", help="model family (default cnn)")
    ap.add_argument("--time-budget", type=float, default=3600.0, help="search wall clock in seconds (default 3600)")
    ap.add_argument("--trials", type=int, default=None, help="at most this many trials (default 300; quick 8)")
    ap.add_argument("--epochs", type=int, default=None,
                    help="epochs of a full trial (default from an hour's budget on: mlp 40, cnn 20; fewer for a "
                         "shorter --time-budget, e.g. cnn 7 and mlp 25 for 900 s)")
    ap.add_argument("--recipe", choices=("modern", "plain"), default="modern",
                    help="modern (default): shifts, flips (and test-time flip averaging), label smoothing, EMA, "
                         "warm-up + cosine; plain: cosine only")
    ap.add_argument("--lr-schedule", choices=SCHEDULES, default=None,
                    help="default: the recipe's (modern warmup-cosine, plain cosine; the book's is constant)")
    ap.add_argument("--pruner", choices=("asha", "hyperband"), default="asha",
                    help="asha (default): cost-aware, in seconds; hyperband: Optuna's, in evaluations")
    ap.add_argument("--warm-start", action="append", default=[], metavar="RUN_DIR",
                    help="an earlier study's folder (repeatable): its best 2 trials are tried first")
    ap.add_argument("--box", action="append", default=[], metavar="NAME=LOW:HIGH",
                    help="draw the start-up trials' NAME in [LOW, HIGH] (repeatable), e.g. lr=1e-4:1e-2")
    ap.add_argument("--no-priors", action="store_true", help="no built-in prior configurations")
    ap.add_argument("--final-seeds", type=int, default=3, help="retraining seeds of the final pick (default 3)")
    ap.add_argument("--top", type=int, default=1, metavar="K",
                    help="train the K best configurations again on the final seeds, on validation, and pick the "
                         "best mean (default 1: the search's best; each candidate costs a trial per seed)")
    ap.add_argument("--retrain", choices=RETRAIN, default="train+val", help="what the final pick is retrained on")
    ap.add_argument("--retrain-factor", type=float, default=None, metavar="FACTOR",
                    help="retrain the pick for FACTOR times its trial's epochs, without a check (default 2; 4 "
                         "when the budget shortened the trials; 1: the trial's epochs)")
    ap.add_argument("--length-check", type=float, default=None, metavar="FACTOR",
                    help="instead: validate the pick for its trial's epochs, doubling up to FACTOR times as "
                         f"many, and retrain for the shortest length within {MIN_GAIN} of the best (1: no check)")
    ap.add_argument("--dataset", default="fashion-mnist", choices=("fashion-mnist", "mnist", "mnist-5k"))
    ap.add_argument("--n-jobs", type=int, default=None, help="worker processes (default and -1: every core)")
    ap.add_argument("--seed", type=int, default=0, help="study seed (default 0)")
    ap.add_argument("--name", default=None, help="study name (default fashion-<model>, quick: ...-quick)")
    ap.add_argument("--out", default="runs", help="output folder (default runs/)")
    ap.add_argument("--report-only", action="store_true",
                    help="search no further: score the existing study's pick (once) and write the report")
    ap.add_argument("--quick", action="store_true",
                    help="a demo: 3,000 images, 3 epochs, 8 trials, 120 s (explicit options still apply)")
    return ap


def recipe(args: argparse.Namespace, n_train: int, epochs: int) -> dict:
    """The training recipe's settings. The EMA's horizon (1 / (1 - decay)) is a tenth of a full trial's
    updates (0.999 for 20 epochs of 500 updates), shorter for short runs."""
    if args.recipe == "plain":
        return {"lr_schedule": args.lr_schedule or "cosine"}
    return {**modern_recipe(args.dataset, n_train, epochs), "lr_schedule": args.lr_schedule or "warmup-cosine"}


def _box(items: list[str]) -> dict | None:
    box = {}
    for item in items:
        name, _, bounds = item.partition("=")
        low, _, high = bounds.partition(":")
        try:
            box[name.strip()] = [float(low), float(high)]
        except ValueError:
            raise ValueError(f"--box {item!r} is not NAME=LOW:HIGH; e.g. --box lr=1e-4:1e-2") from None
    return box or None


def _earlier(dirs: list[str], space: SearchSpace, objective: str) -> list[dict]:
    """The best 2 trials of each earlier study (a folder holding journal.log) of the same objective."""
    out = []
    for d in dirs:
        path = Path(d) / "journal.log"
        if not path.is_file():
            raise ValueError(f"--warm-start {d}: no journal.log there; give the folder of an earlier study")
        storage = open_storage(str(path), create=False)
        for summary in optuna.get_all_study_summaries(storage):
            study = optuna.load_study(study_name=summary.study_name, storage=storage)
            if study.user_attrs.get("spec", {}).get("objective") == objective:
                out += from_studies([study], space, top=2)
    return out


def length_factor(args: argparse.Namespace, epochs: int) -> float:
    """How much longer than its trial the pick is retrained (``--retrain-factor``), or the length check's
    factor (``--length-check``); else 2, or 4 when the budget shortened a full trial below the full length (the
    retraining is not held to the search's budget; --quick keeps 2)."""
    for given in (args.length_check, args.retrain_factor):
        if given is not None:
            return given
    return 4.0 if epochs < FULL_EPOCHS[args.model] and not args.quick else 2.0


def make_spec(args: argparse.Namespace, n_jobs: int = 1) -> StudySpec:
    full = not args.quick and args.dataset != "mnist-5k"
    n_val = 10_000 if full else 500
    n_samples = None if full else (3000 if args.dataset != "mnist-5k" else 2000)
    sizes = {"n_samples": n_samples, "n_val": n_val}
    epochs = args.epochs or (3 if args.quick else default_epochs(args.model, args.time_budget))
    common = dict(
        dataset=args.dataset, **sizes, mode="shuffle", epochs=epochs, batch_size=100,
        evals_per_epoch=4 if full else 2, eval_val_n=2000 if full else 250, eval_train_n=1000 if full else 250,
        **recipe(args, (n_samples or 60_000) - n_val, epochs),
    )
    if args.model == "mlp":
        settings, space = ObjectiveSettings(hidden=MLP_HIDDEN, **common), mlp_space()
    else:
        settings, space = CnnSettings(**common), cnn_search_space()
    name = args.name or f"fashion-{args.model}" + ("-quick" if args.quick else "")
    trials = args.trials or (8 if args.quick else 300)
    configs = ([] if args.no_priors else PRIORS[args.model]) + _earlier(args.warm_start, space, args.model)
    first_rung = CostSchedule.for_budget(args.time_budget, n_jobs).min_resource
    priors = {"configs": configs[:trials], "box": _box(args.box), "box_source": "--box" if args.box else None,
              "startup_trials": startup_for_budget(args.time_budget, n_jobs, first_rung)}
    return StudySpec(name=name, objective=args.model, space=space, settings=settings, n_trials=trials,
                     sampler="tpe", pruner=args.pruner, seed=args.seed, out_dir=args.out, priors=priors)


def _search(spec: StudySpec, args: argparse.Namespace, n_jobs: int):
    """Run (or resume) the search within the budget; with --report-only, open the existing study instead."""
    if args.report_only:
        check_resume(spec)  # the same spec as the study's: a different one is refused
        try:
            return optuna.load_study(study_name=spec.name, storage=open_storage(spec.storage_url, create=False))
        except (KeyError, MissingStorage, FileNotFoundError):
            raise ValueError(f"no study {spec.name} in {spec.storage_url}: run the search first") from None
    print(f"searching {spec.name} ({args.model}) on {args.dataset} for at most {args.time_budget:.0f} s ...")
    t0 = time.perf_counter()
    study = run(spec, n_jobs=n_jobs, time_budget=args.time_budget)
    print(f"search: {time.perf_counter() - t0:.0f} s")
    return study


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no INFO lines between the progress lines
    if args.quick and "--time-budget" not in " ".join(argv if argv is not None else sys.argv):
        args.time_budget = 120.0
    try:
        n_jobs = script_workers(args.n_jobs)
        check_time_budget(args.time_budget, "--time-budget")
        if args.final_seeds < 1:
            raise ValueError(f"--final-seeds {args.final_seeds} is invalid; give 1 or more (3 for a spread)")
        if args.top < 1:
            raise ValueError(f"--top {args.top} is invalid; give 1 (the search's best) or more candidates, e.g. 3")
        for option, given in (("--length-check", args.length_check), ("--retrain-factor", args.retrain_factor)):
            if given is not None and not 1.0 <= given <= 10.0:
                raise ValueError(f"{option} {given:g} is invalid; give a factor from 1 (the trial's epochs) "
                                 "to 10, e.g. 2")
        if args.length_check is not None and args.retrain_factor is not None:
            raise ValueError("give --retrain-factor (a fixed length) or --length-check (a check), not both")
        spec = make_spec(args, n_jobs)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        study = _search(spec, args, n_jobs)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    done = finished_count(study, spec.n_trials)
    seeds = [derive_seed(args.seed, FINAL_SEEDS, i) for i in range(args.final_seeds)]
    print(f"{done} trials finished; retraining the best on {args.retrain} with {len(seeds)} seed(s) and scoring "
          "each on test ...")
    # one BLAS thread a process (final_pick's default), as in the workers: the seeds train side by side
    try:
        factor = length_factor(args, spec.settings.epochs)
        checked = args.length_check is not None
        final = final_pick(study, spec, retrain=args.retrain, seeds=seeds, n_jobs=n_jobs, top=args.top,
                           longer=factor if checked and factor > 1.0 else None,
                           epochs=None if checked else max(1, round(factor * spec.settings.epochs)),
                           on_phase=print)
    except ValueError as exc:  # e.g. no trial finished within the budget: the study is still reported
        final = None
        problem = str(exc)
    export(study)
    # the anchors are full Fashion-MNIST results: beside a search of another data set they would mean nothing
    anchors = ANCHORS if args.dataset == "fashion-mnist" else {}
    index = render_fullsize(spec.run_dir / "export", anchors=anchors, out_dir=spec.run_dir)
    if final is None:
        print(f"error: {problem} (give a longer --time-budget: the study resumes); report: {index.resolve()}",
              file=sys.stderr)
        return 1
    params = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in final["params"].items())
    per_seed = ", ".join(f"{v:.4f}" for v in final.get("test_per_seed", [final["test_acc"]]))
    spread = f" ± {final['test_std']:.4f} (sd)" if final.get("test_std") is not None else ""
    check = final.get("length_check")
    if check:
        runs = ", ".join(f"{e} epochs {v:.4f}" for e, v in zip(check["epochs"], check["values"], strict=True))
        print(f"length check on validation: {runs}: retrained for {final['epochs']}"
              + ("" if check["paid"] else f" (no longer run gained {check['min_gain']:g})"))
    elif final.get("trial_epochs") and final["epochs"] != final["trial_epochs"]:
        print(f"retrained for {final['epochs']} epochs: {final['epochs'] / final['trial_epochs']:g} times its trial's "
              f"{final['trial_epochs']}, without a check")
    again = final.get("chosen", {}).get("val_mean")  # --top K > 1: the candidates' mean on the final seeds
    mean = (f" (trained again on {len(final['chosen']['val_per_seed'])} seed(s): mean {again:.4f}, the best of "
            f"{len(final['candidates'])} candidates)" if again is not None else "")
    print(f"final pick: trial {final['trial']} ({params}); validation {final['value']:.4f}{mean}; "
          f"retrained {final['train_seconds']:.0f} s of training; TEST {final['test_acc']:.4f}{spread} "
          f"over {len(final.get('seeds', [0]))} seed(s): {per_seed}")
    plain = final.get("test_per_seed_plain")
    if plain:
        print(f"without test-time flip averaging the same nets score {sum(plain) / len(plain):.4f}: "
              + ", ".join(f"{v:.4f}" for v in plain))
    print(f"report: {index.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
