"""reports.data.compare: several studies pooled by group: the per-group score table (by hand) and the
best-so-far history sampled on a grid."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports.data.compare import best_so_far_grid, comparison_table


def test_best_so_far_grid_samples_the_history():
    hist = pd.DataFrame({"best": np.arange(1.0, 1001.0)})
    grid = best_so_far_grid(hist, points=5)
    assert grid["index"].tolist() == [1, 251, 500, 750, 1000]
    assert grid["best"].tolist() == [1.0, 251.0, 500.0, 750.0, 1000.0]
    assert len(best_so_far_grid(hist.head(3), points=200)) == 3


def test_comparison_table_by_hand():
    frame = pd.DataFrame({
        "group": ["a"] * 5 + ["b"] * 2,
        "study": ["a1", "a1", "a1", "a2", "a2", "b1", "b1"],
        "value": [0.1, 0.2, 0.9, 0.5, 0.7, 0.4, 0.6],
    })
    table = comparison_table(frame, rng=np.random.default_rng(0), n_boot=500).set_index("group")
    assert table.loc["a", "studies"] == 2 and table.loc["a", "trials"] == 5
    assert table.loc["a", "mean"] == pytest.approx(0.48)
    assert table.loc["a", "median"] == pytest.approx(0.5)
    assert table.loc["a", "best_mean"] == pytest.approx(0.8)  # bests 0.9 and 0.7
    assert table.loc["b", "best_mean"] == pytest.approx(0.6)
    # one or two studies / trials: no interval (NaN), never a zero-width "CI"
    assert np.isnan(table.loc["b", "best_ci_low"]) and np.isnan(table.loc["a", "best_ci_high"])
    assert np.isnan(table.loc["b", "mean_ci_low"])  # two trials
    row = table.loc["a"]  # five trials
    assert row["mean_ci_low"] <= row["mean"] <= row["mean_ci_high"]
    assert row["median_ci_low"] <= row["median"] <= row["median_ci_high"]
    table_min = comparison_table(frame, rng=np.random.default_rng(0), direction="minimize")
    assert table_min.set_index("group").loc["a", "best_mean"] == pytest.approx(0.3)  # 0.1 and 0.5
