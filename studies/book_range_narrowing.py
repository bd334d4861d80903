"""The book's hyper-parameter search with range narrowing (Deep Learning from Scratch, section 6.5), automated.

Round 1 is the book's protocol exactly: the first 500 training images of the embedded MNIST digits, shuffled
once with a fixed seed, 400 for training and 100 for validation; a 784-100x6-10 ReLU net with He init, SGD,
batch 100 drawn with replacement, 50 "epochs" of 4 steps; weight decay = 10^U(-8,-4) and lr = 10^U(-6,-2);
100 trials of random search; score = the last validation accuracy. Later rounds search the box narrowed from
the best trials, inside the book's box as the book does (the rule is stated in the report, which also says
which bounds the best trials press against). Then hpsearch's own step beyond the book: when the last round's
best trials press against a bound, one more study searches past it (``--widen``; 0 turns it off), and the
report shows what it gained. Finally the best configurations are re-trained on several seeds, one is chosen
by validation accuracy, and only that one is scored on the test split.

Run:  python studies/book_range_narrowing.py                  (all cores, 2 rounds of 100 trials + the step)
      python studies/book_range_narrowing.py --quick          (a small demo: 2 rounds of 20 trials, 20 epochs)
      python studies/book_range_narrowing.py --dataset fashion-mnist --later-sampler tpe
The report is written to runs/<name>/index.html (each round's own report beside it).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time
from pathlib import Path

import optuna

from hpsearch import ObjectiveSettings, StudySpec, book_space, export
from hpsearch.errors import OneLineParser
from hpsearch.execution.estimate import duration, estimate, scaled, time_trial
from hpsearch.execution.preflight import script_workers, worker_count
from hpsearch.narrowing.rounds import run_narrowing
from hpsearch.narrowing.rule import NarrowRule
from netcore.data import DATASETS
from reports import render_narrowing

# the step beyond the book may search past the book's ranges where the best trials press against them, but
# never past these
HARD_LIMITS = {"lr": (1e-8, 1.0), "weight_decay": (1e-10, 0.1)}
FINAL_TOP, FINAL_SEEDS = 3, 3  # the final pick: candidates re-trained on seeds, then the chosen one on test


def build_parser() -> argparse.ArgumentParser:
    ap = OneLineParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", default="book-narrowing", help="study name (default book-narrowing)")
    ap.add_argument("--trials", type=int, default=None, help="trials per round (book: 100; 20 with --quick)")
    ap.add_argument("--rounds", type=int, default=2,
                    help="maximum number of rounds of the book's procedure (default 2: the book's run and the run "
                         "in the range the book narrowed to; more rounds narrow further)")
    ap.add_argument("--epochs", type=int, default=None, help="evaluations per trial (book: 50; 20 with --quick)")
    ap.add_argument("--top", type=float, default=0.1,
                    help="fraction of a round's trials that defines the next box (default 0.1: 10 of 100)")
    ap.add_argument("--widen", type=float, default=0.25,
                    help="the step beyond the book: how far past a pressed bound it searches, as a fraction of "
                         "the book's box (default 0.25: one decade of lr's four; 0: no step beyond the book)")
    ap.add_argument("--dataset", default="mnist-5k", choices=DATASETS)
    ap.add_argument("--later-sampler", default="random", help="sampler of rounds 2.. (random, tpe, cmaes, qmc)")
    ap.add_argument("--later-pruner", default="none", help="pruner of rounds 2.. (none, median, sha, hyperband)")
    ap.add_argument("--n-jobs", type=int, default=None, help="worker processes (default: every core)")
    ap.add_argument("--seed", type=int, default=0, help="study seed (default 0)")
    ap.add_argument("--out", default="runs", help="output folder (default runs/)")
    ap.add_argument("--quick", action="store_true",
                    help="small demo budget: 20 trials x 20 epochs per round (unless --trials/--epochs say)")
    return ap


def _beyond_line(beyond: dict) -> str:
    pressed = "; ".join(f"{n} {' and '.join(sides)} bound" for n, sides in beyond["pressed"].items()) or "none"
    if not beyond["ran"]:
        return f"bounds the best trials of {beyond['parent']} press against: {pressed}; no step beyond the book: " \
               f"{beyond['reason']}"
    return (f"beyond the book, past the pressed {pressed}: best {beyond['best']:.3f} vs {beyond['book_best']:.3f} "
            f"inside the book's box ({beyond['gain']:+.3f})")


def _expected(spec: StudySpec, args: argparse.Namespace, n_jobs: int) -> str:
    """How long the job takes on this machine (a few timed steps), with --quick's time when it is not given."""
    workers = worker_count(n_jobs)
    per_trial = time_trial(spec)
    studies = args.rounds + (1 if args.widen > 0 else 0)  # rounds may stop early: at most this many

    def job(s: StudySpec, seconds: float):
        return estimate(s, workers, per_trial=seconds, studies=studies, extra=FINAL_TOP * FINAL_SEEDS + FINAL_SEEDS)

    line = job(spec, per_trial).line("the job")
    if not args.quick:
        quick = spec.replace(n_trials=20, settings=dataclasses.replace(spec.settings, epochs=20))
        line += f"; --quick runs a small demo in about {duration(job(quick, scaled(spec, per_trial, quick)).seconds)}"
    return line


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no INFO lines between the progress lines
    trials = args.trials if args.trials is not None else (20 if args.quick else 100)
    epochs = args.epochs if args.epochs is not None else (20 if args.quick else 50)
    try:
        if args.widen < 0:
            raise ValueError(f"--widen {args.widen} is invalid; give a fraction >= 0 (0: no step beyond the book)")
        n_jobs = script_workers(args.n_jobs)
        spec = StudySpec(
            name=args.name,
            space=book_space(),
            settings=ObjectiveSettings(dataset=args.dataset, epochs=epochs),
            n_trials=trials,
            sampler="random",
            seed=args.seed,
            out_dir=args.out,
        )
        later = lambda s: s.replace(sampler=args.later_sampler, pruner=args.later_pruner)  # noqa: E731
        later(spec)  # validate the later rounds' sampler/pruner before anything runs
        rule = NarrowRule(top_k=None, top_fraction=args.top, hard_limits=HARD_LIMITS)  # the book's: no widening
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(_expected(spec, args, n_jobs), flush=True)
    t0 = time.perf_counter()
    result = run_narrowing(spec, rounds=args.rounds, rule=rule, n_jobs=n_jobs, later=later, beyond=args.widen,
                           final_top=FINAL_TOP, final_seeds=FINAL_SEEDS, on_phase=lambda text: print(text, flush=True))
    print(f"exporting {len(result.rounds)} studies and writing the reports", flush=True)
    for r in result.rounds:
        export(r["study"], spec.replace(name=r["study"]).storage_url, out_dir=Path(args.out) / r["study"] / "export")
    index = render_narrowing(Path(args.out) / args.name)
    final = result.final
    print(f"{len(result.rounds)} studies in {time.perf_counter() - t0:.0f} s; stopped: {result.stop_reason}")
    for r in result.rounds:
        what = " (beyond the book)" if r.get("beyond_book") else ""
        print(f"  {r['study']}{what}: best {r['best']:.3f}, median {r['median']:.3f}, {r['n_trials']} trials")
    print(_beyond_line(result.beyond))
    params = ", ".join(f"{k}={v:.3g}" for k, v in final["chosen"]["params"].items())
    print(f"final pick: {params}; validation {final['chosen']['val_mean']:.3f}, test {final['test_mean']:.3f}")
    print(f"report: {index.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
