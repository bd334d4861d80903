"""Figure functions of one study's report: data in, matplotlib Axes out, no file I/O, no pyplot state.

Trial-level figures live here; per-epoch curve figures in `reports.figures.curves`, comparison figures in
`reports.figures.compare`. Each function takes export-schema frames, draws on `ax` (a new `Figure` when None)
and returns the Axes. Artists carry labels ("complete", "pruned", "diverged", "best so far", ...) so tests
can find them. Diverged trials are drawn as red crosses (or red dashed lines) wherever they appear.
Strings that came from data are passed through `mpl_text` so a `$` never starts matplotlib mathtext.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection

from reports.data import study as S
from reports.figures.style import (
    CMAP,
    COLOR_COMPLETE,
    COLOR_DIVERGED,
    COLOR_OTHER,
    COLOR_PRUNED,
    DIVERGED_STYLE,
    alpha_for,
    axis_text,
    colorbar,
    integer_x,
    legend,
    mpl_text,
    new_axes,
    no_data,
    size_for,
    spread,
)
from reports.load import PARAM_PREFIX


def _scatter_split(ax: Axes, x: np.ndarray, y: np.ndarray, diverged: np.ndarray, **kwargs: object) -> None:
    """Scatter the non-diverged points with `kwargs` ("complete") and the diverged ones as red crosses."""
    keep = ~diverged
    if keep.any():
        ax.scatter(x[keep], y[keep], **({"s": size_for(int(keep.sum())), "color": COLOR_COMPLETE, "label": "complete",
                                         "alpha": alpha_for(int(keep.sum())), "edgecolors": "none"} | kwargs))
    if diverged.any():
        ax.scatter(x[diverged], y[diverged], label="diverged", **DIVERGED_STYLE)


def plot_history(trials: pd.DataFrame, *, direction: str = "maximize", ax: Axes | None = None) -> Axes:
    """Optimization history: each COMPLETE trial's score against its number, the best-so-far step line
    (COMPLETE trials), PRUNED trials' last values in grey, and diverged trials (COMPLETE or PRUNED) as red
    crosses."""
    ax = new_axes(ax, figsize=(11.0, 4.0))
    hist = S.best_so_far(trials, direction)
    finite = np.isfinite(trials["value"].to_numpy(dtype=float))
    div = trials["diverged"].to_numpy(dtype=bool)
    pruned = trials.loc[(trials["state"] == S.PRUNED).to_numpy() & finite & ~div]
    diverged = trials.loc[trials["state"].isin([S.COMPLETE, S.PRUNED]).to_numpy() & finite & div]
    if hist.empty and pruned.empty and diverged.empty:
        return no_data(ax, "no COMPLETE or PRUNED trial has a score")
    if len(pruned):
        ax.scatter(pruned["number"], pruned["value"], s=size_for(len(pruned)) * 0.6, color=COLOR_OTHER,
                   alpha=alpha_for(len(pruned)), edgecolors="none", label="pruned (last value)")
    complete = hist.loc[~hist["diverged"]]
    if len(complete):
        ax.scatter(complete["number"], complete["value"], s=size_for(len(complete)), color=COLOR_COMPLETE,
                   edgecolors="none", alpha=alpha_for(len(complete)), label="complete")
    if len(diverged):
        ax.scatter(diverged["number"], diverged["value"], label="diverged", **DIVERGED_STYLE)
    if len(hist):
        ax.step(hist["number"], hist["best"], where="post", color="#111", linewidth=1.6, label="best so far")
    ax.set_xlabel("trial number")
    ax.set_ylabel("score")
    integer_x(ax)
    legend(ax)
    return ax


def categorical_positions(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Positions for a categorical column: category code plus a deterministic jitter in [-0.15, 0.15] (narrow
    enough that the points of one category never read as two values)
    (from the row order, no random state), and the category labels in code order: numeric order when every
    label is a number (0.15 before 0.2), else shortest first, then alphabetical."""
    labels = sorted({str(v) for v in values}, key=lambda s: (len(s), s))
    numbers = pd.to_numeric(pd.Series(labels, dtype=object), errors="coerce")
    if labels and numbers.notna().all():
        labels = [s for _, s in sorted(zip(numbers, labels, strict=True))]
    codes = pd.Categorical(values.astype(str), categories=labels).codes.astype(float)
    return codes + spread(len(values), 0.3), labels


def plot_param(
    trials: pd.DataFrame,
    name: str,
    *,
    log: bool = False,
    categorical: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Score against one parameter (COMPLETE trials having it): log x when `log`, categories side by side
    when `categorical`; diverged trials as red crosses."""
    ax = new_axes(ax, figsize=(4.6, 3.4))
    frame = S.param_frame(trials, name)
    ax.set_xlabel(mpl_text(name))
    ax.set_ylabel("score")
    if frame.empty:
        return no_data(ax, f"no COMPLETE trial has {name}")
    if categorical:
        x, labels = categorical_positions(frame["x"])
        ax.set_xticks(range(len(labels)), [axis_text(s) for s in labels])
        ax.set_xlim(-0.5, len(labels) - 0.5)  # the jitter stays inside its category, even with one category
    else:
        x = pd.to_numeric(frame["x"], errors="coerce").to_numpy(dtype=float)
    _scatter_split(ax, x, frame["value"].to_numpy(), frame["diverged"].to_numpy())
    if log and not categorical and np.all(x[np.isfinite(x)] > 0):
        ax.set_xscale("log")
    return ax


def plot_lr_wd(
    trials: pd.DataFrame,
    *,
    x: str = "lr",
    y: str = "weight_decay",
    log_x: bool = True,
    log_y: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Scatter of parameter `x` against parameter `y` (learning rate x weight decay by default) for the
    COMPLETE trials, coloured by score, with a colour bar; diverged trials as red crosses."""
    ax = new_axes(ax, figsize=(6.0, 4.4))
    ax.set_xlabel(mpl_text(x))
    ax.set_ylabel(mpl_text(y))
    missing = [n for n in (x, y) if PARAM_PREFIX + n not in trials.columns]
    if missing:
        return no_data(ax, f"no parameter {missing[0]} in this study")
    ok = S.scored(trials)
    ok = ok.loc[ok[PARAM_PREFIX + x].notna() & ok[PARAM_PREFIX + y].notna()]
    if ok.empty:
        return no_data(ax, f"no COMPLETE trial has both {x} and {y}")
    xs = pd.to_numeric(ok[PARAM_PREFIX + x], errors="coerce").to_numpy(dtype=float)
    ys = pd.to_numeric(ok[PARAM_PREFIX + y], errors="coerce").to_numpy(dtype=float)
    values = ok["value"].to_numpy(dtype=float)
    div = ok["diverged"].to_numpy(dtype=bool)
    if (~div).any():
        n = int((~div).sum())
        points = ax.scatter(xs[~div], ys[~div], c=values[~div], cmap=CMAP, s=size_for(n), edgecolors="none",
                            alpha=max(alpha_for(n), 0.5), label="complete")
        colorbar(ax, points, "score")
    if div.any():
        ax.scatter(xs[div], ys[div], label="diverged", **DIVERGED_STYLE)
    if log_x and np.all(xs > 0):
        ax.set_xscale("log")
    if log_y and np.all(ys > 0):
        ax.set_yscale("log")
    legend(ax)
    return ax


def plot_parallel(
    trials: pd.DataFrame,
    params: Iterable[str],
    *,
    log: Collection[str] = (),
    categorical: Collection[str] = (),
    direction: str = "maximize",
    ax: Axes | None = None,
) -> Axes:
    """Parallel coordinates of the COMPLETE trials: one vertical axis per parameter plus the score, each
    normalised to [0, 1] (log10 for `log` parameters, category codes for `categorical` ones); lines
    coloured by score (one LineCollection), diverged trials as a red dashed LineCollection."""
    ax = new_axes(ax, figsize=(11.0, 4.4))
    data = S.parallel_frame(trials, list(params), log=log, categorical=categorical)
    if len(data.values) == 0:
        return no_data(ax, "no COMPLETE trial to draw")
    axes_names = data.names
    xs = np.broadcast_to(np.arange(len(axes_names), dtype=float), data.matrix.shape)
    segments = np.stack([xs, data.matrix], axis=-1)
    div = data.diverged
    if div.any():
        ax.add_collection(LineCollection(segments[div], colors=COLOR_DIVERGED, linewidths=0.8, zorder=1,
                                         linestyles="--", alpha=alpha_for(int(div.sum())), label="diverged"))
    if (~div).any():
        order = np.argsort(data.values[~div], kind="stable")  # best drawn last, on top
        if direction.lower().startswith("min"):
            order = order[::-1]
        lines = LineCollection(segments[~div][order], array=data.values[~div][order], cmap=CMAP, zorder=2,
                               linewidths=0.8, alpha=max(alpha_for(int((~div).sum())), 0.15), label="complete")
        ax.add_collection(lines)
        colorbar(ax, lines, "score")
    for i, (low, high) in enumerate(data.ticks):
        ax.axvline(i, color="#444", linewidth=0.8)
        ax.annotate(axis_text(low), (i, 0), xytext=(3, -2), textcoords="offset points", fontsize=7, va="top")
        ax.annotate(axis_text(high), (i, 1), xytext=(3, 2), textcoords="offset points", fontsize=7)
    ax.set_xticks(range(len(axes_names)), [axis_text(n) for n in axes_names], rotation=20)
    ax.set_xlim(-0.2, len(axes_names) - 0.6)
    ax.set_ylim(-0.08, 1.08)
    ax.set_yticks([])
    return ax


def plot_importance(importance: Mapping[str, float], *, n_trials: int | None = None, ax: Axes | None = None) -> Axes:
    """Horizontal bars of the parameter importances exported by hpsearch (meta["importance"]); entries
    that are not numbers are left out; the x label says on how many trials (`n_trials`) they rest."""
    ax = new_axes(ax, figsize=(5.6, 3.4))
    values = pd.to_numeric(pd.Series(dict(importance or {}), dtype=object), errors="coerce").dropna()
    items = sorted(((str(k), float(v)) for k, v in values.items()), key=lambda kv: kv[1])
    if not items:
        return no_data(ax, "no parameter importance exported")
    ax.barh([mpl_text(k) for k, _ in items], [v for _, v in items], color=COLOR_COMPLETE)
    ax.set_xlabel("importance" + (f" (from {n_trials} COMPLETE trials)" if n_trials is not None else ""))
    return ax


def plot_durations(trials: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Trial wall time against trial number, one marker per state, diverged trials as red crosses."""
    ax = new_axes(ax)
    frame = trials.loc[trials["seconds"].notna()]
    ax.set_xlabel("trial number")
    ax.set_ylabel("seconds")
    if frame.empty:
        return no_data(ax, "no trial durations")
    styles = {S.COMPLETE: ("o", COLOR_COMPLETE), S.PRUNED: ("v", COLOR_PRUNED)}
    div = frame["diverged"].to_numpy(dtype=bool)
    for state, sub in frame.loc[~div].groupby("state", sort=True):
        marker, colour = styles.get(str(state), ("s", COLOR_OTHER))
        ax.scatter(sub["number"], sub["seconds"], marker=marker, color=colour, s=size_for(len(sub)), edgecolors="none",
                   alpha=alpha_for(len(sub)), label=mpl_text(str(state).lower()))
    if div.any():
        ax.scatter(frame.loc[div, "number"], frame.loc[div, "seconds"], label="diverged", **DIVERGED_STYLE)
    integer_x(ax)
    legend(ax)
    return ax
