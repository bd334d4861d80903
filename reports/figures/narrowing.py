"""Figures of a range-narrowing run: the book's Best-k grid and score vs parameter with each round's box.

Data in (pandas frames of the export schema), Axes out; no file I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from reports.figures.style import COLOR_DIVERGED, DIVERGED_STYLE, DPI, integer_x, legend, mpl_text, new_axes, no_data

ROUND_COLORS = ("#3b6fb6", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#e15759")


def _short(v: object) -> str:
    return f"{v:.1e}" if isinstance(v, float | np.floating) and np.isfinite(v) else mpl_text(v)


def best_k_grid(trials: pd.DataFrame, curves: pd.DataFrame, *, k: int = 20, cols: int = 5,
                param_labels: Mapping[str, str] | None = None) -> Axes:
    """The book's Best-k figure: one panel per top trial (validation accuracy solid, training dashed, vs
    epoch, ylim 0-1), titled with rank, score and the parameters, with a key under the grid for the two line
    styles (and for diverged runs, drawn red). `trials` must be ordered best first."""
    labels = dict(param_labels or {"lr": "lr", "weight_decay": "wd"})
    top = trials.head(k)
    rows = max(1, int(np.ceil(len(top) / cols)))
    fig = Figure(figsize=(2.6 * cols, 2.1 * rows), dpi=DPI, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
    if top.empty:
        return no_data(axes[0][0], "no scored trial")
    by_trial = {n: g for n, g in curves.groupby("number")} if not curves.empty else {}
    for i, ax in enumerate(axes.flat):
        if i >= len(top):
            ax.set_visible(False)
            continue
        row = top.iloc[i]
        g = by_trial.get(row["number"])
        if g is not None:
            for metric, style in (("val_acc", "-"), ("train_acc", "--")):
                c = g[g["metric"] == metric].sort_values("epoch")
                ax.plot(c["epoch"], c["value"], style, lw=1.2, color=COLOR_DIVERGED if row["diverged"] else None)
        parts = [f"{lab} {_short(row[c])}" for name, lab in labels.items()
                 for c in (name, f"param_{name}") if c in row.index]
        ax.set_title(f"Best-{i + 1} ({row['value']:.2f})\n" + ", ".join(parts), fontsize=8)
        ax.set_ylim(0, 1)
        ax.tick_params(labelsize=7)
        integer_x(ax)
    axes[-1][0].set_xlabel("epoch")
    axes[0][0].set_ylabel("accuracy")
    key = [Line2D([], [], color="#333", ls="-", lw=1.2, label="validation accuracy (solid)"),
           Line2D([], [], color="#333", ls="--", lw=1.2, label="training accuracy (dashed)")]
    if top["diverged"].any():
        key.append(Line2D([], [], color=COLOR_DIVERGED, lw=1.2, label="diverged run (red)"))
    fig.legend(handles=key, loc="outside lower center", ncols=len(key), fontsize="small")
    return axes[0][0]


def score_vs_param_rounds(trials: pd.DataFrame, boxes: Mapping[int, tuple[float, float]], param: str, *,
                          log: bool = True, ax: Axes | None = None) -> Axes:
    """Final score vs one parameter, every round's trials in its colour, each round's search box shaded;
    diverged trials as red crosses. `trials` has a `round` column and `param_<param>`."""
    ax = new_axes(ax)
    col = f"param_{param}"
    if trials.empty or col not in trials.columns:
        return no_data(ax, f"no trials with {param}")
    for r, (lo, hi) in sorted(boxes.items()):
        color = ROUND_COLORS[(r - 1) % len(ROUND_COLORS)]
        ax.axvspan(lo, hi, color=color, alpha=0.12, lw=0)
        ax.axvline(lo, color=color, lw=0.8, ls=":")
        ax.axvline(hi, color=color, lw=0.8, ls=":")
    scored = trials[trials["value"].notna()]
    for r, g in scored.groupby("round"):
        ok = g[~g["diverged"]]
        ax.scatter(ok[col], ok["value"], s=14, color=ROUND_COLORS[(int(r) - 1) % len(ROUND_COLORS)],
                   label=f"round {int(r)}", alpha=0.85, zorder=3)
    div = scored[scored["diverged"]]
    if len(div):
        ax.scatter(div[col], div["value"], label="diverged", **DIVERGED_STYLE)
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(mpl_text(param))
    ax.set_ylabel("final validation accuracy")
    ax.set_ylim(-0.02, 1.02)
    legend(ax)
    return ax
