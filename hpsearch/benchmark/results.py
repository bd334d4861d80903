"""The tidy results of a benchmark: one row per trial (``trials``) and one per run (``runs``), plus metadata.

A run's raw trials (in completion order, with ``state``, ``value``, ``diverged``, ``epochs``, ``seconds`` and
``param_<name>`` columns) become its rows by :func:`run_frames`, whichever way they were produced (live
training or replay), so every metric treats both modes alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hpsearch.benchmark.methods import Method
from hpsearch.benchmark.metrics import add_traces
from hpsearch.benchmark.tasks import Task

__all__ = ["BenchmarkResult", "run_frames", "TRIAL_COLUMNS", "RUN_COLUMNS"]

TRIAL_COLUMNS = ["task", "method", "seed", "order", "round", "study", "number", "state", "value", "diverged",
                 "epochs", "seconds", "train_seed", "replicate"]  # then cum_epochs, cum_seconds, best, in_budget,
#                                                                  and the param_<name> columns
RUN_COLUMNS = ["task", "method", "sampler", "pruner", "seed", "budget_trials", "budget_epochs", "trials",
               "complete", "pruned", "diverged", "epochs_used", "seconds_used", "wall_seconds", "best_value",
               "best_order", "test_acc"]  # then the chosen configuration's param_<name> columns


@dataclass
class BenchmarkResult:
    """``trials`` and ``runs`` (see the column lists above) and ``meta`` (plain data)."""

    trials: pd.DataFrame
    runs: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def combine(cls, parts: list[tuple[pd.DataFrame, dict[str, Any]]], meta: dict[str, Any]) -> BenchmarkResult:
        trials = pd.concat([p[0] for p in parts], ignore_index=True) if parts else pd.DataFrame()
        runs = pd.DataFrame([p[1] for p in parts])
        return cls(trials=trials, runs=runs, meta=meta)


def _params(row: pd.Series) -> dict[str, Any]:
    return {c[len("param_"):]: v for c, v in row.items()
            if str(c).startswith("param_") and not (isinstance(v, float) and np.isnan(v))}


def run_frames(raw: pd.DataFrame, task: Task, method: Method, seed: int, *, budget: int, wall: float,
               test_of: Callable[[pd.Series], float]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One run's tidy trial rows and its run row. ``raw`` holds the finished trials in completion order;
    ``test_of(best_row)`` scores the chosen configuration (the best COMPLETE trial within the epoch budget,
    earliest on ties) on the test split."""
    df = raw.reset_index(drop=True).copy()
    df.insert(0, "task", task.name)
    df.insert(1, "method", method.name)
    df.insert(2, "seed", int(seed))
    df.insert(3, "order", np.arange(1, len(df) + 1))
    for col, default in (("round", 1), ("study", ""), ("number", -1), ("train_seed", -1), ("replicate", -1)):
        if col not in df.columns:
            df[col] = default
    params = [c for c in df.columns if str(c).startswith("param_")]
    df = add_traces(df[[*TRIAL_COLUMNS, *params]])
    budget_epochs = float(budget * task.settings.epochs)
    df["in_budget"] = df["cum_epochs"] <= budget_epochs + 1e-9
    df = df[[*TRIAL_COLUMNS, "cum_epochs", "cum_seconds", "best", "in_budget", *params]]
    inside = df.loc[df["in_budget"]]
    scored = inside.loc[inside["state"] == "COMPLETE"]
    run: dict[str, Any] = {
        "task": task.name, "method": method.name, "sampler": method.sampler, "pruner": method.pruner,
        "seed": int(seed), "budget_trials": int(budget), "budget_epochs": budget_epochs, "trials": len(inside),
        "complete": int((inside["state"] == "COMPLETE").sum()), "pruned": int((inside["state"] == "PRUNED").sum()),
        "diverged": int(inside["diverged"].sum()),
        "epochs_used": float(inside["cum_epochs"].iloc[-1]) if len(inside) else 0.0,
        "seconds_used": float(inside["cum_seconds"].iloc[-1]) if len(inside) else 0.0,
        "wall_seconds": float(wall), "best_value": np.nan, "best_order": -1, "test_acc": np.nan,
    }
    if len(scored):
        best = scored.loc[scored["value"].idxmax()]  # idxmax: the first (earliest) maximum
        run["best_value"] = float(best["value"])
        run["best_order"] = int(best["order"])
        run["test_acc"] = float(test_of(best))
        run.update({f"param_{k}": v for k, v in _params(best).items()})
    return df, run
