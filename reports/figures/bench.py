"""Figures of a search-method benchmark: data in (the benchmark export's tables), Axes out, no file I/O.

Every method keeps one colour across figures (:func:`method_colors`, in the order the methods are given).
Artists carry the method name as their label so tests can find them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

from reports.data.stats import MIN_CI
from reports.figures.style import LINE_ZORDER, band, integer_x, legend, mpl_text, new_axes, no_data

REFERENCE_COLOR = "#1d2330"


def method_colors(methods: Sequence[str], reference: str | None = "random") -> dict[str, str]:
    """A stable colour per method; the reference method (the book's random search) is drawn in black."""
    palette = sns.color_palette("tab10", n_colors=max(len(methods), 1)).as_hex()
    others = iter(p for p in palette)
    return {m: REFERENCE_COLOR if m == reference else next(others) for m in methods}


def plot_best_so_far(summary: pd.DataFrame, *, axis: str = "epochs", target: float | None = None,
                     colors: Mapping[str, str] | None = None, ax: Axes | None = None) -> Axes:
    """IQM across seeds of the best-so-far validation score against the budget, one step line per method (the
    best so far only changes when a trial ends) with its 95% bootstrap band (none from fewer than 3 seeds:
    ``n`` or ``runs`` below 3); the target as a dashed line. ``summary``: method, x, iqm, iqm_low, iqm_high
    (optionally runs)."""
    ax = new_axes(ax, figsize=(7.2, 4.4))
    data = summary.dropna(subset=["iqm"])
    if data.empty:
        return no_data(ax, "no COMPLETE trial in any run")
    methods = list(dict.fromkeys(data["method"]))
    colors = colors or method_colors(methods)
    for m in methods:
        g = data.loc[data["method"] == m].sort_values("x")
        c = colors.get(m)
        ax.plot(g["x"], g["iqm"], color=c, label=mpl_text(m), lw=1.6 if m != "random" else 2.2,
                drawstyle="steps-post", zorder=LINE_ZORDER)
        if int(g["runs"].min() if "runs" in g else MIN_CI) >= MIN_CI:
            band(ax, g["x"], g["iqm_low"], g["iqm_high"], color=c, step=True)
    if target is not None and np.isfinite(target):
        ax.axhline(target, color="#777", ls="--", lw=1, label="target")
    lows = data["iqm_low"].to_numpy(dtype=float)
    lows = lows[np.isfinite(lows)]
    if lows.size:
        top = float(np.nanmax(data["iqm_high"]))
        ax.set_ylim(max(float(np.quantile(lows, 0.05)) - 0.02, 0.0), min(top + 0.02, 1.0))
    ax.set_xlabel("epochs spent" if axis == "epochs" else "seconds spent")
    ax.set_ylabel("best validation accuracy (IQM over seeds)")
    if axis == "epochs":
        integer_x(ax)
    legend(ax)
    return ax


def plot_speedup(ttt: pd.DataFrame, *, reference: str = "random", colors: Mapping[str, str] | None = None,
                 ax: Axes | None = None) -> Axes:
    """Speed-up over the reference (ERT ratio) with its 95% bootstrap CI, one row per method, log x; 1 = as
    fast as the reference. ``ttt``: method, speedup, speedup_low, speedup_high (one task and axis). The reference
    itself is the dashed line at 1, not a row (its ratio to itself is 1 by definition, with no interval)."""
    ax = new_axes(ax, figsize=(6.4, 0.45 * max(len(ttt), 3) + 1.2))
    data = ttt.loc[np.isfinite(ttt["speedup"].to_numpy(dtype=float)) & (ttt["speedup"] > 0)
                   & (ttt["method"] != reference)]
    if data.empty:
        return no_data(ax, "no speed-up is defined (no method reached the target)")
    data = data.sort_values("speedup").reset_index(drop=True)
    colors = colors or method_colors(list(data["method"]), reference)
    finite = np.concatenate([data[c].to_numpy(dtype=float) for c in ("speedup", "speedup_low", "speedup_high")])
    finite = finite[np.isfinite(finite) & (finite > 0)]
    lo, hi = float(finite.min()) / 1.5, float(finite.max()) * 1.5
    for i, row in data.iterrows():
        low = row["speedup_low"] if np.isfinite(row["speedup_low"]) and row["speedup_low"] > 0 else lo
        high = row["speedup_high"] if np.isfinite(row["speedup_high"]) else hi
        c = colors.get(row["method"])
        ax.plot([low, high], [i, i], color=c, lw=2.5, alpha=0.6)
        ax.scatter([row["speedup"]], [i], color=c, s=40, zorder=3, label=mpl_text(row["method"]))
        if not np.isfinite(row["speedup_high"]):
            ax.annotate("CI to inf", (hi, i), xytext=(-4, 4), textcoords="offset points", ha="right", fontsize=7)
        if not (np.isfinite(row["speedup_low"]) and row["speedup_low"] > 0):  # 0 has no place on a log axis
            ax.annotate("CI to 0", (lo, i), xytext=(4, 4), textcoords="offset points", ha="left", fontsize=7)
    ax.axvline(1.0, color="#777", ls="--", lw=1)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(lo, hi)
    ax.set_yticks(range(len(data)), [mpl_text(m) for m in data["method"]])
    ax.set_xlabel(mpl_text(f"speed-up over {reference} (ERT ratio, log scale)"))
    return ax


def plot_profile(profile: pd.DataFrame, *, colors: Mapping[str, str] | None = None, ax: Axes | None = None) -> Axes:
    """Performance profile: fraction of tasks on which a method's ERT is within tau of the best, against tau
    (log x). ``profile``: method, tau, fraction."""
    ax = new_axes(ax, figsize=(6.4, 4.2))
    if profile.empty:
        return no_data(ax, "no profile (no task)")
    methods = list(dict.fromkeys(profile["method"]))
    colors = colors or method_colors(methods)
    for m in methods:
        g = profile.loc[profile["method"] == m].sort_values("tau")
        ax.step(g["tau"], g["fraction"], where="post", color=colors.get(m), label=mpl_text(m), lw=1.6)
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))  # 1, 2, 5, 10, ...
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("tau: ERT within this factor of the best method's")
    ax.set_ylabel("fraction of tasks")
    legend(ax)
    return ax


def plot_ranks(ranks: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Heat map of ranks (1 = best), methods x tasks, with the mean rank as the last column. ``ranks``:
    task, method, rank (one criterion)."""
    if ranks.empty:
        return no_data(new_axes(ax), "no ranks")
    wide = ranks.pivot_table(index="method", columns="task", values="rank", aggfunc="first", sort=False)
    wide["mean"] = wide.mean(axis=1)
    wide = wide.sort_values("mean")
    ax = new_axes(ax, figsize=(1.0 + 0.9 * wide.shape[1], 0.45 * wide.shape[0] + 1.4))
    values = wide.to_numpy(dtype=float)
    ax.imshow(values, cmap="viridis_r", aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=8,
                    color="white" if v > np.nanmean(values) else "black")
    ax.set_xticks(range(wide.shape[1]), [mpl_text(c) for c in wide.columns], rotation=30, ha="right")
    ax.set_yticks(range(wide.shape[0]), [mpl_text(m) for m in wide.index])
    ax.grid(False)
    return ax


def plot_final_scores(final: pd.DataFrame, *, colors: Mapping[str, str] | None = None, ax: Axes | None = None
                      ) -> Axes:
    """Per method: IQM of the final best validation score and of the chosen configuration's test score, each
    with its 95% bootstrap CI. ``final``: method, val_iqm, val_iqm_low, val_iqm_high, test_* (one task)."""
    ax = new_axes(ax, figsize=(6.4, 0.5 * max(len(final), 3) + 1.2))
    if final.empty:
        return no_data(ax, "no runs")
    colors = colors or method_colors(list(final["method"]))
    data = final.reset_index(drop=True)
    for i, row in data.iterrows():
        c = colors.get(row["method"])
        for kind, dy, marker in (("val", -0.15, "o"), ("test", 0.15, "s")):
            mid, lo, hi = row[f"{kind}_iqm"], row[f"{kind}_iqm_low"], row[f"{kind}_iqm_high"]
            if np.isfinite(mid):
                ax.plot([lo, hi], [i + dy, i + dy], color=c, lw=2, alpha=0.6)
                ax.scatter([mid], [i + dy], color=c, marker=marker, s=30, zorder=3,
                           label="validation" if (i == 0 and kind == "val") else
                           ("test" if (i == 0 and kind == "test") else None))
    ax.set_yticks(range(len(data)), [mpl_text(m) for m in data["method"]])
    ax.invert_yaxis()
    ax.set_xlabel("accuracy (IQM over seeds; o validation, s test)")
    return ax
