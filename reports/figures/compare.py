"""Comparison figures across studies (narrowing rounds, one study per optimizer, several seeds): mean lines
with bootstrap confidence bands across the studies of a group (no band below 3 studies), best so far as
steps, and score distributions.
Data in (long frames built by `reports.data.compare`), Axes out, no file I/O."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from reports.data.compare import hold_best
from reports.data.stats import mean_bands
from reports.figures.style import (
    DIVERGED_STYLE,
    LINE_ZORDER,
    band,
    integer_x,
    legend,
    mpl_text,
    new_axes,
    no_data,
    spread,
)


def _safe_groups(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """A copy whose `group` labels are safe matplotlib text, and the group order of first appearance."""
    out = frame.copy()
    out["group"] = out["group"].map(mpl_text)
    return out, list(dict.fromkeys(out["group"]))


def _mean_lines(frame: pd.DataFrame, *, x: str, y: str, rng: np.random.Generator, n_boot: int, level: float,
                ax: Axes, steps: bool) -> None:
    """Per group: the mean of `y` over the group's studies against `x`, over a percentile-bootstrap band
    where at least MIN_CI studies have a value (no band from one or two studies); step lines when `steps`."""
    data, order = _safe_groups(frame)
    bands = mean_bands(data.rename(columns={"study": "number"}), "group", rng=rng, n_boot=n_boot,
                       level=level / 100.0, x=x, y=y)
    for i, name in enumerate(order):
        sub = bands.loc[bands["group"] == name].sort_values(x)
        colour = f"C{i % 10}"
        ax.plot(sub[x], sub["mean"], color=colour, linewidth=1.6, label=name, zorder=LINE_ZORDER,
                drawstyle="steps-post" if steps else "default")
        if sub["low"].notna().any():
            band(ax, sub[x], sub["low"], sub["high"], color=colour, step=steps)
    integer_x(ax)
    legend(ax)


def plot_best_so_far_bands(
    history: pd.DataFrame,
    *,
    rng: np.random.Generator,
    n_boot: int = 1000,
    level: float = 95,
    ax: Axes | None = None,
) -> Axes:
    """Best score so far against the number of COMPLETE trials, one step line per group (the best only
    changes when a trial ends): the mean over the group's studies, with a bootstrap confidence band when the
    group has at least 3 studies; a study with fewer COMPLETE trials holds its best to the group's end
    (`reports.data.compare.hold_best`). `history`: group, study, index, best."""
    ax = new_axes(ax, figsize=(7.2, 4.2))
    if history.empty:
        return no_data(ax, "no COMPLETE trial in any study")
    _mean_lines(hold_best(history), x="index", y="best", rng=rng, n_boot=n_boot, level=level, ax=ax, steps=True)
    for line in list(ax.get_lines()):  # a step at the last trial ends in a dot, not a bare vertical line
        xs, ys = line.get_xdata(), line.get_ydata()
        if len(xs):
            ax.scatter([xs[-1]], [ys[-1]], color=line.get_color(), s=25, zorder=line.get_zorder() + 1)
    ax.set_xlim(right=float(history["index"].max()) + 0.5)
    ax.set_xlabel("COMPLETE trials so far")
    ax.set_ylabel("best score")
    return ax


def plot_curve_bands(
    curves: pd.DataFrame,
    *,
    metric: str = "val_acc",
    rng: np.random.Generator,
    n_boot: int = 1000,
    level: float = 95,
    ax: Axes | None = None,
) -> Axes:
    """Learning curve (`metric` per epoch) of each study's best trial, one line per group: the mean over
    the group's studies, with a bootstrap confidence band when the group has at least 3 studies.
    `curves`: group, study, epoch, value."""
    ax = new_axes(ax, figsize=(7.2, 4.2))
    if curves.empty:
        return no_data(ax, f"no {metric} curves in these studies")
    _mean_lines(curves, x="epoch", y="value", rng=rng, n_boot=n_boot, level=level, ax=ax, steps=False)
    ax.set_xlabel("epoch")
    ax.set_ylabel(mpl_text(f"{metric} of each study's best trial"))
    return ax


def plot_score_distribution(trials: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Box plot of the COMPLETE trials' scores per group, with diverged trials as red crosses at their
    group. `trials`: group, study, value, diverged. (matplotlib's boxplot: seaborn 0.13's passes an
    argument that matplotlib 3.11 deprecates.)"""
    ax = new_axes(ax, figsize=(7.2, 4.2))
    if trials.empty:
        return no_data(ax, "no COMPLETE trial in any study")
    data, order = _safe_groups(trials)
    values = [data.loc[data["group"] == g, "value"].to_numpy(dtype=float) for g in order]
    ax.boxplot(values, positions=np.arange(len(order)), widths=0.6, patch_artist=True,
               boxprops={"facecolor": "#b9cdef"}, medianprops={"color": "#1d2330"},
               flierprops={"markersize": 2})
    ax.set_xticks(np.arange(len(order)), order)
    div = data.loc[data["diverged"].to_numpy(dtype=bool)]
    if len(div):
        x = pd.Categorical(div["group"], categories=order).codes + spread(len(div))
        ax.scatter(x, div["value"], label="diverged", **DIVERGED_STYLE)
        legend(ax)
    ax.set_xlabel("")
    ax.set_ylabel("score")
    ax.tick_params(axis="x", labelrotation=15)
    return ax
