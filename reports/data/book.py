"""The data layer of the book-experiment pages (pure pandas/numpy: frames in, frames out, nothing drawn).

Experiments export one trial per (method, ..., seed) with its parameters as ``param_<name>`` columns and its
curves in long format (see docs/architecture.md). ``curve_frame`` joins a metric's curve to the parameters
(``reports.data.stats.mean_bands`` then turns the replicates into a mean and a band per group and epoch);
the tables summarise windows, final values and gaps across seeds; ``hist_counts`` and ``trajectories`` read
the histogram and 2-D path experiments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from reports.data.stats import bootstrap_ci
from reports.load import PARAM_PREFIX, StudyExport

BN_SCALES = tuple(float(w) for w in np.logspace(0, -4, 16))  # the book's batch-norm init scales


def params_frame(trials: pd.DataFrame) -> pd.DataFrame:
    """``number`` plus the parameter columns (prefix removed) of the COMPLETE trials."""
    ok = trials.loc[trials["state"] == "COMPLETE"]
    cols = [c for c in ok.columns if str(c).startswith(PARAM_PREFIX)]
    out = ok[["number", *cols, "diverged"]].rename(columns=lambda c: str(c).removeprefix(PARAM_PREFIX))
    return out.reset_index(drop=True)


def curve_frame(export: StudyExport, metric: str) -> pd.DataFrame:
    """One metric of every COMPLETE trial with the trial's parameters: number, <params>, diverged, epoch, value."""
    sub = export.curves.loc[export.curves["metric"] == metric, ["number", "epoch", "value"]]
    return params_frame(export.trials).merge(sub, on="number", how="inner")


def diverged_points(frame: pd.DataFrame, group: str | Sequence[str]) -> pd.DataFrame:
    """Where each diverged trial stopped: its last finite point. Columns: <group...>, number, epoch, value
    (frame from ``curve_frame``; empty when no trial diverged)."""
    keys = [group] if isinstance(group, str) else list(group)
    columns = [*keys, "number", "epoch", "value"]
    sub = frame.loc[frame["diverged"].fillna(False).astype(bool) & np.isfinite(frame["value"].to_numpy(float))]
    if sub.empty:
        return pd.DataFrame(columns=columns)
    last = sub.sort_values(["number", "epoch"]).groupby("number", sort=False).tail(1)
    return last[columns].reset_index(drop=True)


def flat_after_divergence(frame: pd.DataFrame) -> pd.DataFrame:
    """Each diverged trial's curve continued flat at its last finite value up to the last epoch any trial
    reached: the book draws a net that stopped learning as a flat line, so a diverged run never vanishes
    from a figure (frame from ``curve_frame``)."""
    div = frame["diverged"].fillna(False).astype(bool).to_numpy()
    if not div.any():
        return frame
    epochs = np.sort(frame["epoch"].unique())
    parts = [frame.loc[~div]]
    for _, trial in frame.loc[div].groupby("number", sort=False):
        trial = trial.sort_values("epoch")
        ok = trial.loc[np.isfinite(trial["value"].to_numpy(float))]
        if ok.empty:
            continue
        last = ok.iloc[-1]
        later = epochs[epochs > last["epoch"]]
        tail = pd.DataFrame([last] * len(later)).assign(epoch=later) if len(later) else ok.iloc[:0]
        parts += [ok, tail]
    return pd.concat(parts, ignore_index=True).astype({"epoch": frame["epoch"].dtype})


def diverged_count(frame: pd.DataFrame, group: str | Sequence[str]) -> pd.DataFrame:
    """Per group: trials (seeds) and how many of them diverged. Columns: <group...>, trials, diverged."""
    keys = [group] if isinstance(group, str) else list(group)
    per_trial = frame.groupby([*keys, "number"], sort=False)["diverged"].first().reset_index()
    out = per_trial.groupby(keys, sort=False)["diverged"].agg(trials="size", diverged="sum").reset_index()
    return out.astype({"diverged": int})


def book_windows(n_iterations: int) -> list[tuple[int, int]]:
    """The loss-table windows: iterations 100-500 and 1000-1999 at the book's 2000 iterations, scaled to
    ``n_iterations`` otherwise (inclusive bounds)."""
    if n_iterations >= 2000:
        return [(100, 500), (1000, 1999)]
    f = n_iterations / 2000
    return [(int(100 * f), max(int(500 * f), int(100 * f))), (int(1000 * f), n_iterations - 1)]


def _ci_row(values: np.ndarray, rng: np.random.Generator, n_boot: int) -> tuple[float, float, float, int]:
    values = values[np.isfinite(values)]
    low, high = bootstrap_ci(values, rng=rng, n_boot=n_boot)
    return (float(values.mean()) if values.size else float("nan")), low, high, int(values.size)


def window_table(frame: pd.DataFrame, group: str, windows: Sequence[tuple[int, int]], *,
                 rng: np.random.Generator, n_boot: int = 1000) -> pd.DataFrame:
    """Mean loss of each trial over each window of iterations (inclusive), then per group the mean over the
    trials (seeds) with a bootstrap CI. One row per group; columns ``<a>-<b> mean``, ``... ci low/high``."""
    rows = []
    for key, sub in frame.groupby(group, sort=False):
        row: dict[str, object] = {group: key, "seeds": sub["number"].nunique()}
        for a, b in windows:
            inside = sub.loc[(sub["epoch"] >= a) & (sub["epoch"] <= b)]
            per_trial = inside.groupby("number")["value"].mean().to_numpy(dtype=float)
            mean, low, high, _ = _ci_row(per_trial, rng, n_boot)
            row |= {f"loss {a}-{b} mean": mean, f"loss {a}-{b} ci low": low, f"loss {a}-{b} ci high": high}
        rows.append(row)
    return pd.DataFrame(rows)


def final_values(frame: pd.DataFrame) -> pd.DataFrame:
    """The last point of each trial's curve: number, <params>, value (frame from ``curve_frame``)."""
    last = frame.sort_values(["number", "epoch"]).groupby("number", sort=False).tail(1)
    return last.reset_index(drop=True)


def summary_table(frame: pd.DataFrame, group: str, value: str, *, rng: np.random.Generator,
                  n_boot: int = 1000, label: str | None = None) -> pd.DataFrame:
    """Per group: the mean of ``value`` over its rows with a bootstrap CI, and the count."""
    name = label or value
    rows = []
    for key, sub in frame.groupby(group, sort=False):
        mean, low, high, n = _ci_row(sub[value].to_numpy(dtype=float), rng, n_boot)
        rows.append({group: key, f"{name} mean": mean, f"{name} ci low": low, f"{name} ci high": high, "n": n})
    return pd.DataFrame(rows)


def overfit_label(row: Mapping[str, object]) -> str:
    """'none', 'weight decay <lambda>' or 'dropout <ratio>' from a row of overfit parameters."""
    reg = str(row.get("regularizer", "none"))
    if reg == "weight_decay":
        return f"weight decay {float(row['weight_decay']):g}"  # type: ignore[arg-type]
    if reg == "dropout":
        return f"dropout {float(row['dropout']):g}"  # type: ignore[arg-type]
    return "none"


def gap_table(export: StudyExport, *, rng: np.random.Generator, n_boot: int = 1000) -> pd.DataFrame:
    """Per regulariser: final train and test accuracy, their gap (train - test) and the best train accuracy,
    each as a mean over seeds with a bootstrap CI."""
    train = final_values(curve_frame(export, "train_acc"))
    test = final_values(curve_frame(export, "test_acc"))[["number", "value"]]
    best = curve_frame(export, "train_acc").groupby("number")["value"].max().rename("best_train").reset_index()
    both = train.merge(test, on="number", suffixes=("_train", "_test")).merge(best, on="number")
    both["regulariser"] = [overfit_label(r) for r in both.to_dict("records")]
    both["gap"] = both["value_train"] - both["value_test"]
    parts = [summary_table(both, "regulariser", col, rng=rng, n_boot=n_boot, label=name).drop(columns="n")
             for col, name in (("value_train", "train acc"), ("value_test", "test acc"), ("gap", "gap"),
                               ("best_train", "max train acc"))]
    out = parts[0]
    for p in parts[1:]:
        out = out.merge(p, on="regulariser")
    return out.assign(seeds=both.groupby("regulariser", sort=False)["number"].nunique().to_numpy())


def hist_counts(export: StudyExport) -> pd.DataFrame:
    """Activation-histogram counts averaged over seeds: activation, init, layer, bin, count."""
    metrics = sorted({m for m in export.curves["metric"].unique() if str(m).startswith("hist_layer")},
                     key=lambda m: int(str(m).removeprefix("hist_layer")))
    parts = []
    for m in metrics:
        f = curve_frame(export, m)
        mean = f.groupby(["activation", "init", "epoch"], sort=False)["value"].mean().reset_index()
        parts.append(mean.rename(columns={"epoch": "bin", "value": "count"}).assign(
            layer=int(str(m).removeprefix("hist_layer"))))
    columns = ["activation", "init", "layer", "bin", "count"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def trajectories(export: StudyExport) -> pd.DataFrame:
    """The 2-D paths: optimizer, step, x, y, f (one row per point)."""
    xs = curve_frame(export, "x").rename(columns={"value": "x"})
    ys = curve_frame(export, "y")[["number", "epoch", "value"]].rename(columns={"value": "y"})
    fs = curve_frame(export, "f")[["number", "epoch", "value"]].rename(columns={"value": "f"})
    out = xs.merge(ys, on=["number", "epoch"]).merge(fs, on=["number", "epoch"])
    lr = export.curves.loc[export.curves["metric"] == "lr", ["number", "value"]]
    if len(lr) and "lr" not in out.columns:  # the rate actually used (exported as a one-point curve)
        out = out.merge(lr.rename(columns={"value": "lr"}), on="number", how="left")
    keep = [c for c in ("optimizer", "lr") if c in out.columns]
    return out[[*keep, "epoch", "x", "y", "f"]].rename(columns={"epoch": "step"})
