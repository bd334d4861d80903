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
    assert {c.get_label() for c in ax.collections} == set(METHODS)
    assert ax.get_xscale() == "log"
    ax = FB.plot_profile(t["profile"].query("axis == 'epochs'"))
    assert [line.get_label() for line in ax.get_lines()] == METHODS
    ax = FB.plot_ranks(t["ranking"].query("criterion == 'ERT'"))
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["tpe", "random"]
    assert FB.plot_final_scores(t["final"].query("task == 'book'")).get_yticklabels()
    assert FB.plot_best_so_far(t["best_so_far"].iloc[:0]).texts  # "no data" placeholder
    assert FB.method_colors(["tpe", "random"])["random"] == FB.REFERENCE_COLOR
