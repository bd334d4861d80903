"""The house rules of every report figure, checked on the drawn artists: legends never cover data, best so far
is a step line, integer axes get integer ticks, bands lie under the lines in their colour, no band from fewer
than 3 seeds, diverged runs stay visible and are counted, the y range holds every curve, PNGs are sharp."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgb

from reports.data import book as D
from reports.data import fair as FR
from reports.data import study as S
from reports.data.stats import mean_bands
from reports.figures import bench as FB
from reports.figures import book as B
from reports.figures import compare as FX
from reports.figures import curves as FC
from reports.figures import fair as FF
from reports.figures import study as F
from reports.figures.narrowing import best_k_grid, score_vs_param_rounds
from reports.figures.style import COLOR_DIVERGED
from reports.load import StudyExport
from reports.pages import book as BP
from reports.pages import fair as PF
from reports.pages import html as H
from reports.pages.common import FigurePlan, ci_text, draw_figures
from reports.pages.study import render

RNG = np.random.default_rng


def _export(params: dict[str, list], curves: dict[int, dict[str, list[float]]], *, diverged=None) -> StudyExport:
    n = len(next(iter(params.values())))
    trials = pd.DataFrame({
        "study": "s", "number": np.arange(n), "state": "COMPLETE", "value": 0.5, "best_val_acc": 0.0,
        "diverged": diverged if diverged is not None else [False] * n, "seconds": 1.0, "epochs_run": 1,
        "worker": "w", "seed": 0, "datetime_start": None, "datetime_complete": None,
        **{f"param_{k}": v for k, v in params.items()}})
    rows = [{"study": "s", "number": k, "epoch": e, "metric": m, "value": v}
            for k, per in curves.items() for m, vals in per.items() for e, v in enumerate(vals)]
    return StudyExport.from_frames(trials, pd.DataFrame(rows), {})


def _bands(groups: dict[str, float], epochs: int = 3, seeds: int = 3) -> pd.DataFrame:
    """Mean bands of `seeds` replicates per group around the given levels (loss-like curves)."""
    rows = [{"g": g, "number": i * 10 + s, "epoch": e, "value": level + 0.05 * s - 0.02 * e}
            for i, (g, level) in enumerate(groups.items()) for s in range(seeds) for e in range(epochs)]
    return mean_bands(pd.DataFrame(rows), "g", rng=RNG(0), n_boot=200)


def _history(n_studies: int) -> pd.DataFrame:
    return pd.DataFrame([{"group": g, "study": f"{g}{s}", "index": i, "best": 0.5 + 0.1 * i + 0.01 * s}
                         for g in ("tpe", "random") for s in range(n_studies) for i in (1, 2, 3)])


def _bench_summary(runs: int) -> pd.DataFrame:
    return pd.DataFrame([{"method": m, "x": x, "iqm": 0.5 + 0.01 * x, "iqm_low": 0.45, "iqm_high": 0.7, "runs": runs}
                         for m in ("random", "tpe") for x in (0.0, 1.0, 2.0)])


def _bn_trials_frame() -> pd.DataFrame:
    """Two scales x two nets x 3 seeds, 4 evaluations; at scale 0 without BN every seed diverged after the
    first evaluation (its curve has one point)."""
    rows, number = [], 0
    for k in (0, 1):
        for norm in ("batch_norm", "none"):
            for s in range(3):
                gone = k == 0 and norm == "none"
                values = [0.098] if gone else [0.2 + 0.2 * e + 0.01 * s for e in range(4)]
                rows += [{"number": number, "w_index": k, "norm": norm, "diverged": gone, "epoch": e, "value": v}
                         for e, v in enumerate(values)]
                number += 1
    return pd.DataFrame(rows)


def _bn_grid() -> Axes:
    acc = _bn_trials_frame()
    bands = mean_bands(D.flat_after_divergence(acc), ["w_index", "norm"], rng=RNG(0), n_boot=100)
    return B.plot_bn_grid(bands, scales=D.BN_SCALES[:2], diverged=D.diverged_points(acc, ["w_index", "norm"]))


def _drawn(ax: Axes) -> FigureCanvasAgg:
    canvas = FigureCanvasAgg(ax.figure)
    canvas.draw()
    return canvas


def _sens() -> pd.DataFrame:
    return pd.DataFrame({"optimizer": ["sgd"] * 4 + ["adam"] * 4, "lr": [1e-3, 0.1, 3.0, 8.0] * 2,
                         "value": [0.2, 0.9, 0.1, 0.1] * 2, "diverged": [False, False, True, True] * 2})


FIGURES: dict[str, Callable[[pd.DataFrame, pd.DataFrame], Axes]] = {
    "history": lambda t, c: F.plot_history(t),
    "top curves": lambda t, c: FC.plot_top_curves(c, S.top_k(t, 5)),
    "intermediate": lambda t, c: FC.plot_intermediate(c, t),
    "lr x wd": lambda t, c: F.plot_lr_wd(t),
    "durations": lambda t, c: F.plot_durations(t),
    "bench best so far": lambda t, c: FB.plot_best_so_far(_bench_summary(3), target=0.52),
    "loss bands": lambda t, c: B.plot_curve_bands(_bands({"sgd": 2.2, "adam": 0.3}), "g", ylim=(0, 1)),
    "bn grid": lambda t, c: _bn_grid(),
    "train test": lambda t, c: B.plot_train_test(*[_bands({"none": 0.9, "dropout 0.2": 0.8}).rename(
        columns={"g": "r"})] * 2, "r", order=["none", "dropout 0.2"]),
    "best-20": lambda t, c: best_k_grid(S.top_k(t, 5), c),
    "rounds": lambda t, c: score_vs_param_rounds(t.assign(round=1), {1: (1e-4, 1.0)}, "lr"),
    "fair sensitivity": lambda t, c: FF.plot_sensitivity(_sens(), order=["sgd", "adam"]),
    "fair budget": lambda t, c: FX.plot_best_so_far_bands(_history(3), rng=RNG(0), n_boot=100),
    "compare curves": lambda t, c: FX.plot_curve_bands(_history(3).rename(columns={"index": "epoch", "best": "value"}),
                                                  rng=RNG(0), n_boot=100),
    "compare scores": lambda t, c: FX.plot_score_distribution(pd.DataFrame({
        "group": ["a", "a", "b"], "study": ["a", "a", "b"], "value": [0.5, 0.1, 0.7],
        "diverged": [False, True, False]})),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_legends_sit_outside_every_plotting_area(name, trials, curves):
    ax = FIGURES[name](trials, curves)
    canvas = _drawn(ax)
    renderer = canvas.get_renderer()
    fig = ax.figure
    legends = [*fig.legends, *(a.get_legend() for a in fig.axes if a.get_legend() is not None)]
    assert legends, f"{name}: no legend"
    for box in legends:
        extent = box.get_window_extent(renderer)
        for other in fig.axes:
            if other.get_visible() and other.has_data():
                assert not extent.overlaps(other.get_window_extent(renderer)), f"{name}: legend over a plot"


def test_best_so_far_is_a_step_line():
    bench = FB.plot_best_so_far(_bench_summary(3))
    assert {line.get_drawstyle() for line in bench.lines if line.get_label() in ("random", "tpe")} == {"steps-post"}
    compare = FX.plot_best_so_far_bands(_history(3), rng=RNG(0), n_boot=100)
    assert {line.get_drawstyle() for line in compare.lines} == {"steps-post"}
    assert {line.get_label() for line in compare.lines} == {"tpe", "random"}
    assert compare.lines[0].get_ydata().tolist() == pytest.approx([0.61, 0.71, 0.81])  # mean over 3 studies
    # each line's last step ends in a dot (no bare vertical line at the right edge), with room after it
    ends = {tuple(c.get_offsets()[0]) for c in compare.collections if len(c.get_offsets()) == 1}
    assert {(line.get_xdata()[-1], line.get_ydata()[-1]) for line in compare.lines} <= ends
    assert compare.get_xlim()[1] > max(line.get_xdata()[-1] for line in compare.lines)


def _integer_ticks(ax: Axes) -> bool:
    low, high = sorted(ax.get_xlim())
    ticks = [t for t in ax.xaxis.get_majorticklocs() if low - 1e-9 <= t <= high + 1e-9]
    return bool(ticks) and all(float(t).is_integer() for t in ticks)


@pytest.mark.parametrize("name", ["history", "top curves", "bench best so far", "loss bands", "bn grid",
                                  "train test", "best-20", "fair budget", "compare curves"])
def test_integer_axes_have_integer_ticks(name, trials, curves):
    ax = FIGURES[name](trials, curves)
    _drawn(ax)
    panels = [a for a in ax.figure.axes if a.get_visible() and a.has_data() and a.get_xscale() == "linear"
              and a.get_xlabel() != "" or a is ax]
    assert all(_integer_ticks(a) for a in panels), name


def test_bands_lie_under_the_lines_in_the_line_colour():
    ax = B.plot_curve_bands(_bands({"sgd": 1.0, "momentum": 1.02, "adam": 1.04}), "g")
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 3
    assert max(c.get_zorder() for c in bands) < min(line.get_zorder() for line in ax.lines)
    for band, line in zip(bands, ax.lines, strict=True):  # drawn group by group
        assert band.get_alpha() <= 0.15
        assert to_rgb(band.get_facecolor()[0]) == pytest.approx(to_rgb(line.get_color()))


def test_no_band_and_no_ci_from_fewer_than_three_seeds():
    two = FX.plot_best_so_far_bands(_history(2), rng=RNG(0), n_boot=100)
    assert not [c for c in two.collections if isinstance(c, PolyCollection)]
    three = FX.plot_best_so_far_bands(_history(3), rng=RNG(0), n_boot=100)
    assert len([c for c in three.collections if isinstance(c, PolyCollection)]) == 2
    bench = FB.plot_best_so_far(_bench_summary(2))
    assert not [c for c in bench.collections if isinstance(c, PolyCollection)]
    frame = pd.DataFrame({"x mean": [0.06, 0.5], "x ci low": [np.nan, 0.4], "x ci high": [np.nan, 0.6]})
    assert ci_text(frame, "x").tolist() == ["0.06 (no CI: fewer than 3 seeds)", "0.5 [0.4, 0.6]"]


def test_a_diverged_run_stays_on_the_batch_norm_grid_and_in_its_table(trials, curves):
    acc = _bn_trials_frame()
    flat = D.flat_after_divergence(acc)
    gone = flat.loc[(flat["w_index"] == 0) & (flat["norm"] == "none")]
    assert sorted(gone["epoch"].unique()) == [0, 1, 2, 3] and set(gone["value"]) == {0.098}
    ax = FIGURES["bn grid"](trials, curves)
    dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert dashed and dashed[0].get_xdata().tolist() == [0, 1, 2, 3]  # the book's flat line
    assert dashed[0].get_ydata().tolist() == pytest.approx([0.098] * 4)
    crosses = [c for c in ax.collections if c.get_label().startswith("diverged")]
    assert crosses and to_rgb(crosses[0].get_edgecolor()[0]) == pytest.approx(to_rgb(COLOR_DIVERGED))
    assert crosses[0].get_offsets().tolist() == [[0.0, 0.098]] * 3
    assert not [c for c in ax.figure.axes[1].collections if c.get_label().startswith("diverged")]
    table = BP.bn_table(acc, rng=RNG(0), n_boot=100).set_index("w")
    cell = table.loc[D.BN_SCALES[0], "without BN: final train acc [95% CI]"]
    assert "3 of 3 seeds DIVERGED" in cell
    assert "DIVERGED" not in table.loc[D.BN_SCALES[0], "with BN: final train acc [95% CI]"]


def test_loss_curves_stay_inside_the_y_range_and_the_caption_says_the_marker_interval(tmp_path):
    ax = B.plot_curve_bands(_bands({"sgd": 2.2, "adam": 0.3}), "g", ylim=(0, 1))
    top = max(np.nanmax(line.get_ydata()) for line in ax.lines)
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= top > 2.0
    fits = B.plot_curve_bands(_bands({"sgd": 0.5, "adam": 0.3}), "g", ylim=(0, 1))
    assert fits.get_ylim() == (0, 1)  # the book's range when the data fits
    n_iter = 200
    curves = {k: {"loss": list(np.linspace(2.3, 2.0 if k < 3 else 0.3, n_iter))} for k in range(6)}
    exp = _export({"optimizer": ["sgd"] * 3 + ["adam"] * 3, "seed": [0, 1, 2] * 2}, curves)
    page = BP.render_curves(exp, out_dir=tmp_path, semantics=[], n_boot=50).read_text(encoding="utf-8")
    assert "markers every 10 iterations" in page and "every 100 iterations" not in page
    assert "Deep Learning from Scratch, section 6.1.8 (figure 6-9)" in page


def test_diverged_loss_runs_are_crossed_and_counted(tmp_path):
    curves = {k: {"loss": [2.3, 2.0, 1.5, 1.0] if k != 2 else [2.3, np.nan]} for k in range(3)}
    exp = _export({"optimizer": ["sgd"] * 3, "seed": [0, 1, 2]}, curves, diverged=[False, False, True])
    raw = D.curve_frame(exp, "loss")
    points = D.diverged_points(raw, "optimizer")
    assert points[["number", "epoch", "value"]].values.tolist() == [[2, 0, 2.3]]
    assert D.diverged_count(raw, "optimizer")[["trials", "diverged"]].values.tolist() == [[3, 1]]
    ax = B.plot_curve_bands(mean_bands(raw, "optimizer", rng=RNG(0), n_boot=50), "optimizer",
                            diverged=points)
    assert [c.get_offsets().tolist() for c in ax.collections if c.get_label().startswith("diverged")] == [[[0, 2.3]]]


def test_pngs_are_sharp_and_shown_at_their_size_in_inches(tmp_path, trials):
    plan = FigurePlan("history", "History", "", lambda: F.plot_history(trials))
    [block] = draw_figures([plan], tmp_path)
    width, height = H.png_size(block.png)
    assert (width, height) == (11 * 150, 4 * 150)  # figsize (11, 4) at 150 dpi
    assert f'width="{11 * 96}"' in H.figure_html(block)
    assert len(block.png) < 400_000  # sharp, not bloated


def test_importance_says_on_which_trials_it_rests(tmp_path, make_export):
    page = render(make_export(), out_dir=tmp_path).read_text(encoding="utf-8")
    assert "Parameter importance (5 of 8 trials)" in page  # the tiny study: 5 COMPLETE of 8
    assert "n = 5 COMPLETE trials of 8; left out: 1 PRUNED, 1 FAIL, 1 RUNNING" in page
    assert "no confidence interval, and 5 trials are few." in page
    ax = F.plot_importance({"lr": 0.7, "wd": 0.3}, n_trials=5)
    assert ax.get_xlabel() == "importance (from 5 COMPLETE trials)"


def test_the_batch_norm_page_flags_diverged_runs_and_cites_the_book(tmp_path):
    acc = _bn_trials_frame()
    per_trial = acc.groupby("number").first()
    curves = {int(n): {"train_acc": g.sort_values("epoch")["value"].tolist()} for n, g in acc.groupby("number")}
    exp = _export({"w_index": per_trial["w_index"].tolist(), "norm": per_trial["norm"].tolist(),
                   "seed": [0, 1, 2] * 4}, curves, diverged=per_trial["diverged"].tolist())
    page = BP.render_batch_norm(exp, out_dir=tmp_path, semantics=[], n_boot=50).read_text(encoding="utf-8")
    assert "3 of 3 seeds DIVERGED" in page
    assert "Deep Learning from Scratch, section 6.3.2 (figures 6-18 and 6-19)" in page
    assert "(2.5)" not in page


def test_best_follows_the_study_direction_on_every_page(tmp_path, make_export):
    exp = make_export()
    minimizing = StudyExport.from_frames(exp.trials, exp.curves, {**exp.meta, "direction": "minimize"})
    page = render(minimizing, out_dir=tmp_path).read_text(encoding="utf-8")
    best = page.split("<h3>Best trial</h3>", 1)[1].split("</table>", 1)[0]
    assert "<th>best trial</th><td>#6</td>" in best  # 0.1 is the minimum of the COMPLETE trials
    # the export's epochs_run counts evaluations (4 an epoch on the real-size protocol): labelled as such
    assert "<th>evaluations run</th>" in best and "epochs run" not in best
    top = page.split('id="T_topk"', 1)[1]
    assert top.index(">6<") < top.index(">5<")  # the minimum ranks first
    trials = minimizing.trials
    lines = F.plot_parallel(trials, ["lr"], log=["lr"], direction="minimize")
    drawn = [c for c in lines.collections if c.get_label() == "complete"][0].get_array()
    assert drawn[-1] == min(drawn)  # the best (lowest) drawn last, on top
    sens = _sens().assign(value=[0.2, 0.9, 0.1, 0.1] * 2)
    table = FR.divergence_table(sens, "minimize").set_index("optimizer")
    assert table.loc["sgd", "best lr"] == 1e-3 and table.loc["sgd", "best val acc"] == 0.2
    ax = FF.plot_sensitivity(sens, order=["sgd"], onset=None, direction="minimize")
    star = [c for c in ax.collections if c.get_label() == "best"][0]
    assert star.get_offsets().tolist() == [[1e-3, 0.2]]
    assert FR.divergence_table(sens).set_index("optimizer").loc["sgd", "best lr"] == 0.1  # maximize


def test_the_fair_page_shows_no_interval_from_two_runs():
    runs = pd.DataFrame({"optimizer": "sgd", "kind": ["default"] * 2 + ["tuned"] * 3,
                         "value": [0.8, 0.9, 0.9, 0.95, 0.97], "lr": [0.01] * 2 + [0.1] * 3})
    summary = FR.default_vs_tuned(runs, rng=RNG(0), n_boot=200)
    row = PF._side_by_side(summary, ["sgd"]).iloc[0]
    assert row["default: test acc [95% CI]"] == "0.85 (no CI: fewer than 3 seeds)"  # was "0.85 [0.8, 0.9]"
    assert row["tuned: test acc [95% CI]"].startswith("0.94 [")
