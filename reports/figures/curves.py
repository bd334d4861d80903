"""Per-epoch curve figures of one study's report: learning curves of chosen trials (and of the top trials on
two panels) and the intermediate values of every trial (pruned trials marked). Data in, Axes out, no file
I/O."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from reports.data import study as S
from reports.figures.style import (
    COLOR_COMPLETE,
    COLOR_DIVERGED,
    COLOR_OTHER,
    COLOR_PRUNED,
    DIVERGED_STYLE,
    DPI,
    alpha_for,
    integer_x,
    legend,
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
    show_legend: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """One line per trial in `numbers` (e.g. the top-k, best first) of `metric` against epoch; trials in
    `diverged` as red dashed lines ending in a red cross. The legend (up to 20 trials, outside the axes)
    unless `show_legend` is false (a second panel of the same trials)."""
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
    integer_x(ax)
    if show_legend and len(numbers) <= 20:
        legend(ax, fontsize="x-small", ncols=1 if len(numbers) <= 10 else 2)
    return ax


def plot_top_curves(curves: pd.DataFrame, top: pd.DataFrame, metrics: Sequence[str] = ("val_acc", "val_loss")
                    ) -> Axes:
    """The learning curves of the top trials (`top`: a top-k frame, best first, with `number` and `diverged`)
    on one panel per metric (at most two) of one Figure, the legend on the last; diverged trials red dashed.
    Returns the left Axes."""
    metrics = list(metrics)[:2] or ["val_acc"]
    fig = Figure(figsize=(5.5 * len(metrics), 4.0), dpi=DPI, layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(metrics)))
    numbers = top["number"].tolist()
    diverged = set(top.loc[top["diverged"], "number"].tolist())
    for k, (metric, ax) in enumerate(zip(metrics, axes, strict=True)):
        plot_learning_curves(curves, numbers, metric=metric, diverged=diverged, show_legend=k == len(metrics) - 1,
                             ax=ax)
    return axes[0]


def _palette(n: int) -> list[tuple[float, float, float, float]]:
    return [colormaps["viridis"](v) for v in np.linspace(0.0, 0.9, max(n, 1))][:n]


def curve_segments(wide: pd.DataFrame) -> np.ndarray:
    """A trials x epochs frame as an (n_trials, n_epochs, 2) array of (epoch, value) vertices for one
    LineCollection (NaN where a trial has no value: the line stops there)."""
    epochs = np.asarray(wide.columns, dtype=float)
    values = wide.to_numpy(dtype=float)
    return np.stack([np.broadcast_to(epochs, values.shape), values], axis=-1)


def plot_intermediate(
    curves: pd.DataFrame,
    trials: pd.DataFrame,
    *,
    metric: str = "val_acc",
    ax: Axes | None = None,
) -> Axes:
    """Intermediate values: `metric` against epoch for every trial; COMPLETE in blue, PRUNED in orange with
    a triangle where they were pruned, other states grey, diverged red with a cross at their last epoch."""
    ax = new_axes(ax, figsize=(11.0, 4.0))
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
    segments = curve_segments(wide)
    for label, mask, colour in groups:
        if mask.any():
            ax.add_collection(LineCollection(segments[mask], colors=colour, linewidths=0.8, label=label,
                                             alpha=alpha_for(int(mask.sum()))))
    pruned = groups[1][1]
    if pruned.any():
        ax.scatter(epochs[last_epoch[pruned]], last_value[pruned], marker="v", color=COLOR_PRUNED, s=14,
                   alpha=alpha_for(int(pruned.sum())), zorder=3, label="pruned here")
    if div.any():
        ax.scatter(epochs[last_epoch[div]], last_value[div], label="diverged here",
                   **(DIVERGED_STYLE | {"alpha": alpha_for(int(div.sum()))}))
    ax.autoscale_view()
    integer_x(ax)
    legend(ax)
    return ax
