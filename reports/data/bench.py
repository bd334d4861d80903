"""The benchmark page's tables in pure pandas, from a benchmark export's frames (`reports.load.load_benchmark`):
time to target per method, the fastest method per task with its speed-up and verdict, final scores, ranks.

Intervals are written as text ('mid [low, high]'); none from fewer than MIN_CI seeds, and a verdict names a
faster or slower method only when the speed-up's CI excludes 1.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from reports.data.stats import MIN_CI

NEVER = "never reached the target"  # a method no seed of which reached it has no speed-up, not one of 0

__all__ = ["NEVER", "ci_cell", "degenerate_note", "final_table", "rank_table", "speedup_verdict", "task_summary",
           "time_table"]


def ci_cell(mid: Any, low: Any, high: Any, spec: str = ".3f", n: Any = None) -> str:
    """A table cell 'mid [low, high]'; 'mid (no CI: n seeds < 3)' when the interval rests on fewer than MIN_CI
    seeds."""
    def one(v: Any) -> str:
        v = float("nan") if v is None else float(v)
        return "—" if math.isnan(v) else ("inf" if math.isinf(v) else format(v, spec))
    if n is not None and not pd.isna(n) and int(n) < MIN_CI:
        return f"{one(mid)} (no CI: {int(n)} seed{'s' if int(n) != 1 else ''} < {MIN_CI})"
    if _degenerate(mid, low, high):
        return f"{one(mid)} (no spread: every seed the same; see the note)"
    return f"{one(mid)} [{one(low)}, {one(high)}]"


def _degenerate(mid: Any, low: Any, high: Any) -> bool:
    """A zero-width interval around a finite value: every seed gave the same number, so the interval says
    nothing about the uncertainty (e.g. a sampler that fell back to the same points on every seed)."""
    values = [float("nan") if v is None else float(v) for v in (mid, low, high)]
    return all(math.isfinite(v) for v in values) and values[1] == values[2]


def degenerate_note(table: pd.DataFrame) -> str | None:
    """The note for a table holding zero-width intervals (None without): what they mean and why they happen."""
    cells = [c for col in table.columns for c in table[col] if isinstance(c, str) and "no spread" in c]
    if not cells:
        return None
    return (f"{len(cells)} interval(s) have no width: every seed ended with the same number, so no uncertainty "
            "can be estimated from them. It happens when the seeds do not change what is measured, e.g. a "
            "sampler that falls back to the same points on every seed, or a target every seed reaches at the "
            "same step; read such a value as one observation repeated, not as a certainty.")


REFERENCE = "1 (the reference)"  # the reference's speed-up over itself: 1 by definition, no interval


def time_table(ttt: pd.DataFrame, axis: str, reference: str | None = None) -> pd.DataFrame:
    """The time-to-target table of one axis, readable: CIs as '[low, high]' text; the ``reference`` method's
    speed-up over itself is written as such, not as an interval."""
    data = ttt.loc[ttt["axis"] == axis]
    spec = ".0f" if axis == "epochs" else ".1f"

    def speedup(m: str, mid: Any, lo: Any, hi: Any, n: Any, s: float) -> str:
        return REFERENCE if m == reference else NEVER if s == 0 else ci_cell(mid, lo, hi, ".2f", n)

    def verdict(m: str, lo: Any, hi: Any, n: Any, s: float) -> str:
        return "the reference" if m == reference else NEVER if s == 0 else speedup_verdict(lo, hi, n)

    return pd.DataFrame({
        "task": data["task"], "method": data["method"], "target": data["target"].round(4),
        "reached": [f"{s:.0%}" for s in data["success"]],
        f"median {axis} [q25, q75]": [ci_cell(*r, spec=spec) for r in zip(data["median"], data["q25"], data["q75"],
                                                                          strict=True)],
        f"ERT {axis} [95% CI]": [ci_cell(m, lo, hi, spec, n) for m, lo, hi, n in zip(
            data["ert"], data["ert_low"], data["ert_high"], data["runs"], strict=True)],
        "speed-up [95% CI]": [speedup(*r) for r in zip(data["method"], data["speedup"], data["speedup_low"],
                                                       data["speedup_high"], data["runs"], data["success"],
                                                       strict=True)],
        "verdict": [verdict(*r) for r in zip(data["method"], data["speedup_low"], data["speedup_high"], data["runs"],
                                             data["success"], strict=True)],
        # the in-cell bar of the speed-up; a method that never reached the target has none ("—"), not 0
        "speedup": data["speedup"].where(data["success"] > 0),
    })


def speedup_verdict(low: Any, high: Any, runs: Any) -> str:
    """The verdict of a speed-up over the reference: only a CI that excludes 1 says faster or slower."""
    low, high = (float("nan") if v is None else float(v) for v in (low, high))
    if pd.isna(runs) or int(runs) < MIN_CI or math.isnan(low) or math.isnan(high):
        return f"no CI (fewer than {MIN_CI} seeds): no clear winner"
    if low > 1:
        return "faster (CI above 1)"
    if high < 1:
        return "slower (CI below 1)"
    return "no clear winner (CI spans 1)"


def task_summary(ttt: pd.DataFrame, reference: str = "random") -> pd.DataFrame:
    """Per task: the fastest method to the target (largest ERT speed-up in epochs over the reference), its
    speed-up with CI and whether the CI excludes 1."""
    data = ttt.loc[(ttt["axis"] == "epochs") & (ttt["method"] != reference)]
    data = data.loc[np.isfinite(data["speedup"].to_numpy(dtype=float)) & (data["success"] > 0)]
    rows = []
    for task, g in data.groupby("task", sort=False):
        best = g.sort_values(["speedup", "ert"], ascending=[False, True], kind="stable").iloc[0]
        ref = ttt.loc[(ttt["task"] == task) & (ttt["axis"] == "epochs") & (ttt["method"] == reference), "ert"]
        rows.append({"task": task, "target": round(float(best["target"]), 4), "fastest": best["method"],
                     f"ERT {reference} (epochs)": float(ref.iloc[0]) if len(ref) else np.nan,
                     "ERT fastest (epochs)": float(best["ert"]),
                     "speed-up [95% CI]": ci_cell(best["speedup"], best["speedup_low"], best["speedup_high"], ".2f",
                                                  best["runs"]),
                     "verdict": speedup_verdict(best["speedup_low"], best["speedup_high"], best["runs"])})
    return pd.DataFrame(rows, columns=["task", "target", "fastest", f"ERT {reference} (epochs)",
                                       "ERT fastest (epochs)", "speed-up [95% CI]", "verdict"])


def final_table(final: pd.DataFrame) -> pd.DataFrame:
    cols = {}
    for kind, label in (("val", "validation"), ("test", "test")):
        cols[f"{label} IQM [95% CI]"] = [ci_cell(*r) for r in zip(final[f"{kind}_iqm"], final[f"{kind}_iqm_low"],
                                                                  final[f"{kind}_iqm_high"], [".3f"] * len(final),
                                                                  final[f"{kind}_n"], strict=True)]
        cols[f"{label} median [q25, q75]"] = [ci_cell(*r) for r in zip(final[f"{kind}_median"], final[f"{kind}_q25"],
                                                                       final[f"{kind}_q75"], strict=True)]
    return pd.DataFrame({"task": final["task"], "method": final["method"], "seeds": final["val_n"], **cols})


def rank_table(ranking: pd.DataFrame, criterion: str) -> pd.DataFrame:
    """Methods x tasks ranks under one criterion, with the mean rank; best mean rank first."""
    g = ranking.loc[ranking["criterion"] == criterion]
    if g.empty:
        return pd.DataFrame()
    wide = g.pivot_table(index="method", columns="task", values="rank", aggfunc="first", sort=False)
    wide["mean rank"] = wide.mean(axis=1)
    return wide.sort_values("mean rank").reset_index()
