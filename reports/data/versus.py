"""A user's own studies side by side (`hpsearch compare`: TPE vs random on their problem, before vs after a
change, one study per optimizer), in pure pandas.

`check_comparable` (one direction, one objective), `study_scores` (the same metric per study: the best
score, and the mean and median score of the COMPLETE trials with bootstrap CIs, none from fewer than 3
trials), `verdict` (a winner only when its interval excludes every other study's) and `settings_diff` (the
settings that differ between the studies). The page is `reports.pages.versus`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from reports.data import study as S
from reports.data.stats import MIN_CI, bootstrap_ci
from reports.load import StudyExport

__all__ = ["check_comparable", "objective_of", "settings_diff", "study_scores", "verdict"]

SETTINGS = ("objective", "sampler", "pruner", "seed", "n_trials", "dataset", "settings", "space")


def objective_of(exp: StudyExport) -> object:
    """The objective the study optimised (its spec's `objective`), or None."""
    return (exp.meta.get("spec") or {}).get("objective")


def check_comparable(exports: Sequence[StudyExport]) -> None:
    """ValueError (one line saying what differs) unless there are two or more studies of one direction and
    one objective (the same metric)."""
    if len(exports) < 2:
        raise ValueError(f"compare needs two or more studies; got {len(exports)}")
    directions = {e.study: e.direction for e in exports}
    if len(set(directions.values())) > 1:
        raise ValueError("the studies do not share a direction (" + ", ".join(f"{k}: {v}" for k, v in
                         directions.items()) + "); compare studies that optimise the same way")
    objectives = {e.study: objective_of(e) for e in exports}
    if len({str(v) for v in objectives.values()}) > 1:
        raise ValueError("the studies measure different metrics (objectives " + ", ".join(
            f"{k}: {v}" for k, v in objectives.items()) + "); compare studies of one objective")


def study_scores(exports: Sequence[StudyExport], *, rng: np.random.Generator, n_boot: int = 1000) -> pd.DataFrame:
    """Per study: trials, COMPLETE, pruned, diverged, the best score (in the study's direction; one search,
    so no interval), and the mean and median score of the COMPLETE trials with 95% percentile-bootstrap CIs
    (NaN from fewer than MIN_CI trials)."""
    rows = []
    for exp in exports:
        ok = S.scored(exp.trials)["value"].to_numpy(dtype=float)
        best = S.best_trial(exp.trials, exp.direction)
        counts = S.state_counts(exp.trials)
        lo, hi = bootstrap_ci(ok, rng=rng, n_boot=n_boot)
        mlo, mhi = bootstrap_ci(ok, rng=rng, n_boot=n_boot, stat=np.median)
        rows.append({"study": exp.study, "trials": int(counts["TOTAL"]), "complete": len(ok),
                     "pruned": int(counts[S.PRUNED]), "diverged": int(counts["DIVERGED"]),
                     "best": np.nan if best is None else float(best["value"]),
                     "best trial": None if best is None else int(best["number"]),
                     "mean": float(ok.mean()) if ok.size else np.nan, "mean_low": lo, "mean_high": hi,
                     "median": float(np.median(ok)) if ok.size else np.nan, "median_low": mlo, "median_high": mhi})
    return pd.DataFrame(rows)


def verdict(scores: pd.DataFrame, direction: str) -> tuple[str | None, str]:
    """(winner or None, one sentence) on the mean score of the COMPLETE trials: a winner only when its
    95% CI lies entirely on the better side of every other study's CI."""
    few = scores.loc[scores["mean_low"].isna(), "study"].tolist()
    if few:
        return None, (f"No clear winner: {', '.join(map(str, few))} ha{'s' if len(few) == 1 else 've'} fewer than "
                      f"{MIN_CI} COMPLETE trials, so no confidence interval.")
    maximize = not direction.lower().startswith("min")
    order = scores.sort_values("mean", ascending=not maximize)
    top, rest = order.iloc[0], order.iloc[1:]
    clear = (top["mean_low"] > rest["mean_high"]).all() if maximize else (top["mean_high"] < rest["mean_low"]).all()
    word = "higher" if maximize else "lower"
    if clear:
        return str(top["study"]), (f"{top['study']} wins: its mean score ({top['mean']:.4g}, 95% CI "
                                   f"[{top['mean_low']:.4g}, {top['mean_high']:.4g}]) is {word} than every other "
                                   "study's, and the intervals do not overlap.")
    return None, (f"No clear winner: {top['study']} has the {'highest' if maximize else 'lowest'} mean score "
                  f"({top['mean']:.4g}), but its 95% CI overlaps another study's.")


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out |= _flat(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return {prefix: value if not isinstance(value, list) else str(value)}


def settings_diff(exports: Sequence[StudyExport]) -> pd.DataFrame:
    """The settings (spec, sampler, pruner, seed, space) that differ between the studies: one row per
    setting, one column per study; settings every study shares are left out."""
    flat = []
    for exp in exports:
        spec = exp.meta.get("spec") or {}
        picked = {k: spec.get(k, exp.meta.get(k)) for k in SETTINGS}
        picked["space"] = exp.meta.get("space") or spec.get("space")
        flat.append(_flat(picked))
    keys = list(dict.fromkeys(k for f in flat for k in f))
    rows = [{"setting": k, **{e.study: f.get(k, "—") for e, f in zip(exports, flat, strict=True)}}
            for k in keys if len({repr(f.get(k, "—")) for f in flat}) > 1]
    return pd.DataFrame(rows, columns=["setting", *[e.study for e in exports]])
