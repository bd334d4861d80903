"""reports.figures.book: the data the book-experiment figures draw (panels, titles, limits, line styles)."""

from __future__ import annotations

import pandas as pd
import pytest

from reports.data.book import BN_SCALES
from reports.figures import book as B


def test_figures_draw_their_data():
    paths = pd.DataFrame({"optimizer": ["sgd"] * 2 + ["adam"] * 2, "step": [0, 1] * 2, "x": [-7, -6, -7, -5],
                          "y": [2, -1, 2, 1]})
    ax = B.plot_trajectories(paths, order=["sgd", "momentum", "adam"], step=0.2)
    panels = [a for a in ax.figure.axes if a.get_visible() and a.axison]
    assert [a.get_title() for a in panels] == ["sgd", "adam"]
    assert panels[1].get_xlim() == (-10, 10)
    assert panels[1].lines[0].get_xydata().tolist() == [[-7, 2], [-5, 1]]
    counts = pd.DataFrame({"activation": "relu", "init": "he", "layer": 1, "bin": [0, 1, 2], "count": [90.0, 5, 4]})
    hax = B.plot_activation_histograms(counts, "relu", inits=["he"])
    assert hax.get_ylim()[1] == pytest.approx(5 * 1.25) and "clipped" in hax.texts[0].get_text()
    bands = pd.DataFrame({"w_index": [0, 0], "norm": ["batch_norm", "none"], "epoch": [0, 0], "mean": [0.5, 0.1],
                          "low": [0.4, 0.1], "high": [0.6, 0.1]})
    grid = B.plot_bn_grid(bands, scales=BN_SCALES)
    assert len(grid.figure.axes) == 16 and grid.get_title() == "W:1"
    assert grid.figure.axes[1].get_title() == "W:0.541"
    assert [line.get_linestyle() for line in grid.lines] == ["-", "--"]
