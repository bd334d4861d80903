"""Several studies pooled by group (narrowing rounds, one study per optimizer, seeds), in pure pandas.

`comparison_data(exports, group=...)` builds the long frames the comparison figures draw (scored trials,
best so far on a grid, each study's best curve, one overview row per study); `comparison_table` gives per
group the mean and median score with bootstrap confidence intervals.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reports.data import study as S
from reports.data.stats import bootstrap_ci
from reports.load import StudyExport

log = logging.getLogger(__name__)

Grouping = Mapping[str, str] | Callable[[StudyExport], str] | None


@dataclass(frozen=True)
class ComparisonData:
    """Long frames over all studies: `trials` (group, study, number, value, diverged: scored trials),
    `history` (group, study, index, best: best-so-far sampled on a grid), `curves` (group, study, epoch,
    value: the metric of each study's best trial) and `overview` (one row per study)."""

    trials: pd.DataFrame
    history: pd.DataFrame
    curves: pd.DataFrame
    overview: pd.DataFrame
    direction: str


def _group_of(export: StudyExport, group: Grouping) -> str:
    if group is None:
        return export.study
    if callable(group):
        return str(group(export))
    return str(group.get(export.study, export.study))


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def comparison_data(
    exports: Sequence[StudyExport], *, group: Grouping = None, metric: str = "val_acc", points: int = 200
) -> ComparisonData:
    """Combine studies for comparison. `group` maps each study to a group label (a {study: label} mapping
    or a function of the StudyExport); None makes each study its own group."""
    directions = {e.direction for e in exports}
    if len(directions) > 1:
        log.warning("studies mix directions %s; using the first study's", sorted(directions))
    direction = exports[0].direction if exports else "maximize"
    trials, history, curves, overview = [], [], [], []
    for exp in exports:
        label = _group_of(exp, group)
        ok = S.scored(exp.trials)
        trials.append(pd.DataFrame({"group": label, "study": exp.study, "number": ok["number"].to_numpy(),
                                    "value": ok["value"].to_numpy(dtype=float),
                                    "diverged": ok["diverged"].to_numpy(dtype=bool)}))
        grid = best_so_far_grid(S.best_so_far(exp.trials, direction), points=points)
        history.append(grid.assign(group=label, study=exp.study))
        best = S.best_trial(exp.trials, direction)
        if best is not None:
            wide = S.curve_wide(exp.curves, metric, [best["number"]])
            if not wide.empty:
                row = wide.iloc[0].dropna()
                curves.append(pd.DataFrame({"group": label, "study": exp.study,
                                            "epoch": row.index.to_numpy(), "value": row.to_numpy()}))
        counts = S.state_counts(exp.trials)
        overview.append({
            "study": exp.study, "group": label, "seed": exp.meta.get("seed"), "trials": counts["TOTAL"],
            "complete": counts["COMPLETE"], "pruned": counts["PRUNED"], "fail": counts["FAIL"],
            "diverged": counts["DIVERGED"], "best": None if best is None else best["value"],
            "best trial": None if best is None else best["number"],
            "wall seconds": exp.meta.get("wall_seconds"), "parent": exp.meta.get("parent"),
        })
    return ComparisonData(
        trials=_concat(trials, ["group", "study", "number", "value", "diverged"]),
        history=_concat(history, ["group", "study", "index", "best"]),
        curves=_concat(curves, ["group", "study", "epoch", "value"]),
        overview=pd.DataFrame(overview),
        direction=direction,
    )


def comparison_table(
    frame: pd.DataFrame,
    *,
    rng: np.random.Generator,
    n_boot: int = 1000,
    level: float = 0.95,
    direction: str = "maximize",
) -> pd.DataFrame:
    """Per group: studies, trials, and the mean and median trial score with bootstrap CIs, plus the mean
    of each study's best score with its CI (across studies, e.g. seeds); no CI (NaN) from fewer than MIN_CI
    values.

    `frame` has one row per scored trial with columns `group`, `study`, `value`.
    """
    rows = []
    for group, sub in frame.groupby("group", sort=False):
        values = sub["value"].to_numpy(dtype=float)
        by_study = sub.groupby("study", sort=False)["value"]
        bests = (by_study.max() if S.maximizing(direction) else by_study.min()).to_numpy(dtype=float)
        mean_lo, mean_hi = bootstrap_ci(values, rng=rng, n_boot=n_boot, level=level)
        med_lo, med_hi = bootstrap_ci(values, rng=rng, stat=np.median, n_boot=n_boot, level=level)
        best_lo, best_hi = bootstrap_ci(bests, rng=rng, n_boot=n_boot, level=level)
        rows.append({
            "group": group, "studies": len(bests), "trials": len(values),
            "mean": float(np.mean(values)), "mean_ci_low": mean_lo, "mean_ci_high": mean_hi,
            "median": float(np.median(values)), "median_ci_low": med_lo, "median_ci_high": med_hi,
            "best_mean": float(np.mean(bests)), "best_ci_low": best_lo, "best_ci_high": best_hi,
        })
    return pd.DataFrame(rows)


def best_so_far_grid(history: pd.DataFrame, *, points: int = 200) -> pd.DataFrame:
    """Sample a `best_so_far` frame at <= `points` evenly spaced trial indices (for banded comparison
    curves): columns index, best."""
    if history.empty:
        return pd.DataFrame({"index": pd.Series(dtype=np.int64), "best": pd.Series(dtype=float)})
    n = len(history)
    idx = np.unique(np.linspace(1, n, num=min(points, n)).round().astype(np.int64))
    return pd.DataFrame({"index": idx, "best": history["best"].to_numpy()[idx - 1]})


def hold_best(history: pd.DataFrame) -> pd.DataFrame:
    """Each study's best so far held to the last index of its group: a study that finished fewer COMPLETE
    trials keeps its best (it does not drop out), so the group's mean does not jump where the set of studies
    behind it changes. `history`: group, study, index, best (as `ComparisonData.history`)."""
    if history.empty:
        return history
    parts = []
    for _, g in history.groupby("group", sort=False):
        grid = np.sort(g["index"].unique())
        for _, one in g.groupby("study", sort=False):
            one = one.sort_values("index")
            ahead = grid[grid > one["index"].iloc[-1]]
            held = pd.DataFrame({"index": ahead, "best": one["best"].iloc[-1]}).assign(
                group=one["group"].iloc[0], study=one["study"].iloc[0])
            parts.append(pd.concat([one, held[one.columns.intersection(held.columns)]], ignore_index=True)
                         if len(ahead) else one)
    return pd.concat(parts, ignore_index=True)
