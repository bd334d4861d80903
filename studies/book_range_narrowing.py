"""The book's hyper-parameter search with range narrowing (Deep Learning from Scratch, section 6.5), automated.

Round 1 is the book's protocol exactly: the first 500 training images of the embedded MNIST digits, shuffled
once with a fixed seed, 400 for training and 100 for validation; a 784-100x6-10 ReLU net with He init, SGD,
batch 100 drawn with replacement, 50 "epochs" of 4 steps; weight decay = 10^U(-8,-4) and lr = 10^U(-6,-2);
100 trials of random search; score = the last validation accuracy. Later rounds search the box narrowed from
the best trials (the rule is stated in the report), then the best configurations are re-trained on several
seeds, one is chosen by validation accuracy, and only that one is scored on the test split.

Run:  python studies/book_range_narrowing.py                  (all cores, 3 rounds of 100 trials)
      python studies/book_range_narrowing.py --quick          (a small demo: 3 rounds of 20 trials, 20 epochs)
      python studies/book_range_narrowing.py --dataset fashion-mnist --later-sampler tpe
The report is written to runs/<name>/index.html (each round's own report beside it).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from hpsearch import ObjectiveSettings, StudySpec, book_space, export
from hpsearch.narrow import NarrowRule
from hpsearch.narrowing import run_narrowing
from reports import render_narrowing

# a box may widen past the book's ranges when the best trials press against them, but never past these
HARD_LIMITS = {"lr": (1e-8, 1.0), "weight_decay": (1e-10, 0.1)}


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", default="book-narrowing", help="study name (default book-narrowing)")
    ap.add_argument("--trials", type=int, default=100, help="trials per round (book: 100)")
    ap.add_argument("--rounds", type=int, default=3, help="maximum number of rounds (default 3)")
    ap.add_argument("--epochs", type=int, default=50, help="evaluations per trial (book: 50)")
    ap.add_argument("--top", type=float, default=0.1,
                    help="fraction of a round's trials that defines the next box (default 0.1: 10 of 100)")
    ap.add_argument("--widen", type=float, default=0.25,
                    help="how far a box moves past a pressed bound, as a fraction of its width (default 0.25)")
    ap.add_argument("--dataset", default="mnist-5k", choices=("mnist-5k", "fashion-mnist", "mnist"))
    ap.add_argument("--later-sampler", default="random", help="sampler of rounds 2.. (random, tpe, cmaes, qmc)")
    ap.add_argument("--later-pruner", default="none", help="pruner of rounds 2.. (none, median, sha, hyperband)")
    ap.add_argument("--n-jobs", type=int, default=None, help="worker processes (default: every core)")
    ap.add_argument("--seed", type=int, default=0, help="study seed (default 0)")
    ap.add_argument("--out", default="runs", help="output folder (default runs/)")
    ap.add_argument("--quick", action="store_true", help="small demo budget: 20 trials x 20 epochs per round")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    trials, epochs = (20, 20) if args.quick else (args.trials, args.epochs)
    try:
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
        rule = NarrowRule(top_k=None, top_fraction=args.top, widen=args.widen, hard_limits=HARD_LIMITS)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    result = run_narrowing(spec, rounds=args.rounds, rule=rule, n_jobs=args.n_jobs, later=later)
    for r in result.rounds:
        export(r["study"], spec.replace(name=r["study"]).storage_url, out_dir=Path(args.out) / r["study"] / "export")
    index = render_narrowing(Path(args.out) / args.name)
    final = result.final
    print(f"{len(result.rounds)} round(s) in {time.perf_counter() - t0:.0f} s; stopped: {result.stop_reason}")
    for r in result.rounds:
        print(f"  {r['study']}: best {r['best']:.3f}, median {r['median']:.3f}, {r['n_trials']} trials")
    params = ", ".join(f"{k}={v:.3g}" for k, v in final["chosen"]["params"].items())
    print(f"final pick: {params}; validation {final['chosen']['val_mean']:.3f}, test {final['test_mean']:.3f}")
    print(f"report: {index.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
