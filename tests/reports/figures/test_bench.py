"""Benchmark figures and page from hand-made export tables (no hpsearch: reports reads files only)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from reports import figures_bench as FB
from reports.bench import final_table, load_benchmark, rank_table, render_benchmark, task_summary, time_table
from reports.load import ExportError

METHODS = ["random", "tpe"]


def _tables(nasty: str) -> dict[str, pd.DataFrame]:
    x = np.linspace(0, 10, 3)
    bsf = pd.DataFrame([{"task": t, "method": m, "axis": a, "x": xi, "n": 3, "runs": 3,
                         "iqm": 0.5 + 0.01 * xi, "iqm_low": 0.45, "iqm_high": 0.7, "median": 0.5, "q25": 0.4,
                         "q75": 0.6} for t in ("book", nasty) for m in METHODS for a in ("epochs", "seconds")
                        for xi in x])
    ttt = pd.DataFrame([{"task": t, "method": m, "target": 0.6, "runs": 3, "success": 0.5, "median": 5.0,
                         "q25": 2.0, "q75": np.inf, "ert": 10.0 if m == "random" else 5.0, "ert_low": 4.0,
                         "ert_high": np.inf, "speedup": 1.0 if m == "random" else 2.0, "speedup_low": 0.5,
                         "speedup_high": np.inf, "limit": 10.0, "axis": a}
                        for t in ("book", nasty) for m in METHODS for a in ("epochs", "seconds")])
    final = pd.DataFrame([{"task": t, "method": m, **{f"{k}_{s}": v for k in ("val", "test") for s, v in
                          (("n", 3), ("iqm", 0.6), ("iqm_low", 0.5), ("iqm_high", 0.7), ("median", 0.6),
                           ("q25", 0.55), ("q75", 0.65))}} for t in ("book", nasty) for m in METHODS])
    ranking = pd.DataFrame([{"task": t, "method": m, "criterion": c, "rank": 1.0 if m == "tpe" else 2.0}
                            for t in ("book", nasty) for m in METHODS for c in ("final score (IQM)", "ERT")])
    profile = pd.DataFrame([{"method": m, "tau": tau, "fraction": f, "axis": a} for m in METHODS
                            for a in ("epochs", "seconds") for tau, f in ((1.0, 0.5), (2.0, 1.0))])
    runs = pd.DataFrame([{"task": t, "method": m, "seed": s, "best_value": 0.6, "test_acc": 0.6}
                         for t in ("book", nasty) for m in METHODS for s in (0, 1)])
    return {"best_so_far": bsf, "time_to_target": ttt, "final": final, "ranking": ranking, "profile": profile,
            "runs": runs}


def test_figures_draw_one_labelled_artist_per_method(nasty):
    t = _tables(nasty)
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


def test_tables_format_intervals_and_ranks(nasty):
    t = _tables(nasty)
    table = time_table(t["time_to_target"], "epochs")
    assert table["speed-up [95% CI]"].iloc[1] == "2.00 [0.50, inf]"
    ranks = rank_table(t["ranking"], "ERT")
    assert ranks["method"].tolist() == ["tpe", "random"] and ranks["mean rank"].tolist() == [1.0, 2.0]
    summary = task_summary(t["time_to_target"])
    assert summary["fastest"].tolist() == ["tpe", "tpe"]
    assert summary["verdict"].iloc[0] == "no clear winner (CI spans 1)"  # 2.00 [0.50, inf]
    faster = t["time_to_target"].assign(speedup_low=1.5)
    assert task_summary(faster)["verdict"].iloc[0] == "faster (CI above 1)"
    assert table["verdict"].iloc[1] == "no clear winner (CI spans 1)"


def test_no_interval_and_no_winner_from_fewer_than_three_seeds(nasty, tmp_path):
    t = _tables(nasty)
    two = t["time_to_target"].assign(runs=2, speedup_low=1.5)  # a CI above 1, but from 2 seeds
    assert time_table(two, "epochs")["speed-up [95% CI]"].iloc[1] == "2.00 (no CI: 2 seeds < 3)"
    assert task_summary(two)["verdict"].iloc[0] == "no CI (fewer than 3 seeds): no clear winner"
    final = final_table(t["final"].assign(val_n=2))
    assert final["validation IQM [95% CI]"].iloc[0] == "0.600 (no CI: 2 seeds < 3)"
    assert final["test IQM [95% CI]"].iloc[0] == "0.600 [0.500, 0.700]"


@pytest.mark.parametrize(("low", "runs", "winner"), [(0.54, 10, "none: no clear winner (CI spans 1)"),
                                                      (1.5, 10, "tpe"),
                                                      (1.5, 2, "none: no CI (fewer than 3 seeds): no clear winner")])
def test_the_page_headline_names_a_winner_only_when_its_ci_excludes_1(tmp_path, nasty, low, runs, winner):
    folder = tmp_path / "export"
    folder.mkdir()
    for name, frame in _tables(nasty).items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    head = {"task": "book", "method": "tpe", "reference": "random", "speedup_epochs": 3.75,
            "ci_epochs": [low, float("inf")], "runs": runs, "text": "an old export's sentence"}
    (folder / "meta.json").write_text(json.dumps({"benchmark": {"reference": "random"}, "headline": head}))
    html = render_benchmark(folder).read_text(encoding="utf-8")
    assert f"<th>clear winner</th><td>{winner}</td>" in html
    assert "<th>best method</th>" not in html
    if winner != "tpe":
        assert "Verdict: faster" not in html and "Verdict: no" in html


def test_page_escapes_data_and_needs_runs(tmp_path, nasty):
    folder = tmp_path / "export"
    folder.mkdir()
    for name, frame in _tables(nasty).items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    (folder / "meta.json").write_text(json.dumps({"benchmark": {"name": nasty, "reference": "random"},
                                                  "headline": {"text": nasty, "task": "book"}, "mode": "replay"}))
    page = render_benchmark(folder)
    html = page.read_text(encoding="utf-8")
    assert nasty not in html and "&lt;script&gt;" in html
    assert html.count("<img") >= 8
    with pytest.raises(ExportError, match="runs"):
        (folder / "runs.csv").unlink()
        load_benchmark(folder)
