"""A search's final pick, in pure pandas: its test scores over the retraining seeds, the warm start it was
searched from, and the time-based scheduling that ran it (the data under the full-size page's "Result",
"Warm start" and "Scheduling" sections).

The inputs are the export's ``meta["final"]``, ``meta["priors"]`` and ``meta["schedule"]`` (docs/hpsearch.md,
"Export schema"). An older final record holds only ``test_acc`` (one seed); it reads as one seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reports.data.stats import MIN_CI, t_interval

__all__ = ["FinalScores", "final_scores", "prior_configs", "prior_box", "schedule_rows"]

LEVEL = 0.95  # the level of the interval over seeds


@dataclass(frozen=True)
class FinalScores:
    """The final pick's test accuracy per retraining seed (`per_seed`: seed, test_acc, train_seconds; seed
    None when the record does not say), their mean, sample standard deviation (None from one seed), min and
    max, and the t-based `LEVEL` interval of the mean over seeds (None from fewer than MIN_CI seeds)."""

    per_seed: pd.DataFrame
    mean: float
    std: float | None
    low: float
    high: float
    ci: tuple[float, float] | None

    @property
    def n(self) -> int:
        return len(self.per_seed)


def _as_list(value: object, n: int) -> list[object]:
    values = list(value) if isinstance(value, list | tuple) else []
    return values if len(values) == n else [None] * n


def final_scores(final: Mapping) -> FinalScores:
    """The test scores of a final record (`test_per_seed`, `seeds`, `seconds_per_seed`; an older record's
    single `test_acc` and `seed`)."""
    scores = [float(v) for v in final.get("test_per_seed") or [final["test_acc"]]]
    n = len(scores)
    seeds = _as_list(final.get("seeds"), n)
    if n == 1 and seeds == [None] and final.get("seed") is not None:
        seeds = [final["seed"]]
    seconds = _as_list(final.get("seconds_per_seed"), n)
    if n == 1 and seconds == [None] and final.get("train_seconds") is not None:
        seconds = [final["train_seconds"]]
    per_seed = pd.DataFrame({"seed": pd.Series(seeds, dtype=object), "test_acc": scores,
                             "train_seconds": pd.to_numeric(pd.Series(seconds, dtype=object), errors="coerce")})
    x = np.asarray(scores, dtype=float)
    low, high = t_interval(x, level=LEVEL)
    return FinalScores(
        per_seed=per_seed, mean=float(x.mean()), std=float(np.std(x, ddof=1)) if n > 1 else None,
        low=float(x.min()), high=float(x.max()), ci=(low, high) if n >= MIN_CI and np.isfinite(low) else None)


def prior_configs(priors: Mapping | None) -> pd.DataFrame:
    """The warm start's configurations: source, params (as "name=value, ..." in the record's order)."""
    rows = []
    for config in (priors or {}).get("configs") or []:
        params = config.get("params") or {}
        rows.append({"source": str(config.get("source", "")),
                     "params": ", ".join(f"{k}={_short(v)}" for k, v in params.items())})
    return pd.DataFrame(rows, columns=["source", "params"])


def prior_box(priors: Mapping | None) -> pd.DataFrame:
    """The box the warm start searched in: param, low, high (empty when there is none)."""
    box = (priors or {}).get("box") or {}
    rows = [{"param": name, "low": bounds[0], "high": bounds[1]} for name, bounds in box.items()]
    return pd.DataFrame(rows, columns=["param", "low", "high"])


def schedule_rows(schedule: Mapping | None) -> list[tuple[str, str]]:
    """The time-based scheduling as (name, value) rows in words; empty without a schedule."""
    if not schedule:
        return []
    unit = " s" if schedule.get("resource") == "seconds" else ""
    rungs = schedule.get("rungs") or []
    cap = schedule.get("max_trial_seconds")
    return [
        ("pruner", str(schedule.get("pruner"))),
        ("resource", str(schedule.get("resource"))),
        ("first rung (min resource)", f"{_short(schedule.get('min_resource'))}{unit}"),
        ("reduction factor", str(schedule.get("reduction_factor"))),
        ("rungs", ", ".join(f"{_short(r)}{unit}" for r in rungs) or "none"),
        ("longest trial", "no cap" if cap is None else f"{_short(cap)} s"),
        ("end game", _endgame(schedule)),
    ]


def _endgame(schedule: Mapping) -> str:
    """The budget's end game: seconds at the end in which no trial starts (``endgame_seconds``), or whether the
    rules that no trial starts that cannot reach its first rung before the deadline and that a trial that
    cannot finish by then stops are on (``endgame``)."""
    if schedule.get("endgame_seconds") is not None:
        return f"no new trial starts in the last {_short(schedule['endgame_seconds'])} s"
    if schedule.get("endgame") is None:
        return "not recorded"
    return ("on: no trial starts that cannot reach its first rung before the deadline, and a trial whose pace "
            "says it cannot finish by then stops (pruned, stopped by the end game)" if schedule["endgame"] else "off")


def _short(value: object) -> str:
    """A number in at most 4 significant digits (1e-05, 0.001234, 120); anything else as its text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:.4g}"
