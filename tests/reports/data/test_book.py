"""The book-experiment data layer (reports.data.book) on hand-made exports (conftest's make_book_export)."""

from __future__ import annotations

import numpy as np
import pytest

from reports.data import book as D


def test_window_table_means_each_run_then_the_seeds(make_book_export):
    loss = {0: {"loss": [9.0, 1.0, 3.0, 5.0]}, 1: {"loss": [9.0, 3.0, 5.0, 7.0]}}
    exp = make_book_export({"optimizer": ["sgd", "sgd"], "seed": [0, 1]}, loss)
    table = D.window_table(D.curve_frame(exp, "loss"), "optimizer", [(1, 2), (3, 3)], rng=np.random.default_rng(0))
    row = table.iloc[0]
    assert row["seeds"] == 2 and row["loss 1-2 mean"] == pytest.approx(3.0)  # runs: 2.0 and 4.0
    assert row["loss 3-3 mean"] == pytest.approx(6.0)
    assert np.isnan(row["loss 1-2 ci low"]) and np.isnan(row["loss 1-2 ci high"])  # two seeds: no CI
    assert D.book_windows(2000) == [(100, 500), (1000, 1999)] and D.book_windows(40) == [(2, 10), (20, 39)]


def test_gap_table_numbers(make_book_export):
    params = {"regularizer": ["none", "none", "dropout"], "dropout": [None, None, 0.15], "seed": [0, 1, 0]}
    curves = {0: {"train_acc": [0.5, 1.0], "test_acc": [0.4, 0.7]},
              1: {"train_acc": [0.6, 0.9], "test_acc": [0.5, 0.6]},
              2: {"train_acc": [0.8, 0.7], "test_acc": [0.6, 0.65]}}
    gap = D.gap_table(make_book_export(params, curves), rng=np.random.default_rng(0)).set_index("regulariser")
    assert gap.loc["none", "train acc mean"] == pytest.approx(0.95)
    assert gap.loc["none", "test acc mean"] == pytest.approx(0.65)
    assert gap.loc["none", "gap mean"] == pytest.approx(0.3) and gap.loc["none", "seeds"] == 2
    assert gap.loc["dropout 0.15", "gap mean"] == pytest.approx(0.05)
    assert gap.loc["dropout 0.15", "max train acc mean"] == pytest.approx(0.8)


def test_histograms_and_trajectories_from_curves(make_book_export):
    params = {"activation": ["relu", "relu"], "init": ["he", "he"], "seed": [0, 1]}
    exp = make_book_export(params, {0: {"hist_layer1": [4.0, 2.0], "hist_layer2": [1.0, 1.0]},
                                    1: {"hist_layer1": [2.0, 0.0], "hist_layer2": [3.0, 1.0]}})
    counts = D.hist_counts(exp)
    assert counts.loc[(counts["layer"] == 1), "count"].tolist() == [3.0, 1.0]
    assert counts.loc[(counts["layer"] == 2), "count"].tolist() == [2.0, 1.0]
    paths = D.trajectories(make_book_export({"optimizer": ["sgd"]}, {0: {"x": [-7.0, -6.3], "y": [2.0, -1.8],
                                                                        "f": [6.45, 5.2]}}))
    assert paths[["step", "x", "y"]].to_numpy().tolist() == [[0, -7.0, 2.0], [1, -6.3, -1.8]]
