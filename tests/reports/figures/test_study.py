"""The study page's figure functions (reports.figures.study and .curves) on the hand-made tiny study: the data
of each Axes (points, lines, collections,
scales, labels), found through the artists' labels. Figures are never shown; a few are rendered to PNG to
prove that data strings cannot break matplotlib's text parser."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_hex

from reports.figures import compare as FX
from reports.figures import curves as FC
from reports.figures import study as F
from reports.figures.style import COLOR_DIVERGED
from reports.pages.html import png_bytes


def artist(ax: Axes, label: str):
    found = [a for a in [*ax.collections, *ax.lines] if a.get_label() == label]
    assert len(found) == 1, f"{len(found)} artists labelled {label!r}: {[a.get_label() for a in ax.collections]}"
    return found[0]


def offsets(ax: Axes, label: str) -> np.ndarray:
    points = artist(ax, label)
    assert isinstance(points, PathCollection)
    return np.asarray(points.get_offsets())


def labels(ax: Axes) -> set[str]:
    return {a.get_label() for a in [*ax.collections, *ax.lines]}


def is_no_data(ax: Axes) -> bool:
    return any("no " in t.get_text() for t in ax.texts)


def test_history_points_best_line_and_marks(trials):
    ax = F.plot_history(trials)
    np.testing.assert_array_equal(offsets(ax, "complete"), [[0, 0.5], [1, 0.7], [3, 0.7], [5, 0.9]])
    np.testing.assert_array_equal(offsets(ax, "diverged"), [[6, 0.1]])
    np.testing.assert_array_equal(offsets(ax, "pruned (last value)"), [[2, 0.3]])
    assert artist(ax, "diverged").get_facecolor()[0][:3] == pytest.approx((214 / 255, 39 / 255, 40 / 255))
    best = artist(ax, "best so far")
    assert best.get_ydata().tolist() == [0.5, 0.7, 0.7, 0.9, 0.9]


def test_history_marks_a_diverged_pruned_trial_as_diverged(trials):
    trials.loc[2, "diverged"] = True
    ax = F.plot_history(trials)
    assert "pruned (last value)" not in labels(ax)
    assert offsets(ax, "diverged")[:, 0].tolist() == [2, 6]


def test_param_scatter_log_x_and_diverged(trials):
    ax = F.plot_param(trials, "lr", log=True)
    assert ax.get_xscale() == "log"
    assert offsets(ax, "complete")[:, 0].tolist() == [1e-3, 1e-2, 1e-1, 1e-3]
    assert offsets(ax, "diverged").tolist() == [[1.0, 0.1]]
    assert F.plot_param(trials, "momentum").get_xscale() == "linear"
    assert len(offsets(F.plot_param(trials, "momentum"), "complete")) == 2


def test_param_scatter_of_a_categorical(trials):
    ax = F.plot_param(trials, "optimizer", categorical=True)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["sgd", "adam", "momentum"]
    x = offsets(ax, "complete")[:, 0]  # trials 0 sgd, 1 momentum, 3 momentum, 5 adam
    np.testing.assert_array_equal(np.round(x), [0, 2, 2, 1])
    assert np.all(np.abs(x - np.round(x)) <= 0.15)


def test_numeric_categories_go_in_numeric_order_and_one_category_reads_as_one(trials):
    # the overfitting study's dropout choices 0.2 and 0.15 were drawn 0.2 left of 0.15 (shortest label first)
    done = trials.loc[trials["state"] == "COMPLETE"].index
    frame = trials.assign(param_dropout=None, param_wd=None)
    frame.loc[done, "param_dropout"] = [0.2, 0.15, 0.2, 0.15][: len(done)] + [0.2] * max(0, len(done) - 4)
    frame.loc[done, "param_wd"] = 0.1
    ax = F.plot_param(frame, "dropout", categorical=True)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.15", "0.2"]
    one = F.plot_param(frame, "wd", categorical=True)
    assert [t.get_text() for t in one.get_xticklabels()] == ["0.1"]
    x = offsets(one, "complete")[:, 0]
    # two points of one value sit within a narrow band around their tick, on an axis as wide as a category
    assert np.all(np.abs(x) <= 0.15) and one.get_xlim() == (-0.5, 0.5)


def test_lr_wd_scatter_is_coloured_by_score(trials):
    ax = F.plot_lr_wd(trials)
    points = artist(ax, "complete")
    assert points.get_array().tolist() == [0.5, 0.7, 0.9]  # trial 3 lacks weight_decay, 6 diverged
    assert offsets(ax, "diverged").tolist() == [[1.0, 1e-5]]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert len(ax.figure.axes) == 2  # the colour bar


def test_lr_wd_without_weight_decay_says_so(trials):
    ax = F.plot_lr_wd(trials.drop(columns=["param_weight_decay"]))
    assert [t.get_text() for t in ax.texts] == ["no parameter weight_decay in this study"]


def test_parallel_coordinates_one_line_per_trial(trials):
    ax = F.plot_parallel(trials, ["lr", "weight_decay", "optimizer"], log={"lr", "weight_decay"},
                         categorical={"optimizer"})
    lines = artist(ax, "complete")
    diverged = artist(ax, "diverged")
    assert isinstance(lines, LineCollection) and isinstance(diverged, LineCollection)
    assert len(lines.get_segments()) == 4 and len(diverged.get_segments()) == 1
    assert sorted(lines.get_array().tolist()) == [0.5, 0.7, 0.7, 0.9]
    assert lines.get_array()[-1] == 0.9  # the best is drawn last, on top
    assert [t.get_text() for t in ax.get_xticklabels()] == ["lr", "weight_decay", "optimizer", "score"]
    # 4 vertices per line, but trial 3 has no weight_decay: its line has a gap there
    assert sorted(len(s) for s in lines.get_segments()) == [3, 4, 4, 4]


def test_learning_curves_one_line_per_trial(curves):
    ax = FC.plot_learning_curves(curves, [5, 1, 6], diverged={6})
    assert artist(ax, "#5").get_ydata().tolist() == pytest.approx([0.3, 0.6, 0.9])
    assert len(artist(ax, "#1").get_xdata()) == 3
    div = artist(ax, "#6 (diverged)")
    assert to_hex(div.get_color()) == COLOR_DIVERGED and div.get_linestyle() == "--"
    assert len(div.get_xdata()) == 2


def test_top_curves_draw_the_metrics_the_trials_recorded(curves, trials):
    from reports.data import study as S

    test_curves = curves.assign(metric=curves["metric"].map({"val_acc": "test_acc", "val_loss": "train_acc"}))
    metrics = S.curve_metrics(test_curves)
    assert metrics == ["test_acc", "train_acc"] and S.curve_metrics(curves) == ["val_acc", "val_loss"]
    top = trials.loc[trials["state"] == "COMPLETE"].assign(diverged=False).head(3)
    left = FC.plot_top_curves(test_curves, top, metrics)
    panels = left.figure.axes
    assert [ax.get_ylabel() for ax in panels] == ["test_acc", "train_acc"]
    assert not any(is_no_data(ax) for ax in panels)  # the val_acc panels were empty placeholders


def test_intermediate_values_mark_pruned_and_diverged(curves, trials):
    ax = FC.plot_intermediate(curves, trials)
    assert len(artist(ax, "complete").get_segments()) == 4  # 0, 1, 3, 5
    assert len(artist(ax, "pruned").get_segments()) == 1
    assert len(artist(ax, "diverged").get_segments()) == 1
    assert "other" not in labels(ax)
    assert offsets(ax, "pruned here").tolist() == [[1, pytest.approx(0.3)]]
    assert offsets(ax, "diverged here").tolist() == [[1, pytest.approx(0.1)]]


def test_importance_bars_sorted(meta):
    ax = F.plot_importance(meta["importance"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["momentum", "optimizer", "weight_decay", "lr"]
    assert [p.get_width() for p in ax.patches] == [0.0, 0.1, 0.3, 0.6]


def test_durations_per_state(trials):
    ax = F.plot_durations(trials)
    assert offsets(ax, "complete")[:, 1].tolist() == [1, 2, 4, 6]
    assert offsets(ax, "diverged").tolist() == [[6, 7]]
    assert {"pruned", "fail", "running"} <= labels(ax)


def test_empty_inputs_give_a_placeholder(trials, curves):
    none = trials.iloc[0:0]
    assert is_no_data(F.plot_history(none))
    assert is_no_data(F.plot_param(none, "lr"))
    assert is_no_data(F.plot_parallel(none, ["lr"]))
    assert is_no_data(F.plot_durations(none))
    assert is_no_data(F.plot_importance({}))
    assert is_no_data(FC.plot_intermediate(curves.iloc[0:0], trials))
    assert is_no_data(FC.plot_learning_curves(curves, [99]))
    assert is_no_data(FX.plot_best_so_far_bands(none, rng=np.random.default_rng(0)))


def test_dollar_signs_in_data_do_not_break_rendering(trials):
    trials = trials.rename(columns={"param_optimizer": "param_$opt"})
    trials["param_$opt"] = ["$x", "a$b$c", "$", "a$b$c", "$x", "$", "$x", "$"]
    ax = F.plot_param(trials, "$opt", categorical=True)
    assert png_bytes(ax.figure).startswith(b"\x89PNG")
    ax = F.plot_parallel(trials, ["lr", "$opt"], categorical={"$opt"})
    assert png_bytes(ax.figure).startswith(b"\x89PNG")


def test_long_category_values_are_shortened_on_the_axes_and_render_without_warnings(trials):
    long = "a-very-long-optimizer-name-that-somebody-registered-with-all-its-settings-" * 2
    trials["param_optimizer"] = [long + "1", long + "2", "sgd", long + "2", long + "1", "sgd", long + "1", "sgd"]
    ax = F.plot_param(trials, "optimizer", categorical=True)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0] == "sgd" and all(len(t) <= 30 for t in ticks) and ticks[1] != ticks[2]
    assert png_bytes(ax.figure).startswith(b"\x89PNG")  # a layout warning would be an error here
    ax = F.plot_parallel(trials, ["lr", "optimizer"], categorical={"optimizer"})
    assert png_bytes(ax.figure).startswith(b"\x89PNG")
