"""Benchmark: one vs two worker processes on the book's HPO trial, and the harness overhead per trial.

What it shows:
  1. wall time of a study of N book trials (section 6.5: 400/100 images, 784-100x6-10 ReLU/He, 50 epochs of
     batch 100, SGD, random log-uniform lr and weight decay) with n_jobs=1 and n_jobs=2 on the default
     journal storage, the speed-up, and whether trial k gave the same result both times;
  2. the harness overhead per trial: the same study machinery (journal storage, claim, suggest, heartbeat,
     result attrs, tell, stale checks) around a trivial objective that returns at once, compared with the
     mean wall time of a book trial.
  3. the hardware ceiling of that speed-up: the same book trials run by two bare processes at once (no
     hpsearch, data loaded and warmed up before timing) against one process alone. On a machine whose
     cores slow each other down (shared caches, memory bandwidth, vector units or clocks), two processes
     never do twice the work of one, whatever the harness does; "efficiency" is speed-up / ceiling.
Targets: 2 workers >= 1.9x one; overhead <= 3 % of a book trial.

Run (takes about 2 minutes with the default 100 trials on 2 cores; keep the machine otherwise idle):
    python bench/parallel.py [--n-trials 100] [--overhead-trials 200] [--keep DIR]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import shutil
import tempfile
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

from hpsearch import ObjectiveSettings, StudySpec, book_space, create_study, run, run_worker
from hpsearch.objectives.data import load_data
from hpsearch.objectives.mlp import evaluate
from hpsearch.objectives.training import CURVES, TrialResult
from hpsearch.samplers.planned import plan
from hpsearch.samplers.seeds import train_seed


def trivial_objective(params, settings: ObjectiveSettings, *, seed: int, on_epoch=None) -> TrialResult:
    """Returns at once a result shaped like a book trial's (50 epochs of curves)."""
    n = settings.epochs
    for epoch in range(n):
        if on_epoch is not None and on_epoch(epoch, 0.5):
            break
    curves = {name: [0.5] * n for name in CURVES}
    return TrialResult(0.5, 0.5, False, False, n, n * settings.batch_size, 0.0, curves, list(range(n)))


def _timed_study(spec: StudySpec, n_jobs: int) -> tuple[float, dict[int, float]]:
    t0 = time.perf_counter()
    study = run(spec, n_jobs=n_jobs, progress=False)
    wall = time.perf_counter() - t0
    return wall, {t.user_attrs["slot"]: t.value for t in study.trials}


def speedup(root: Path, n_trials: int) -> tuple[float, float]:
    """Print the 1 vs 2 worker figures; return the mean wall time of one book trial (1 worker), speed-up."""
    walls, values = {}, {}
    for n_jobs in (1, 2):
        spec = StudySpec(name=f"book-{n_jobs}w", space=book_space(), n_trials=n_trials, out_dir=str(root))
        walls[n_jobs], values[n_jobs] = _timed_study(spec, n_jobs)
        print(f"  {n_jobs} worker(s): {walls[n_jobs]:7.1f} s wall for {n_trials} book trials "
              f"({walls[n_jobs] / n_trials:.3f} s per trial)")
    print(f"  speed-up 2 vs 1: {walls[1] / walls[2]:.2f}x (target >= 1.9x)")
    print(f"  trial k identical with 1 and 2 workers: {values[1] == values[2]}")
    return walls[1] / n_trials, walls[1] / walls[2]


def _bare_trials(n: int, barrier, out) -> None:
    """In a fresh process: n book trials (the plan's first n), timed after loading and one warm-up trial."""
    settings = ObjectiveSettings()
    load_data(settings)
    params = plan(book_space(), "random", seed=0, n=n)
    with threadpool_limits(limits=1):
        evaluate(params[0], settings, seed=train_seed(0, 0))
        barrier.wait()
        t0 = time.perf_counter()
        for k, p in enumerate(params):
            evaluate(p, settings, seed=train_seed(0, k))
        out.put((time.perf_counter() - t0) / n)


def ceiling(n: int) -> float:
    """Throughput of two bare processes over one: the best speed-up this machine allows."""
    ctx = mp.get_context("spawn")
    per_trial = {}
    for n_proc in (1, 2):
        barrier, out = ctx.Barrier(n_proc), ctx.Queue()
        procs = [ctx.Process(target=_bare_trials, args=(n, barrier, out)) for _ in range(n_proc)]
        for p in procs:
            p.start()
        times = [out.get() for _ in procs]
        for p in procs:
            p.join()
        per_trial[n_proc] = max(times)
    ratio = 2 * per_trial[1] / per_trial[2]
    print(f"  bare book trial: {per_trial[1]:.3f} s alone, {per_trial[2]:.3f} s with two processes at once "
          f"-> ceiling {ratio:.2f}x")
    return ratio


def overhead(root: Path, n_trials: int, book_trial: float) -> None:
    spec = StudySpec(name="overhead", space=book_space(), n_trials=n_trials, out_dir=str(root))
    create_study(spec)
    t0 = time.perf_counter()
    run_worker(spec, 0, objective=trivial_objective)
    per_trial = (time.perf_counter() - t0) / n_trials
    print(f"  harness overhead: {1000 * per_trial:.1f} ms per trial on the journal file "
          f"({n_trials} trials with a trivial objective)")
    print(f"  = {100 * per_trial / book_trial:.2f} % of a book trial ({book_trial:.3f} s) (target <= 3 %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n-trials", type=int, default=100, help="book trials per study (default 100, as the book)")
    parser.add_argument("--overhead-trials", type=int, default=200)
    parser.add_argument("--ceiling-trials", type=int, default=12, help="bare trials per process (default 12)")
    parser.add_argument("--keep", help="keep the studies in this folder (default: a temporary one)")
    args = parser.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="hpsearch-bench-"))
    try:
        print(f"book HPO trial, 1 vs 2 worker processes ({args.n_trials} trials each):")
        book_trial, ratio = speedup(root, args.n_trials)
        print("hardware ceiling (no harness):")
        best = ceiling(args.ceiling_trials)
        print(f"  harness efficiency: {ratio / best:.0%} of the ceiling")
        print("harness overhead:")
        overhead(root, args.overhead_trials, book_trial)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
