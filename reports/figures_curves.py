"""Per-epoch curve figures of one study's report: learning curves of chosen trials and the intermediate
values of every trial (pruned trials marked). Data in, Axes out, no file I/O."""

from __future__ import annotations

from collections.abc import Collection, Iterable

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes

from reports import summaries as S
from reports.axes import (
    COLOR_COMPLETE,
    COLOR_DIVERGED,
    COLOR_OTHER,
    COLOR_PRUNED,
    DIVERGED_STYLE,
    alpha_for,
    mpl_text,
    new_axes,
    no_data,
)


def plot_learning_curves(
    curves: pd.DataFrame,
    numbers: Iterable[int],
    *,
    metric: str = "val_acc",
    diverged: Collection[int] = (),
    ax: Axes | None = None,
) -> Axes:
    """One line per trial in `numbers` (e.g. the top-k, best first) of `metric` against epoch; trials in
    `diverged` as red dashed lines ending in a red cross."""
    ax = new_axes(ax)
    numbers = list(numbers)
    wide = S.curve_wide(curves, metric, numbers)
    ax.set_xlabel("epoch")
    ax.set_ylabel(mpl_text(metric))
    if wide.empty:
        return no_data(ax, f"no {metric} curves for these trials")
    colours = _palette(len(numbers))
    for colour, number in zip(colours, numbers, strict=True):
        if number not in wide.index:
            continue
        row = wide.loc[number].dropna()
        if number in diverged:
            ax.plot(row.index, row.to_numpy(), color=COLOR_DIVERGED, linestyle="--", linewidth=1.2,
                    label=f"#{number} (diverged)")
            ax.scatter(row.index[-1:], row.to_numpy()[-1:], **DIVERGED_STYLE)
        else:
            ax.plot(row.index, row.to_numpy(), color=colour, linewidth=1.2, label=f"#{number}")
    if len(numbers) <= 20:
        ax.legend(loc="best", fontsize="x-small", ncols=2)
    return ax


def _palette(n: int) -> list[tuple[float, float, float, float]]:
    return [colormaps["viridis"](v) for v in np.linspace(0.0, 0.9, max(n, 1))][:n]


def polyline(wide: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Flatten a trials x epochs frame into x, y arrays with a NaN between trials: one Line2D draws them
    all (fast for thousands of curves)."""
    if wide.empty:
        return np.empty(0), np.empty(0)
    epochs = np.asarray(wide.columns, dtype=float)
    values = wide.to_numpy(dtype=float)
    n = values.shape[0]
    xs = np.concatenate([np.broadcast_to(epochs, values.shape), np.full((n, 1), np.nan)], axis=1)
    ys = np.concatenate([values, np.full((n, 1), np.nan)], axis=1)
    return xs.ravel(), ys.ravel()


def plot_intermediate(
    curves: pd.DataFrame,
    trials: pd.DataFrame,
    *,
    metric: str = "val_acc",
    ax: Axes | None = None,
) -> Axes:
    """Intermediate values: `metric` against epoch for every trial; COMPLETE in blue, PRUNED in orange with
    a triangle where they were pruned, other states grey, diverged red with a cross at their last epoch."""
    ax = new_axes(ax)
    wide = S.curve_wide(curves, metric)
    ax.set_xlabel("epoch")
    ax.set_ylabel(mpl_text(metric))
    if wide.empty:
        return no_data(ax, f"no {metric} curves exported")
    info = trials.set_index("number").reindex(wide.index)
    div = info["diverged"].fillna(False).to_numpy(dtype=bool)
    state = info["state"].fillna("UNKNOWN").to_numpy(dtype=object)
    groups = [("complete", (state == S.COMPLETE) & ~div, COLOR_COMPLETE),
              ("pruned", (state == S.PRUNED) & ~div, COLOR_PRUNED),
              ("other", ~np.isin(state, [S.COMPLETE, S.PRUNED]) & ~div, COLOR_OTHER),
              ("diverged", div, COLOR_DIVERGED)]
    last_epoch = wide.notna().to_numpy()[:, ::-1].argmax(axis=1)
    last_epoch = wide.shape[1] - 1 - last_epoch
    last_value = wide.to_numpy()[np.arange(len(wide)), last_epoch]
    epochs = np.asarray(wide.columns, dtype=float)
    for label, mask, colour in groups:
        if not mask.any():
            continue
        xs, ys = polyline(wide.loc[mask])
        ax.plot(xs, ys, color=colour, linewidth=0.8, alpha=max(alpha_for(int(mask.sum())), 0.15), label=label)
    pruned = groups[1][1]
    if pruned.any():
        ax.scatter(epochs[last_epoch[pruned]], last_value[pruned], marker="v", color=COLOR_PRUNED, s=18,
                   zorder=3, label="pruned here")
    if div.any():
        ax.scatter(epochs[last_epoch[div]], last_value[div], label="diverged here", **DIVERGED_STYLE)
    ax.legend(loc="best", fontsize="small")
    return ax
