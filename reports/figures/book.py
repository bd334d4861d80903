"""Figures of the book's chapter-6 experiments: data in (frames from `reports.data.book`), Axes out, no I/O.

Multi-panel figures (the 2x3 trajectory panels, the histogram grid, the 4x4 batch-norm grid, the train/test
panels) build one pyplot-free Figure and return its first Axes (``ax.figure`` is the whole figure). Bands
are the precomputed bootstrap bands of `reports.data.stats.mean_bands` (mean line, shaded low-high).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reports.figures.style import (
    DIVERGED_STYLE,
    DPI,
    LINE_ZORDER,
    band,
    figure_legend,
    integer_x,
    legend,
    mpl_text,
    new_axes,
    no_data,
    panel_grid,
)

MARKERS = ("o", "x", "s", "D", "^", "v", "P", "*")
EVALUATIONS = "evaluations (the book's \"epochs\")"  # the x of the book's curves: one point per evaluation


def surface_contour(step: float = 0.01, cutoff: float = 7.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The book's contour background of f(x, y) = x^2/20 + y^2 on [-10, 10) x [-5, 5), values > cutoff set to 0."""
    gx, gy = np.meshgrid(np.arange(-10.0, 10.0, step), np.arange(-5.0, 5.0, step))
    z = gx**2 / 20.0 + gy**2
    z[z > cutoff] = 0.0
    return gx, gy, z


def plot_trajectories(paths: pd.DataFrame, *, order: Sequence[str], step: float = 0.01) -> Axes:
    """The book's figure: one panel per optimizer (book order first), the contour of f, the path as red
    circles joined by lines, a '+' at the minimum; axes [-10, 10]^2. `paths`: optimizer, step, x, y."""
    names = [o for o in order if o in set(paths["optimizer"])] if len(paths) else []
    if not names:
        return no_data(new_axes(), "no trajectories exported")
    fig, axes = panel_grid(len(names), 2 if len(names) <= 4 else 3, size=(4.2, 4.0))
    gx, gy, z = surface_contour(step)
    for ax, name in zip(axes, names, strict=False):
        sub = paths.loc[paths["optimizer"] == name].sort_values("step")
        ax.contour(gx, gy, z, levels=8, cmap="viridis", linewidths=0.8)
        ax.plot(sub["x"], sub["y"], "o-", color="red", markersize=4, linewidth=1.0, label=mpl_text(name))
        ax.plot(0, 0, "+", color="black", markersize=10)
        ax.set_xlim(-10, 10)
        ax.set_ylim(-10, 10)
        lr = f" (lr {sub['lr'].iloc[0]:g})" if "lr" in sub and sub["lr"].notna().any() else ""
        ax.set_title(mpl_text(f"{name}{lr}"))
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    return axes[0]


def plot_activation_histograms(counts: pd.DataFrame, activation: str, *, inits: Sequence[str],
                               value_range: tuple[float, float] = (0.0, 1.0)) -> Axes:
    """Rows = weight scales, columns = layers ("k-layer"): the mean count per bin over seeds. A spike in
    the first bin (ReLU's exact zeros) is clipped so the rest stays readable, and its count is printed."""
    sub = counts.loc[counts["activation"] == activation]
    rows = [i for i in inits if i in set(sub["init"])]
    if sub.empty or not rows:
        return no_data(new_axes(), f"no histograms for {activation}")
    layers = sorted(sub["layer"].unique())
    fig = Figure(figsize=(2.3 * len(layers), 1.9 * len(rows)), dpi=DPI, layout="constrained")
    axes = fig.subplots(len(rows), len(layers), squeeze=False)
    n_bins = int(sub["bin"].max()) + 1
    edges = np.linspace(value_range[0], value_range[1], n_bins + 1)
    for r, init in enumerate(rows):
        for c, layer in enumerate(layers):
            ax = axes[r, c]
            cell = sub.loc[(sub["init"] == init) & (sub["layer"] == layer)].sort_values("bin")
            heights = np.zeros(n_bins)
            heights[cell["bin"].to_numpy(dtype=int)] = cell["count"].to_numpy(dtype=float)
            ax.bar(edges[:-1], heights, width=np.diff(edges), align="edge", color="#3b6fb6",
                   label=f"{init} layer {layer}")
            rest = heights[1:].max() if n_bins > 1 else 0.0
            if rest > 0 and heights[0] > 3 * rest:
                ax.set_ylim(0, rest * 1.25)
                ax.text(0.98, 0.92, f"bin 1: {heights[0]:.0f} (clipped)", transform=ax.transAxes, ha="right",
                        va="top", fontsize="x-small", color="#c62828")
            ax.set_xlim(*value_range)
            if r == 0:
                ax.set_title(f"{layer}-layer")
            if c == 0:
                ax.set_ylabel(mpl_text(init))
            else:
                ax.set_yticklabels([])
    return axes[0, 0]


def _band(ax: Axes, sub: pd.DataFrame, *, x: str = "epoch", **line: object) -> None:
    """The mean line over its band (the band only where it exists: MIN_CI replicates or more)."""
    ax.plot(sub[x], sub["mean"], **({"zorder": LINE_ZORDER} | line))
    if (sub["high"] > sub["low"]).any():
        band(ax, sub[x], sub["low"], sub["high"], color=line.get("color"))


def mark_diverged(ax: Axes, points: pd.DataFrame | None, *, label: str = "diverged run (last point)") -> None:
    """A red cross where each diverged run stopped (`points`: epoch, value; see data.book.diverged_points)."""
    if points is not None and len(points):
        ax.scatter(points["epoch"], points["value"], label=label, **(DIVERGED_STYLE | {"zorder": 5}))


def fit_ylim(ax: Axes, bands: pd.DataFrame, ylim: tuple[float, float] | None) -> None:
    """The book's y range when given, widened to hold every mean line and band (a curve never leaves the
    plot while its legend entry stays)."""
    values = bands[["mean", "low", "high"]].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if ylim is None or not values.size:
        return
    low, high = min(ylim[0], float(values.min())), max(ylim[1], float(values.max()))
    pad = 0.03 * (high - low) if (low, high) != tuple(ylim) else 0.0
    ax.set_ylim(low - pad if low < ylim[0] else low, high + pad if high > ylim[1] else high)


def plot_curve_bands(bands: pd.DataFrame, group: str, *, order: Sequence[str] | None = None,
                     ylim: tuple[float, float] | None = None, markevery: int = 100, xlabel: str = "iterations",
                     ylabel: str = "loss", colors: Mapping[str, str] | None = None,
                     diverged: pd.DataFrame | None = None, ax: Axes | None = None) -> Axes:
    """One mean line per group with its shaded band; markers o, x, s, D, ... every `markevery` points; the
    y range is `ylim` (the book's) widened to the data; diverged runs (`diverged`: group, epoch, value) as
    red crosses where they stopped; the legend outside the axes."""
    ax = new_axes(ax, figsize=(7.4, 4.4))
    if bands.empty:
        return no_data(ax, "no curves exported")
    names = list(order) if order else list(dict.fromkeys(bands[group]))
    palette = [f"C{i}" for i in range(10)]
    for i, name in enumerate(n for n in names if n in set(bands[group])):
        sub = bands.loc[bands[group] == name].sort_values("epoch")
        colour = (colors or {}).get(name, palette[i % 10])
        _band(ax, sub, color=colour, marker=MARKERS[i % len(MARKERS)], markevery=max(markevery, 1),
              markersize=5, linewidth=1.2, label=mpl_text(name))
    mark_diverged(ax, diverged)
    fit_ylim(ax, bands, ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    integer_x(ax)
    legend(ax)
    return ax


def plot_bn_grid(bands: pd.DataFrame, *, scales: Sequence[float], diverged: pd.DataFrame | None = None) -> Axes:
    """The book's 4x4 grid: one panel per init scale "W:<w>", training accuracy with BN (solid) and without
    (dashed), mean over seeds with bands; ylim 0-1. `bands`: w_index, norm, epoch, mean, low, high (diverged
    runs continued flat, see data.book.flat_after_divergence). `diverged`: w_index, norm, epoch, value of
    each diverged run's last point, drawn as a red cross. The legend under the grid."""
    if bands.empty:
        return no_data(new_axes(), "no batch-norm curves exported")
    fig, axes = panel_grid(len(scales), 4, size=(2.7, 2.2), sharey=True)
    for k, ax in enumerate(axes[: len(scales)]):
        for norm, style, colour, text in (("batch_norm", "-", "C0", "Batch Normalization"),
                                          ("none", "--", "C1", "Normal (without BatchNorm)")):
            sub = bands.loc[(bands["w_index"] == k) & (bands["norm"] == norm)].sort_values("epoch")
            if len(sub):
                _band(ax, sub, color=colour, linestyle=style, linewidth=1.3, label=text)
        if diverged is not None and len(diverged):
            mark_diverged(ax, diverged.loc[diverged["w_index"] == k], label="diverged (flat after the cross)")
        ax.set_title(f"W:{scales[k]:.3g}", fontsize="small")
        integer_x(ax)
        ax.set_ylim(0, 1)
        if k % 4 == 0:
            ax.set_ylabel("accuracy")
        if k >= len(scales) - 4:
            ax.set_xlabel(EVALUATIONS)
    figure_legend(fig, axes[: len(scales)], where="below")
    return axes[0]


def plot_train_test(train: pd.DataFrame, test: pd.DataFrame, group: str, *, order: Sequence[str],
                    markevery: int = 10, diverged: pd.DataFrame | None = None) -> Axes:
    """One panel per group: train (o, solid) and test (s, dashed) accuracy per epoch, mean over seeds with
    bands; ylim 0-1; diverged runs (`diverged`: group, epoch, value) as red crosses; one legend under the
    panels."""
    names = [n for n in order if n in set(train[group])] if len(train) else []
    if not names:
        return no_data(new_axes(), "no accuracy curves exported")
    fig, axes = panel_grid(len(names), min(len(names), 2), size=(5.2, 3.4), sharey=True)
    for ax, name in zip(axes, names, strict=False):
        for frame, text, marker, style, colour in ((train, "train", "o", "-", "C0"), (test, "test", "s", "--", "C3")):
            sub = frame.loc[frame[group] == name].sort_values("epoch")
            every = max(1, min(markevery, len(sub) // 5))  # markers along a short run too, not only at x=0
            _band(ax, sub, color=colour, marker=marker, markevery=every, markersize=4,
                  linestyle=style, linewidth=1.2, label=text)
        if diverged is not None and len(diverged):
            mark_diverged(ax, diverged.loc[diverged[group] == name])
        ax.set_title(mpl_text(name))
        ax.set_ylim(0, 1)
        ax.set_xlabel(EVALUATIONS)
        ax.set_ylabel("accuracy")
        integer_x(ax)
    figure_legend(fig, axes[: len(names)], where="below")
    return axes[0]
