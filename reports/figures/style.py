"""Shared drawing vocabulary of the report figures: colours, the diverged marker, a pyplot-free Axes
factory and panel grid, the "no data" placeholder, safe text for data strings, and the house rules every
figure follows: legends sit outside the plotting area (never over data), bands lie under every line (a line
keeps its legend colour however many bands overlap), integer axes get integer ticks.

DPI: figures are drawn at 150 dots per inch (sharp on current screens); the page shows each PNG at its
size in inches (`reports.pages.html` sets the display width), so a sharper PNG does not make a figure bigger."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.ticker import MaxNLocator

DPI = 150
COLOR_COMPLETE = "#3b6fb6"
COLOR_PRUNED = "#f28e2b"
COLOR_OTHER = "#9a9a9a"
COLOR_DIVERGED = "#d62728"
CMAP = "viridis"
DIVERGED_STYLE = {"marker": "x", "color": COLOR_DIVERGED, "s": 28, "linewidths": 1.2, "zorder": 4}


def mpl_text(value: object) -> str:
    """A data string made safe for matplotlib text (escapes `$`, which would start mathtext)."""
    return str(value).replace("$", r"\$")


def axis_text(value: object, limit: int = 28) -> str:
    """:func:`mpl_text` of a data value shown ON the axes (tick labels, axis annotations): a value longer than
    ``limit`` characters keeps its start and end around an ellipsis, so long category names neither crowd the
    figure nor lose the suffix that tells them apart."""
    text = str(value)
    if len(text) > limit:
        head = (limit - 1) // 2
        text = text[:head] + "\u2026" + text[len(text) - (limit - 1 - head):]
    return mpl_text(text)


def new_axes(ax: Axes | None = None, *, figsize: tuple[float, float] = (6.4, 4.0)) -> Axes:
    """`ax`, or the single Axes of a new (pyplot-free) Figure."""
    if ax is not None:
        return ax
    return Figure(figsize=figsize, dpi=DPI, layout="constrained").add_subplot()


def no_data(ax: Axes, message: str) -> Axes:
    """Write `message` in the middle of an empty Axes (for missing data)."""
    ax.text(0.5, 0.5, mpl_text(message), ha="center", va="center", transform=ax.transAxes, color="#555")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def alpha_for(n: int) -> float:
    """A marker opacity that keeps n overlapping points readable."""
    return float(np.clip(400.0 / max(n, 1), 0.08, 0.9))


def spread(n: int, width: float = 0.6) -> np.ndarray:
    """Deterministic jitter for n points in [-width/2, width/2) (golden-ratio sequence: no random state,
    the same picture on every render)."""
    return ((np.arange(n) * 0.6180339887) % 1.0 - 0.5) * width


def legend(ax: Axes, *, where: str = "right", **kwargs: object) -> Legend | None:
    """The legend of `ax`'s labelled artists, outside the plotting area (see :func:`figure_legend`)."""
    return figure_legend(ax.figure, [ax], where=where, **kwargs)


def figure_legend(fig: Figure, axes: Sequence[Axes], *, where: str = "right", **kwargs: object) -> Legend | None:
    """One legend of the labelled artists of `axes` (each label once), placed OUTSIDE the plotting area
    ("right": beside the axes, "below": under the panels; a figure legend laid out by constrained layout),
    so it never covers data. Its markers are opaque even when the plotted points are faint (many trials)."""
    seen: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(label, handle)
    if not seen:
        return None
    loc = "outside right upper" if where == "right" else "outside lower center"
    ncols = 1 if where == "right" else min(len(seen), 4)
    box = fig.legend(list(seen.values()), list(seen), **({"loc": loc, "fontsize": "small", "ncols": ncols} | kwargs))
    for handle in box.legend_handles:
        if handle is not None:
            handle.set_alpha(1.0)
    return box


BAND_ALPHA = 0.14
BAND_ZORDER = 1.0
LINE_ZORDER = 3.0


def band(ax: Axes, x: object, low: object, high: object, *, color: object, step: bool = False) -> None:
    """A confidence band under every line: light, at zorder BAND_ZORDER (lines are drawn at LINE_ZORDER), so
    overlapping bands never tint a line and each line keeps the colour its legend shows."""
    ax.fill_between(x, low, high, color=color, alpha=BAND_ALPHA, linewidth=0, zorder=BAND_ZORDER,
                    step="post" if step else None)


def colorbar(ax: Axes, mappable: ScalarMappable, label: str) -> None:
    """An opaque colour bar for `mappable` (whose artists may be translucent)."""
    mappable.autoscale_None()  # fix the norm's limits from the data before sharing it
    solid = ScalarMappable(norm=mappable.norm, cmap=mappable.cmap)
    ax.figure.colorbar(solid, ax=ax, label=label)


def integer_x(ax: Axes) -> None:
    """Integer ticks on the x axis (epochs, trial numbers, trial counts)."""
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def integer_y(ax: Axes) -> None:
    """Integer ticks on the y axis (counts)."""
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def size_for(n: int) -> float:
    """A marker area that suits n points: large for a handful, small for thousands."""
    return float(np.clip(3000.0 / max(n, 1), 10.0, 40.0))


def panel_grid(n: int, cols: int, *, size: tuple[float, float], sharey: bool = False) -> tuple[Figure, np.ndarray]:
    """A pyplot-free Figure of `n` panels in rows of `cols` (each `size` inches), the unused ones switched off;
    returns the Figure and its Axes, flattened."""
    rows = max(1, -(-n // cols))
    fig = Figure(figsize=(size[0] * cols, size[1] * rows), dpi=DPI, layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False, sharey=sharey)).ravel()
    for ax in axes[n:]:
        ax.set_axis_off()
    return fig, axes
