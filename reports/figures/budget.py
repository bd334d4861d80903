"""Figures of a search under a budget: best-so-far (steps) and every trial's score against wall time and
against the epochs all trials have spent. Data in (a `reports.data.budget.budget_history` frame), Axes out,
no file I/O."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from reports.figures.style import COLOR_COMPLETE, COLOR_PRUNED, DIVERGED_STYLE, legend, new_axes, no_data

__all__ = ["plot_best_vs_epochs", "plot_best_vs_time"]


def _plot(history: pd.DataFrame, x: str, xlabel: str, ax: Axes | None) -> Axes:
    ax = new_axes(ax, figsize=(6.4, 4.0))
    done = history.loc[history["best"].notna()]
    if done.empty:
        return no_data(ax, "no COMPLETE trial yet")
    xs = history[x].to_numpy(dtype=float)
    diverged = history["diverged"].to_numpy(dtype=bool)
    complete = (history["state"] == "COMPLETE").to_numpy()
    values = history["value"].to_numpy(dtype=float)
    ax.scatter(xs[complete & ~diverged], values[complete & ~diverged], s=14, color=COLOR_COMPLETE, alpha=0.6,
               label="complete trial")
    if (diverged & np.isfinite(values)).any():
        ax.scatter(xs[diverged], values[diverged], label="diverged", **DIVERGED_STYLE)
    pruned = (history["state"] == "PRUNED").to_numpy() & np.isfinite(values)
    if pruned.any():
        ax.scatter(xs[pruned], values[pruned], s=10, color=COLOR_PRUNED, alpha=0.6, label="pruned (last value)")
    bx = np.append(done[x].to_numpy(dtype=float), np.nanmax(xs))  # the best holds until the search's end
    by = np.append(done["best"].to_numpy(dtype=float), done["best"].iloc[-1])
    ax.step(bx, by, where="post", color="black", linewidth=1.6, label="best so far")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("validation accuracy")
    shown = values[(complete | pruned | diverged) & np.isfinite(values)]
    ax.set_ylim(max(0.0, float(np.min(shown)) - 0.02), min(1.0, float(np.max(shown)) + 0.02))
    legend(ax)
    return ax


def plot_best_vs_time(history: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Best-so-far validation score (steps) and every trial's score against wall time (minutes)."""
    return _plot(history.assign(minutes=history["elapsed_s"] / 60.0), "minutes", "wall time (minutes)", ax)


def plot_best_vs_epochs(history: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Best-so-far validation score (steps) against the epochs all trials have spent together."""
    return _plot(history, "epochs_spent", "epochs spent by all trials", ax)
