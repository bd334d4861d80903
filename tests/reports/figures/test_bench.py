"""reports.figures.bench from hand-made export tables (conftest's bench_tables; no hpsearch: reports reads
files only)."""

from __future__ import annotations

from reports.figures import bench as FB

METHODS = ["random", "tpe"]


def test_figures_draw_one_labelled_artist_per_method(bench_tables):
    t = bench_tables
    ax = FB.plot_best_so_far(t["best_so_far"].query("task == 'book' and axis == 'epochs'"), target=0.6)
    assert [line.get_label() for line in ax.get_lines()] == [*METHODS, "target"]
    ax = FB.plot_speedup(t["time_to_target"].query("task == 'book' and axis == 'epochs'"))
    # the reference is the dashed line at 1, not a row with an interval of its ratio to itself
    assert {c.get_label() for c in ax.collections} == {"tpe"}
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["tpe"]
    assert ax.get_xscale() == "log"
    ax = FB.plot_profile(t["profile"].query("axis == 'epochs'"))
    assert [line.get_label() for line in ax.get_lines()] == METHODS
    ax = FB.plot_ranks(t["ranking"].query("criterion == 'ERT'"))
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["tpe", "random"]
    assert FB.plot_final_scores(t["final"].query("task == 'book'")).get_yticklabels()
    assert FB.plot_best_so_far(t["best_so_far"].iloc[:0]).texts  # "no data" placeholder
    assert FB.method_colors(["tpe", "random"])["random"] == FB.REFERENCE_COLOR


def test_the_performance_profile_labels_more_than_its_first_tau(bench_tables):
    import matplotlib.pyplot as plt

    profile = bench_tables["profile"].query("axis == 'epochs'")
    wide = profile.assign(tau=profile["tau"] * 30.0 / profile["tau"].max())  # tau from about 1 to 30
    ax = FB.plot_profile(wide)
    ax.set_xlim(1.0, 30.0)
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text() and 1.0 <= t.get_position()[0] <= 30.0]
    assert len(labels) >= 4, labels  # 1, 2, 5, 10, 20: a reader can tell a factor of 2 from one of 20
    plt.close(ax.figure)


def test_a_speed_up_interval_from_0_says_so_at_the_axis_edge(bench_tables):
    ttt = bench_tables["time_to_target"].query("task == 'book' and axis == 'epochs'")
    ax = FB.plot_speedup(ttt.assign(speedup_low=0.0))
    assert "CI to 0" in [t.get_text() for t in ax.texts]  # the bar runs to the edge: its end is not a bound
    assert "CI to 0" not in [t.get_text() for t in FB.plot_speedup(ttt).texts]
