"""The book-experiment data layer (reports.book_data, reports.fair_report) on hand-made exports, and the data
drawn by the figure functions (reports.figures_book, reports.figures_fair)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports import book_data as D
from reports import fair_report as FR
from reports import figures_book as B
from reports import figures_fair as FF
from reports.load import StudyExport


def _export(params: dict[str, list], curves: dict[int, dict[str, list[float]]], *, values=None, diverged=None,
            meta=None) -> StudyExport:
    n = len(next(iter(params.values())))
    trials = pd.DataFrame({
        "study": "s", "number": np.arange(n), "state": "COMPLETE",
        "value": values if values is not None else np.linspace(0.1, 0.9, n),
        "best_val_acc": 0.0, "diverged": diverged if diverged is not None else [False] * n, "seconds": 1.0,
        "epochs_run": 1, "worker": "w", "seed": 0, "datetime_start": None, "datetime_complete": None,
        **{f"param_{k}": v for k, v in params.items()}})
    rows = [{"study": "s", "number": k, "epoch": e, "metric": m, "value": v}
            for k, per in curves.items() for m, vals in per.items() for e, v in enumerate(vals)]
    frame = pd.DataFrame(rows, columns=["study", "number", "epoch", "metric", "value"])
    return StudyExport.from_frames(trials, frame, meta or {})


def test_mean_bands_average_replicates_and_bracket_the_mean():
    exp = _export({"optimizer": ["sgd", "sgd", "sgd", "adam"], "seed": [0, 1, 2, 0]},
                  {0: {"loss": [1.0, 2.0]}, 1: {"loss": [3.0, 2.0]}, 2: {"loss": [5.0, 2.0]}, 3: {"loss": [0.5, 0.4]}})
    bands = D.mean_bands(D.curve_frame(exp, "loss"), "optimizer", rng=np.random.default_rng(0), n_boot=200)
    sgd = bands[bands["optimizer"] == "sgd"].set_index("epoch")
    assert sgd["mean"].tolist() == [3.0, 2.0] and sgd["n"].tolist() == [3, 3]
    assert sgd.loc[0, "low"] < 3.0 < sgd.loc[0, "high"] and 1.0 <= sgd.loc[0, "low"]
    assert sgd.loc[1, "low"] == sgd.loc[1, "high"] == 2.0  # no spread, no band
    adam = bands[bands["optimizer"] == "adam"]
    assert adam["low"].isna().all() and adam["high"].isna().all()  # one replicate: no band at all


def test_window_table_means_each_run_then_the_seeds():
    loss = {0: {"loss": [9.0, 1.0, 3.0, 5.0]}, 1: {"loss": [9.0, 3.0, 5.0, 7.0]}}
    exp = _export({"optimizer": ["sgd", "sgd"], "seed": [0, 1]}, loss)
    table = D.window_table(D.curve_frame(exp, "loss"), "optimizer", [(1, 2), (3, 3)], rng=np.random.default_rng(0))
    row = table.iloc[0]
    assert row["seeds"] == 2 and row["loss 1-2 mean"] == pytest.approx(3.0)  # runs: 2.0 and 4.0
    assert row["loss 3-3 mean"] == pytest.approx(6.0)
    assert np.isnan(row["loss 1-2 ci low"]) and np.isnan(row["loss 1-2 ci high"])  # two seeds: no CI
    assert D.book_windows(2000) == [(100, 500), (1000, 1999)] and D.book_windows(40) == [(2, 10), (20, 39)]


def test_gap_table_numbers():
    params = {"regularizer": ["none", "none", "dropout"], "dropout": [None, None, 0.15], "seed": [0, 1, 0]}
    curves = {0: {"train_acc": [0.5, 1.0], "test_acc": [0.4, 0.7]},
              1: {"train_acc": [0.6, 0.9], "test_acc": [0.5, 0.6]},
              2: {"train_acc": [0.8, 0.7], "test_acc": [0.6, 0.65]}}
    gap = D.gap_table(_export(params, curves), rng=np.random.default_rng(0)).set_index("regulariser")
    assert gap.loc["none", "train acc mean"] == pytest.approx(0.95)
    assert gap.loc["none", "test acc mean"] == pytest.approx(0.65)
    assert gap.loc["none", "gap mean"] == pytest.approx(0.3) and gap.loc["none", "seeds"] == 2
    assert gap.loc["dropout 0.15", "gap mean"] == pytest.approx(0.05)
    assert gap.loc["dropout 0.15", "max train acc mean"] == pytest.approx(0.8)


def test_histograms_and_trajectories_from_curves():
    params = {"activation": ["relu", "relu"], "init": ["he", "he"], "seed": [0, 1]}
    exp = _export(params, {0: {"hist_layer1": [4.0, 2.0], "hist_layer2": [1.0, 1.0]},
                           1: {"hist_layer1": [2.0, 0.0], "hist_layer2": [3.0, 1.0]}})
    counts = D.hist_counts(exp)
    assert counts.loc[(counts["layer"] == 1), "count"].tolist() == [3.0, 1.0]
    assert counts.loc[(counts["layer"] == 2), "count"].tolist() == [2.0, 1.0]
    paths = D.trajectories(_export({"optimizer": ["sgd"]}, {0: {"x": [-7.0, -6.3], "y": [2.0, -1.8],
                                                               "f": [6.45, 5.2]}}))
    assert paths[["step", "x", "y"]].to_numpy().tolist() == [[0, -7.0, 2.0], [1, -6.3, -1.8]]


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
    grid = B.plot_bn_grid(bands, scales=D.BN_SCALES)
    assert len(grid.figure.axes) == 16 and grid.get_title() == "W:1"
    assert grid.figure.axes[1].get_title() == "W:0.541"
    assert [line.get_linestyle() for line in grid.lines] == ["-", "--"]


def test_fair_data_layer_and_figures():
    sens = pd.DataFrame({"optimizer": ["sgd"] * 4, "lr": [1e-3, 0.1, 3.0, 8.0], "value": [0.2, 0.9, 0.1, 0.1],
                         "diverged": [False, False, True, True]})
    onset = FR.divergence_table(sens).iloc[0]
    assert onset["diverges from lr"] == 3.0 and onset["largest stable lr"] == 0.1 and onset["best lr"] == 0.1
    assert onset["diverged"] == 2
    ax = FF.plot_sensitivity(sens, order=["sgd"], onset=FR.divergence_table(sens))
    assert ax.get_xscale() == "log"
    vline = [line for line in ax.lines if line.get_label() == "divergence starts"]
    assert vline and vline[0].get_xdata()[0] == 3.0
    configs = [{"label": "sgd:default", "optimizer": "sgd", "kind": "default", "params": {"lr": 0.01}},
               {"label": "sgd:tuned:0", "optimizer": "sgd", "kind": "tuned", "tuning_seed": 0, "params": {"lr": 0.1}}]
    test = _export({"config": ["sgd:default", "sgd:default", "sgd:tuned:0", "sgd:tuned:0"], "seed": [0, 1, 0, 1]},
                   {}, values=[0.8, 0.9, 0.95, 0.97], meta={"spec": {"settings": {"configs": configs}}})
    summary = FR.default_vs_tuned(FR.test_frame(test), rng=np.random.default_rng(0)).set_index("kind")
    assert summary.loc["default", "mean"] == pytest.approx(0.85) and summary.loc["tuned", "mean"] == pytest.approx(0.96)
    assert summary.loc["tuned", "lr"] == "0.1" and summary.loc["default", "runs"] == 2
    dax = FF.plot_default_vs_tuned(summary.reset_index(), order=["sgd"])
    assert len(dax.containers) == 2


def test_bands_of_diverged_runs_are_nan_where_no_replicate_reached():
    exp = _export({"optimizer": ["sgd", "sgd"], "seed": [0, 1]},
                  {0: {"loss": [1.0, float("nan")]}, 1: {"loss": [2.0, float("nan")]}})
    bands = D.mean_bands(D.curve_frame(exp, "loss"), "optimizer", rng=np.random.default_rng(0), n_boot=50)
    assert bands["mean"].iloc[0] == 1.5 and np.isnan(bands["mean"].iloc[1]) and bands["n"].tolist() == [2, 0]
