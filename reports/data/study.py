"""One study's trials and curves in pure pandas: the data under the study page's summary, top-k table and
figures (states, best trial, top k, best so far, score against a parameter, time and seeds, curves as a
trials x epochs frame, parallel coordinates).

Every function takes DataFrames following the export schema (see `reports.load`) and returns a new
DataFrame, Series or plain value; nothing here draws or touches files. Intervals live in
`reports.data.stats`, several studies in `reports.data.compare`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reports.load import PARAM_PREFIX, STATES, param_names

COMPLETE = "COMPLETE"
PRUNED = "PRUNED"


def maximizing(direction: str) -> bool:
    """True unless `direction` (the export's "maximize" or "minimize") starts with "min"."""
    return not str(direction).lower().startswith("min")


def scored(trials: pd.DataFrame) -> pd.DataFrame:
    """COMPLETE trials with a finite value, in trial-number order."""
    mask = (trials["state"] == COMPLETE) & np.isfinite(trials["value"].to_numpy(dtype=float))
    return trials.loc[mask].sort_values("number", kind="stable")


def state_counts(trials: pd.DataFrame) -> pd.Series:
    """Trial counts: one entry per state (the five schema states first, always present), then
    `DIVERGED` (trials that diverged, whatever their state) and `TOTAL`."""
    counts = trials["state"].value_counts()
    order = list(STATES) + sorted(s for s in counts.index if s not in STATES)
    out = pd.Series({s: int(counts.get(s, 0)) for s in order}, dtype=np.int64)
    out["DIVERGED"] = int(trials["diverged"].sum())
    out["TOTAL"] = len(trials)
    return out


def slots_ran(trials: pd.DataFrame, meta: Mapping | None = None) -> dict[str, int | None]:
    """How many of the study's slots ran: `ran`, `slots` (the spec's n_trials, None when unknown) and `unused`
    (slots that never started). From meta (`slots_ran`, `unused_slots`, `n_trials`) when the export says;
    an older export, which still holds its never-started WAITING rows, counts its rows that are not WAITING."""
    meta = meta or {}
    slots = meta.get("n_trials")
    if meta.get("slots_ran") is not None:
        return {"ran": int(meta["slots_ran"]), "slots": slots, "unused": int(meta.get("unused_slots") or 0)}
    ran = int((trials["state"] != "WAITING").sum())
    return {"ran": ran, "slots": slots if slots is not None else len(trials), "unused": len(trials) - ran}


def slots_text(summary: Mapping[str, int | None]) -> str:
    """'20 of 300 slots ran (280 never started)' from :func:`slots_ran`."""
    if summary["slots"] is None:
        return f"{summary['ran']} slots ran"
    text = f"{summary['ran']} of {summary['slots']} slots ran"
    return text + (f" ({summary['unused']} never started)" if summary["unused"] else "")


def best_index(values: pd.Series, direction: str = "maximize") -> object:
    """The index label of the best value in `direction` (the first on ties)."""
    return values.idxmax() if maximizing(direction) else values.idxmin()


def best_trial(trials: pd.DataFrame, direction: str = "maximize") -> pd.Series | None:
    """The best COMPLETE trial (lowest number on ties), or None when no trial has a value."""
    ok = scored(trials)
    if ok.empty:
        return None
    values = ok["value"].to_numpy(dtype=float)
    pos = int(np.argmax(values) if maximizing(direction) else np.argmin(values))
    return ok.iloc[pos]


def trial_params(row: pd.Series) -> dict[str, object]:
    """The parameters a trial row actually has (conditional parameters that are NaN are left out)."""
    out: dict[str, object] = {}
    for column, value in row.items():
        if str(column).startswith(PARAM_PREFIX) and not pd.isna(value):
            out[str(column)[len(PARAM_PREFIX):]] = value
    return out


def top_k(trials: pd.DataFrame, k: int, direction: str = "maximize") -> pd.DataFrame:
    """The k best COMPLETE trials, best first (ties by trial number), with a 1-based `rank` column and the
    columns a reader needs: number, value, best_val_acc, diverged, evaluations_run (the export's
    `epochs_run`: it counts evaluations, several an epoch under some protocols), seconds, seed, params (named
    without their `param_` prefix unless that name is one of these columns), user attrs."""
    ok = scored(trials)
    ok = ok.sort_values(["value", "number"], ascending=[not maximizing(direction), True], kind="stable")
    ok = ok.head(max(int(k), 0))
    extra = [c for c in ok.columns if str(c).startswith(PARAM_PREFIX) or str(c).startswith("user_attr")]
    columns = ["number", "value", "best_val_acc", "diverged", "epochs_run", "seconds", "seed", *extra]
    out = ok[columns].reset_index(drop=True).rename(columns={"epochs_run": "evaluations_run"})
    # a parameter loses its prefix unless its name is taken (a grid's `seed` parameter beside the trial's seed)
    taken = {*columns, "evaluations_run"}
    out = out.rename(columns=lambda c: c[len(PARAM_PREFIX):]
                     if str(c).startswith(PARAM_PREFIX) and c[len(PARAM_PREFIX):] not in taken else c)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def best_so_far(trials: pd.DataFrame, direction: str = "maximize") -> pd.DataFrame:
    """Optimization history: COMPLETE trials in number order with `value`, `best` (running best),
    `diverged`, and `index` (1-based position among the scored trials)."""
    ok = scored(trials)
    values = ok["value"].astype(float)
    best = values.cummax() if maximizing(direction) else values.cummin()
    return pd.DataFrame({
        "number": ok["number"].to_numpy(),
        "index": np.arange(1, len(ok) + 1),
        "value": values.to_numpy(),
        "best": best.to_numpy(),
        "diverged": ok["diverged"].to_numpy(dtype=bool),
    })


def param_frame(trials: pd.DataFrame, name: str) -> pd.DataFrame:
    """Score against one parameter: COMPLETE trials that have the parameter -> number, x, value, diverged."""
    column = PARAM_PREFIX + name
    if column not in trials.columns:
        raise KeyError(f"no parameter {name!r}; the trials have {param_names(trials)}")
    ok = scored(trials)
    ok = ok.loc[ok[column].notna()]
    return pd.DataFrame({
        "number": ok["number"].to_numpy(),
        "x": ok[column].to_numpy(),
        "value": ok["value"].to_numpy(dtype=float),
        "diverged": ok["diverged"].to_numpy(dtype=bool),
    })


def time_summary(trials: pd.DataFrame, meta: Mapping | None = None) -> dict[str, float | int | None]:
    """Seconds: wall (meta), summed over trials, mean and median per trial; workers configured and seen."""
    meta = meta or {}
    seconds = trials["seconds"].to_numpy(dtype=float)
    seconds = seconds[np.isfinite(seconds)]
    wall = meta.get("wall_seconds")
    return {
        "wall_seconds": float(wall) if wall is not None else None,
        "trial_seconds_total": float(seconds.sum()),
        "trial_seconds_mean": float(seconds.mean()) if seconds.size else None,
        "trial_seconds_median": float(np.median(seconds)) if seconds.size else None,
        "n_workers": meta.get("n_workers"),
        "workers_seen": int(trials["worker"].nunique(dropna=True)),
    }


def seed_summary(trials: pd.DataFrame, meta: Mapping | None = None) -> dict[str, object]:
    """The study seed (meta) and the range and count of per-trial training seeds."""
    seeds = trials["seed"].dropna()
    return {
        "study_seed": (meta or {}).get("seed"),
        "trial_seeds": int(seeds.nunique()),
        "trial_seed_min": int(seeds.min()) if len(seeds) else None,
        "trial_seed_max": int(seeds.max()) if len(seeds) else None,
    }


def curve_wide(curves: pd.DataFrame, metric: str, numbers: object = None) -> pd.DataFrame:
    """One metric as a trials x epochs frame (index trial number, columns epoch; NaN where absent)."""
    sub = curves.loc[curves["metric"] == metric]
    if numbers is not None:
        sub = sub.loc[sub["number"].isin(list(numbers))]
    if sub.empty:
        return pd.DataFrame(dtype=float)
    return sub.pivot_table(index="number", columns="epoch", values="value", aggfunc="last")


@dataclass(frozen=True)
class ParallelData:
    """Parallel-coordinates data: `matrix` (trials x axes, each column in [0, 1], NaN where a trial lacks
    the parameter), the axis `names` (parameters, then "score"), `ticks` (low and high label per axis),
    and per trial `numbers`, `values` and `diverged`."""

    names: list[str]
    matrix: np.ndarray
    ticks: list[tuple[str, str]]
    numbers: np.ndarray
    values: np.ndarray
    diverged: np.ndarray


def _unit(x: np.ndarray) -> tuple[np.ndarray, float, float]:
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return np.full_like(x, np.nan), float("nan"), float("nan")
    low, high = float(finite.min()), float(finite.max())
    if high == low:
        return np.where(np.isfinite(x), 0.5, np.nan), low, high
    return (x - low) / (high - low), low, high


def parallel_frame(
    trials: pd.DataFrame,
    params: list[str],
    *,
    log: Collection[str] = (),
    categorical: Collection[str] = (),
) -> ParallelData:
    """Normalise the COMPLETE trials' parameters and score for parallel coordinates: log10 for `log`
    parameters, category codes (sorted labels) for `categorical` ones, min-max to [0, 1] per axis."""
    ok = scored(trials)
    columns, ticks = [], []
    for name in params:
        raw = ok[PARAM_PREFIX + name]
        if name in categorical:
            labels = sorted({str(v) for v in raw.dropna()}, key=lambda s: (len(s), s))
            text = raw.astype(object).map(str).where(raw.notna(), None)
            codes = pd.Categorical(text, categories=labels).codes
            x = np.where(codes >= 0, codes, np.nan).astype(float)
            norm = x / (len(labels) - 1) if len(labels) > 1 else np.where(np.isfinite(x), 0.5, np.nan)
            ticks.append((labels[0], labels[-1]) if labels else ("", ""))
        else:
            x = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
            if name in log:
                x = np.log10(np.where(x > 0, x, np.nan))
            norm, low, high = _unit(x)
            if name in log:
                low, high = 10.0**low, 10.0**high
            ticks.append((f"{low:.3g}", f"{high:.3g}"))
        columns.append(norm)
    values = ok["value"].to_numpy(dtype=float)
    norm, low, high = _unit(values)
    columns.append(norm)
    ticks.append((f"{low:.3g}", f"{high:.3g}"))
    matrix = np.column_stack(columns) if len(ok) else np.empty((0, len(columns)))
    return ParallelData(names=[*params, "score"], matrix=matrix, ticks=ticks,
                        numbers=ok["number"].to_numpy(), values=values,
                        diverged=ok["diverged"].to_numpy(dtype=bool))


def curve_metrics(curves: pd.DataFrame) -> list[str]:
    """The curves a study page draws: validation accuracy and loss when the trials recorded them, else up to
    two of the metrics they did record, accuracies first (the book's overfitting runs record train_acc and
    test_acc: its figure is drawn on the test split)."""
    present = [str(m) for m in dict.fromkeys(curves["metric"])] if "metric" in curves else []
    preferred = [m for m in ("val_acc", "val_loss") if m in present]
    return preferred or sorted(present, key=lambda m: (not m.endswith("acc"), m))[:2]


def best_curve_label(metric: object) -> str:
    """The label of a trial's best evaluation (``best_val_acc``): 'best val acc' unless the study's metric says
    its evaluations are not on a validation split."""
    return "best val acc" if metric is None or "val" in str(metric) else "best of its evaluations"
