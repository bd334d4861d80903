"""Benchmark metrics: pure pandas/numpy over the tidy trials and runs frames (no Optuna, no files).

A *run* is one (task, method, seed). Its trials, in completion order, spend a budget counted in epochs (each
trial its ``epochs`` run: pruned and diverged trials spend fewer) and in seconds. Definitions:

* best so far: the best ``value`` among the run's COMPLETE trials finished within a budget x (NaN before the
  first); ``final`` is the best within the whole epoch budget;
* target of a task: the LOWER median of the reference method's (the book's random search) final best scores,
  so at least half of the reference runs reach it;
* budget to target: the budget spent when the first COMPLETE trial scoring >= target finished; infinite when
  no trial within the limit reaches it (a censored run);
* ERT (expected running time, as in the COCO benchmarking platform): the budget all runs spent, each up to its
  success or else the whole limit, divided by the number of successes; finite whenever one run succeeds;
* speed-up of a method over the reference: ERT(reference) / ERT(method), with a percentile-bootstrap CI that
  resamples each method's runs (seeds) independently, the target held fixed;
* aggregates across seeds: IQM (mean of the middle 50%: int(n/4) values cut at each end) with a bootstrap CI,
  and the median with its quartiles;
* performance profile: for each method, the fraction of tasks on which its ERT is within a factor tau of the
  best method's ERT on that task (Dolan and More).

Every bootstrap draws from an explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "RUN", "iqm", "bootstrap", "aggregate", "add_traces", "limits", "best_so_far", "curve_summary",
    "final_scores", "targets", "budget_to_target", "ert", "speedup", "time_to_target", "performance_profile",
    "ranking",
]

RUN = ["task", "method", "seed"]
AXIS_COLUMNS = {"epochs": "cum_epochs", "seconds": "cum_seconds"}
_QUANTILE = "inverted_cdf"  # no interpolation: well defined when some values are infinite


def iqm(values: np.ndarray, axis: int = 0) -> np.ndarray | float:
    """Interquartile mean along ``axis``: sort, cut int(n/4) values at each end, average the rest."""
    a = np.sort(np.asarray(values, dtype=float), axis=axis)
    n = a.shape[axis]
    k = n // 4
    return np.take(a, np.arange(k, n - k), axis=axis).mean(axis=axis)


def bootstrap(values: np.ndarray, stat, *, rng: np.random.Generator, n_boot: int = 2000, level: float = 0.95
              ) -> tuple[np.ndarray, np.ndarray]:
    """Percentile-bootstrap CI of ``stat(sample, axis=1)`` over the rows of ``values`` (runs x columns, or a
    1-D array of runs). Returns (low, high) arrays (scalars for 1-D input)."""
    x = np.asarray(values, dtype=float)
    one = x.ndim == 1
    x = x[:, None] if one else x
    n = x.shape[0]
    if n == 0:
        nan = np.full(x.shape[1], np.nan)
        return (nan[0], nan[0]) if one else (nan, nan)
    idx = rng.integers(0, n, size=(int(n_boot), n))
    stats = np.asarray(stat(x[idx], axis=1))
    alpha = (1.0 - level) / 2.0
    low, high = np.quantile(stats, [alpha, 1.0 - alpha], axis=0, method=_QUANTILE)
    return (float(low[0]), float(high[0])) if one else (low, high)


def aggregate(values: Sequence[float], *, rng: np.random.Generator, n_boot: int = 2000) -> dict[str, float]:
    """n, IQM with its bootstrap CI, median with quartiles (NaN values dropped)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return dict.fromkeys(("n", "iqm", "iqm_low", "iqm_high", "median", "q25", "q75"), np.nan) | {"n": 0}
    low, high = bootstrap(x, iqm, rng=rng, n_boot=n_boot)
    q25, med, q75 = np.quantile(x, [0.25, 0.5, 0.75])
    return {"n": int(x.size), "iqm": float(iqm(x)), "iqm_low": low, "iqm_high": high, "median": float(med),
            "q25": float(q25), "q75": float(q75)}


def add_traces(trials: pd.DataFrame) -> pd.DataFrame:
    """Sort by run and ``order`` and add ``cum_epochs``, ``cum_seconds`` and ``best`` (running best of the
    COMPLETE trials' values; NaN before the first)."""
    out = trials.sort_values([*RUN, "order"], kind="stable").reset_index(drop=True)
    groups = out.groupby(RUN, sort=False)
    out["cum_epochs"] = groups["epochs"].cumsum().astype(float)
    out["cum_seconds"] = groups["seconds"].cumsum().astype(float)
    complete = out["value"].where(out["state"] == "COMPLETE")
    out["best"] = complete.groupby([out[k] for k in RUN], sort=False).cummax()
    out["best"] = out.groupby(RUN, sort=False)["best"].ffill()
    return out


def limits(runs: pd.DataFrame, axis: str) -> dict[str, float]:
    """The budget limit of each task: its epoch budget, or (seconds) the least any of its runs spent within
    the epoch budget, so every run is observed up to it."""
    column = "budget_epochs" if axis == "epochs" else "seconds_used"
    agg = runs.groupby("task")[column].min()
    return {str(k): float(v) for k, v in agg.items()}


def _within(trials: pd.DataFrame, runs: pd.DataFrame, axis: str) -> pd.DataFrame:
    budget = trials["task"].map(runs.groupby("task")["budget_epochs"].min())
    ok = trials["cum_epochs"] <= budget + 1e-9
    if axis == "seconds":
        ok &= trials["cum_seconds"] <= trials["task"].map(limits(runs, "seconds")) + 1e-9
    return trials.loc[ok]


def best_so_far(trials: pd.DataFrame, runs: pd.DataFrame, *, axis: str = "epochs", points: int = 101
                ) -> pd.DataFrame:
    """Best so far at ``points`` budgets from 0 to each task's limit: task, method, seed, x, best."""
    col = AXIS_COLUMNS[axis]
    lim = limits(runs, axis)
    parts = []
    for key, g in trials.groupby(RUN, sort=False):
        x = np.linspace(0.0, lim[str(key[0])], points)
        cum = g[col].to_numpy(dtype=float)
        best = g["best"].to_numpy(dtype=float)
        pos = np.searchsorted(cum, x + 1e-9, side="right") - 1
        vals = np.where(pos >= 0, best[np.clip(pos, 0, None)], np.nan)
        parts.append(pd.DataFrame({"task": key[0], "method": key[1], "seed": key[2], "x": x, "best": vals}))
    cols = [*RUN, "x", "best"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def curve_summary(curves: pd.DataFrame, *, rng: np.random.Generator, n_boot: int = 2000) -> pd.DataFrame:
    """Per task, method and budget x: the runs with a value (``n`` of ``runs``) and, once every run has a
    value (NaN before: an aggregate over the lucky early runs only would mislead), the IQM with its bootstrap
    CI, the median and the quartiles."""
    rows = []
    for (task, method), g in curves.groupby(["task", "method"], sort=False):
        mat = g.pivot_table(index="seed", columns="x", values="best", aggfunc="first", dropna=False)
        xs, m = mat.columns.to_numpy(dtype=float), mat.to_numpy(dtype=float)
        full = ~np.isnan(m).any(axis=0)
        nan = np.full(len(xs), np.nan)
        stats = {k: nan.copy() for k in ("iqm", "iqm_low", "iqm_high", "q25", "median", "q75")}
        if full.any():
            sub = m[:, full]
            stats["iqm"][full] = iqm(sub, axis=0)
            stats["iqm_low"][full], stats["iqm_high"][full] = bootstrap(sub, iqm, rng=rng, n_boot=n_boot)
            q = np.quantile(sub, [0.25, 0.5, 0.75], axis=0)
            stats["q25"][full], stats["median"][full], stats["q75"][full] = q
        rows.append(pd.DataFrame({"task": task, "method": method, "x": xs,
                                  "n": (~np.isnan(m)).sum(axis=0), "runs": m.shape[0], **stats}))
    cols = ["task", "method", "x", "n", "runs", "iqm", "iqm_low", "iqm_high", "median", "q25", "q75"]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)


def final_scores(runs: pd.DataFrame, *, rng: np.random.Generator, n_boot: int = 2000) -> pd.DataFrame:
    """Per task and method: aggregates of the final best validation score and of the chosen configuration's
    test score (columns ``val_*`` and ``test_*``)."""
    rows = []
    for (task, method), g in runs.groupby(["task", "method"], sort=False):
        val = aggregate(g["best_value"], rng=rng, n_boot=n_boot)
        test = aggregate(g["test_acc"], rng=rng, n_boot=n_boot)
        rows.append({"task": task, "method": method, **{f"val_{k}": v for k, v in val.items()},
                     **{f"test_{k}": v for k, v in test.items()}})
    return pd.DataFrame(rows)


def targets(runs: pd.DataFrame, reference: str = "random") -> dict[str, float]:
    """Per task: the lower median of the reference method's final best scores (of all runs when the
    reference did not run on the task)."""
    out = {}
    for task, g in runs.groupby("task", sort=False):
        ref = g.loc[g["method"] == reference, "best_value"].dropna()
        values = ref if len(ref) else g["best_value"].dropna()
        out[str(task)] = float(np.quantile(values, 0.5, method="lower")) if len(values) else np.nan
    return out


def budget_to_target(trials: pd.DataFrame, runs: pd.DataFrame, goal: Mapping[str, float], *,
                     axis: str = "epochs") -> pd.DataFrame:
    """Per run: task, method, seed, target, budget (the first success; inf if none within the limit), limit."""
    col = AXIS_COLUMNS[axis]
    lim = limits(runs, axis)
    inside = _within(trials, runs, axis)
    rows = []
    for key in runs[RUN].itertuples(index=False, name=None):
        task = str(key[0])
        g = inside.loc[(inside["task"] == key[0]) & (inside["method"] == key[1]) & (inside["seed"] == key[2])]
        hit = g.loc[(g["state"] == "COMPLETE") & (g["value"] >= goal[task] - 1e-9), col]
        rows.append({"task": key[0], "method": key[1], "seed": key[2], "target": goal[task],
                     "budget": float(hit.iloc[0]) if len(hit) else np.inf, "limit": lim[task]})
    return pd.DataFrame(rows, columns=[*RUN, "target", "budget", "limit"])


def ert(budgets: np.ndarray, limit: float, axis: int = -1) -> np.ndarray | float:
    """Expected running time: sum(min(budget, limit)) / successes (inf without a success)."""
    b = np.asarray(budgets, dtype=float)
    ok = np.isfinite(b)
    spent = np.where(ok, b, limit).sum(axis=axis)
    hits = ok.sum(axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(hits > 0, spent / np.maximum(hits, 1), np.inf)


def speedup(ref: np.ndarray, other: np.ndarray, limit: float, *, rng: np.random.Generator, n_boot: int = 2000,
            level: float = 0.95) -> dict[str, float]:
    """ERT(ref) / ERT(other) with a percentile-bootstrap CI (each side's runs resampled independently)."""
    ref, other = np.asarray(ref, dtype=float), np.asarray(other, dtype=float)
    if ref.size == 0 or other.size == 0:
        return {"speedup": np.nan, "low": np.nan, "high": np.nan}
    with np.errstate(divide="ignore", invalid="ignore"):
        point = float(ert(ref, limit) / ert(other, limit))
        a = ert(ref[rng.integers(0, ref.size, (n_boot, ref.size))], limit)
        b = ert(other[rng.integers(0, other.size, (n_boot, other.size))], limit)
        ratios = np.where(np.isinf(a) & np.isinf(b), np.nan, a / b)
    ratios = ratios[~np.isnan(ratios)]
    alpha = (1.0 - level) / 2.0
    if ratios.size == 0:
        return {"speedup": point, "low": np.nan, "high": np.nan}
    low, high = np.quantile(ratios, [alpha, 1.0 - alpha], method=_QUANTILE)
    return {"speedup": point, "low": float(low), "high": float(high)}


def time_to_target(b2t: pd.DataFrame, *, reference: str = "random", rng: np.random.Generator,
                   n_boot: int = 2000) -> pd.DataFrame:
    """Per task and method: target, success rate, median budget to target with quartiles, ERT with its
    bootstrap CI, and the speed-up over the reference with its CI. ``b2t`` is one axis of
    :func:`budget_to_target`."""
    rows = []
    for (task, method), g in b2t.groupby(["task", "method"], sort=False):
        b = g["budget"].to_numpy(dtype=float)
        limit = float(g["limit"].iloc[0])
        e_low, e_high = bootstrap(b, lambda s, axis, lim=limit: ert(s, lim, axis=axis), rng=rng, n_boot=n_boot)
        ref = b2t.loc[(b2t["task"] == task) & (b2t["method"] == reference), "budget"].to_numpy(dtype=float)
        sp = speedup(ref, b, limit, rng=rng, n_boot=n_boot)
        q25, med, q75 = np.quantile(b, [0.25, 0.5, 0.75], method=_QUANTILE)
        rows.append({"task": task, "method": method, "target": float(g["target"].iloc[0]), "runs": len(b),
                     "success": float(np.isfinite(b).mean()), "median": float(med), "q25": float(q25),
                     "q75": float(q75), "ert": float(ert(b, limit)), "ert_low": e_low, "ert_high": e_high,
                     "speedup": sp["speedup"], "speedup_low": sp["low"], "speedup_high": sp["high"],
                     "limit": limit})
    return pd.DataFrame(rows)


def performance_profile(ttt: pd.DataFrame, *, taus: Sequence[float] | None = None) -> pd.DataFrame:
    """Fraction of tasks on which each method's ERT is within tau of the best ERT on the task: method, tau,
    fraction. ``ttt`` is :func:`time_to_target`'s frame (columns task, method, ert)."""
    best = ttt.groupby("task")["ert"].transform("min")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isfinite(ttt["ert"]), ttt["ert"] / best, np.inf)
    frame = ttt.assign(ratio=ratio)
    finite = ratio[np.isfinite(ratio)]
    top = max(2.0, float(finite.max()) * 1.05) if finite.size else 2.0
    taus = np.asarray(taus if taus is not None else np.geomspace(1.0, top, 60), dtype=float)
    n_tasks = frame["task"].nunique()
    rows = []
    for method, g in frame.groupby("method", sort=False):
        r = g["ratio"].to_numpy(dtype=float)
        rows += [{"method": method, "tau": float(t), "fraction": float((r <= t * (1 + 1e-12)).sum() / n_tasks)}
                 for t in taus]
    return pd.DataFrame(rows, columns=["method", "tau", "fraction"])


def ranking(final: pd.DataFrame, ttt: pd.DataFrame) -> pd.DataFrame:
    """Per method and task: rank by IQM final validation score (1 = best) and by ERT to the target (1 =
    fastest), ties averaged; long format task, method, criterion, rank."""
    a = final.assign(rank=final.groupby("task")["val_iqm"].rank(ascending=False, method="average"),
                     criterion="final score (IQM)")
    b = ttt.assign(rank=ttt.groupby("task")["ert"].rank(ascending=True, method="average"),
                   criterion="time to target (ERT)")
    cols = ["task", "method", "criterion", "rank"]
    return pd.concat([a[cols], b[cols]], ignore_index=True)
