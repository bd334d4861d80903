"""Figures of the fair optimizer comparison: learning-rate sensitivity per optimizer and defaults vs tuned
test accuracy. Data in (frames from `reports.data.fair`), Axes out, no file I/O."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from reports.data.study import best_index
from reports.figures.style import (
    COLOR_COMPLETE,
    DIVERGED_STYLE,
    figure_legend,
    legend,
    mpl_text,
    new_axes,
    no_data,
    panel_grid,
)


def plot_sensitivity(sens: pd.DataFrame, *, order: Sequence[str], onset: pd.DataFrame | None = None,
                     direction: str = "maximize") -> Axes:
    """One panel per optimizer: validation score of every tuning trial against its learning rate (log x);
    diverged trials as red crosses, a dashed red line where divergence starts (the smallest diverged lr),
    a star at the best trial (in `direction`). `sens`: optimizer, lr, value, diverged."""
    names = [o for o in order if o in set(sens["optimizer"])] if len(sens) else []
    if not names:
        return no_data(new_axes(), "no tuning trials exported")
    fig, axes = panel_grid(len(names), min(len(names), 3), size=(4.0, 3.1), sharey=True)
    for ax, name in zip(axes, names, strict=False):
        sub = sens.loc[sens["optimizer"] == name]
        div = sub["diverged"].to_numpy(dtype=bool)
        ax.scatter(sub.loc[~div, "lr"], sub.loc[~div, "value"], s=18, color=COLOR_COMPLETE, alpha=0.7,
                   edgecolors="none", label="trial")
        if div.any():
            ax.scatter(sub.loc[div, "lr"], sub.loc[div, "value"], label="diverged", **DIVERGED_STYLE)
        ok = sub.loc[~div] if (~div).any() else sub
        best = ok.loc[best_index(ok["value"], direction)]
        ax.scatter([best["lr"]], [best["value"]], marker="*", s=140, color="#f2b701", edgecolors="#333", zorder=5,
                   label="best")
        if onset is not None and name in set(onset["optimizer"]):
            start = onset.loc[onset["optimizer"] == name, "diverges from lr"].iloc[0]
            if np.isfinite(start):
                ax.axvline(start, color=DIVERGED_STYLE["color"], linestyle="--", linewidth=1.0,
                           label="divergence starts")
        ax.set_xscale("log")
        ax.set_title(mpl_text(name))
        ax.set_xlabel("learning rate")
        ax.set_ylabel("validation accuracy")
    figure_legend(fig, axes[: len(names)], where="below")
    return axes[0]


def plot_default_vs_tuned(summary: pd.DataFrame, *, order: Sequence[str], ax: Axes | None = None) -> Axes:
    """Test accuracy per optimizer at its defaults and tuned: means with 95% CI bars, side by side.
    `summary`: optimizer, kind (default | tuned), mean, low, high."""
    ax = new_axes(ax, figsize=(7.6, 4.2))
    names = [o for o in order if o in set(summary["optimizer"])] if len(summary) else []
    if not names:
        return no_data(ax, "no test scores exported")
    x = np.arange(len(names))
    for offset, kind, colour in ((-0.15, "default", "#9a9a9a"), (0.15, "tuned", COLOR_COMPLETE)):
        sub = summary.loc[summary["kind"] == kind].set_index("optimizer").reindex(names)
        mean = sub["mean"].to_numpy(dtype=float)
        err = np.vstack([mean - sub["low"].to_numpy(dtype=float), sub["high"].to_numpy(dtype=float) - mean])
        ax.errorbar(x + offset, mean, yerr=np.nan_to_num(err), fmt="o", color=colour, capsize=4, label=kind)
    ax.set_xticks(x, [mpl_text(n) for n in names])
    ax.set_ylabel("test accuracy")
    legend(ax)
    return ax
