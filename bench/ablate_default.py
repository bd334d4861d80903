"""Which part of hpsearch-default costs it time on the real-size table? Ablations replayed on fashion-cnn.

Replays the method comparison of docs/benchmark.md ("The real-size comparison") on the shipped table
`bench/tables/table-fashion-cnn.npz` (the table's recorded seconds, no training) for hpsearch-default with
one part changed at a time: no prior configurations, the cost schedule's first rung 3 times later or 3 times
earlier, a reduction factor of 2 instead of 3, and no priors with the first rung 3 times later; beside it the
reference (Optuna's TPE + Hyperband) and random search. For each: how many seeds reach 0.92 validation, the
median and the ERT of the seconds to get there, the mean best value, and the speed-up over TPE + Hyperband
with a 95% bootstrap interval (hpsearch.benchmark.metrics). Runs are censored at the shortest total among
all variants, so every variant is judged on the same seconds.

An explanation of the measured comparison, not a tuning: the variants are judged on the very table the
default is compared on, so a variant that wins here is a hypothesis for a live search, not a new default.

Run:  python bench/ablate_default.py --seeds 20   (a few minutes on one core)
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import optuna

from hpsearch.benchmark import realsize  # noqa: F401  (registers the fashion-cnn task)
from hpsearch.benchmark.methods import get_method
from hpsearch.benchmark.metrics import ert, speedup
from hpsearch.benchmark.procedures import WarmStart
from hpsearch.benchmark.replay import replay_run
from hpsearch.benchmark.table import Table
from hpsearch.benchmark.tasks import get_task
from hpsearch.environment import machine
from hpsearch.samplers.asha import CostSchedule

TABLE = Path(__file__).resolve().parent / "tables" / "table-fashion-cnn.npz"
TARGET = 0.92
BUDGET = 40  # trials' worth of epochs, as the comparison's --budget


@contextlib.contextmanager
def schedule_changed(rung: float = 1.0, eta: int = 3) -> Iterator[None]:
    """Replays inside see the default schedule with its first rung times ``rung`` and reduction factor ``eta``."""
    original = WarmStart.__dict__["schedule_for"]
    base = original.__func__

    def changed(cls: type, table: Table, budget: int) -> CostSchedule:
        s = base(cls, table, budget)
        return CostSchedule(s.min_resource * rung, eta, max_trial_seconds=s.max_trial_seconds)

    WarmStart.schedule_for = classmethod(changed)
    try:
        yield
    finally:
        WarmStart.schedule_for = original


def seconds_to_target(table: Table, task, method: str, seed: int) -> tuple[float, float, float]:
    """Seconds until a COMPLETE trial reached TARGET (inf: never), the run's total seconds, its best value."""
    trials, run = replay_run(table, task, get_method(method), seed, budget=BUDGET)
    trials = trials.sort_values("order") if "order" in trials else trials
    spent = trials["seconds"].cumsum().to_numpy()
    hit = ((trials["state"] == "COMPLETE") & (trials["value"] >= TARGET - 1e-9)).to_numpy()
    return (float(spent[hit][0]) if hit.any() else np.inf), float(spent[-1]), float(run["best_value"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=20, help="replay seeds per variant (default 20)")
    args = ap.parse_args()
    if args.seeds < 2:
        ap.error(f"--seeds {args.seeds} is too few for an interval; give 2 or more, e.g. 20")
    table, task = Table.load(TABLE), get_task("fashion-cnn")
    bare = dataclasses.replace(task, priors=())
    variants = {
        "tpe-hyperband (reference)": ("tpe-hyperband", task, {}),
        "random": ("random", task, {}),
        "hpsearch-default": ("hpsearch-default", task, {}),
        "  no priors": ("hpsearch-default", bare, {}),
        "  first rung x3": ("hpsearch-default", task, {"rung": 3.0}),
        "  first rung x1/3": ("hpsearch-default", task, {"rung": 1 / 3}),
        "  eta 2": ("hpsearch-default", task, {"eta": 2}),
        "  no priors, first rung x3": ("hpsearch-default", bare, {"rung": 3.0}),
    }
    host = machine()
    print(f"machine: {host['cpu']}, {host['cores']} cores, {host['platform']}; numpy {np.__version__}, "
          f"optuna {optuna.__version__}; table {TABLE.name} (its recorded seconds), {args.seeds} seeds, "
          f"budget {BUDGET}, target {TARGET}")
    started = time.perf_counter()
    runs = {}
    for name, (method, variant_task, change) in variants.items():
        with schedule_changed(**change):
            runs[name] = np.array([seconds_to_target(table, variant_task, method, s) for s in range(args.seeds)])
    limit = min(r[:, 1].min() for r in runs.values())
    hits = {name: np.where(r[:, 0] <= limit, r[:, 0], np.inf) for name, r in runs.items()}
    ref = hits["tpe-hyperband (reference)"]
    rng = np.random.default_rng(0)
    print(f"censored at {limit:.0f} s (the shortest total); ERT and speed-up with 95% bootstrap intervals")
    print(f"{'variant':28s} {'reached':>8s} {'median s':>9s} {'ERT s':>7s} {'best':>7s}  speed-up [95% CI]")
    for name, b in hits.items():
        s = speedup(ref, b, limit, rng=rng)
        print(f"{name:28s} {int(np.isfinite(b).sum()):>4d}/{b.size:<3d} {np.median(b):9.0f} {ert(b, limit):7.0f} "
              f"{runs[name][:, 2].mean():7.4f}  {s['speedup']:.2f} [{s['low']:.2f}, {s['high']:.2f}]")
    print(f"replayed in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
