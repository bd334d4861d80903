"""Which part of hpsearch-default costs it time on the real-size table? Ablations replayed on fashion-cnn.

Replays the method comparison of docs/benchmark.md ("The real-size comparison") on the shipped table
`bench/tables/table-fashion-cnn.npz` (the table's recorded seconds, no training) for hpsearch-default with
one part changed at a time: no prior configurations, the cost schedule's first rung 3 times later or 3 times
earlier, a reduction factor of 2 instead of 3, and no priors with the first rung 3 times later; beside it the
reference (Optuna's TPE + Hyperband) and random search. For each: how many seeds reach 0.92 validation, the
median and the ERT of the seconds to get there, the mean best value, and the speed-up over TPE + Hyperband
with a 95% bootstrap interval, through the comparison's own metrics (hpsearch.benchmark.metrics: every run is
judged within the same seconds, the least any run spent within the budget).

An explanation of the measured comparison, not a tuning: the variants are judged on the very table the
default is compared on, so a variant that wins here is a hypothesis for a live search, not a new default.

Run:  python bench/ablate_default.py --seeds 20   (under a minute on one core)
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
import pandas as pd

from hpsearch.benchmark import realsize  # noqa: F401  (registers the fashion-cnn task)
from hpsearch.benchmark.methods import get_method
from hpsearch.benchmark.metrics import add_traces, budget_to_target, time_to_target
from hpsearch.benchmark.procedures import WarmStart
from hpsearch.benchmark.replay import replay_run
from hpsearch.benchmark.table import Table
from hpsearch.benchmark.tasks import get_task
from hpsearch.environment import machine
from hpsearch.samplers.asha import CostSchedule

TABLE = Path(__file__).resolve().parent / "tables" / "table-fashion-cnn.npz"
TARGET = 0.92
BUDGET = 40  # trials' worth of epochs, as the comparison's --budget
REFERENCE = "tpe-hyperband (reference)"


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=20, help="replay seeds per variant (default 20)")
    args = ap.parse_args()
    if args.seeds < 2:
        ap.error(f"--seeds {args.seeds} is too few for an interval; give 2 or more, e.g. 20")
    table, task = Table.load(TABLE), get_task("fashion-cnn")
    bare = dataclasses.replace(task, priors=())
    variants = {
        REFERENCE: ("tpe-hyperband", task, {}),
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
    trials, runs = [], []
    for name, (method, variant_task, change) in variants.items():
        with schedule_changed(**change):
            for seed in range(args.seeds):
                rows, run = replay_run(table, variant_task, get_method(method), seed, budget=BUDGET)
                trials.append(rows.assign(method=name))
                runs.append({**run, "method": name})
    trials, runs = add_traces(pd.concat(trials, ignore_index=True)), pd.DataFrame(runs)
    b2t = budget_to_target(trials, runs, {task.name: TARGET}, axis="seconds")
    ttt = time_to_target(b2t, reference=REFERENCE, rng=np.random.default_rng(0))
    best = runs.groupby("method", sort=False)["best_value"].mean()
    print(f"seconds to {TARGET} within {float(ttt['limit'].iloc[0]):.0f} s (the comparison's limit); ERT and "
          "speed-up with 95% bootstrap intervals")
    print(f"{'variant':28s} {'reached':>8s} {'median s':>9s} {'ERT s':>7s} {'best':>7s}  speed-up [95% CI]")
    for r in ttt.itertuples():
        reached = round(r.success * r.runs)
        print(f"{r.method:28s} {reached:>4d}/{r.runs:<3d} {r.median:9.0f} {r.ert:7.0f} {best[r.method]:7.4f}  "
              f"{r.speedup:.2f} [{r.speedup_low:.2f}, {r.speedup_high:.2f}]")
    print(f"replayed in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
