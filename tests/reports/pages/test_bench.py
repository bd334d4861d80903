"""reports.pages.bench: the benchmark page from an export folder of hand-made tables (conftest's
bench_tables): the headline names a winner only when its CI excludes 1, data is escaped, `runs` is required."""

from __future__ import annotations

import json

import pytest

from reports import load_benchmark, render_benchmark
from reports.load import ExportError


@pytest.mark.parametrize(("low", "runs", "winner"), [(0.54, 10, "none: no clear winner (CI spans 1)"),
                                                      (1.5, 10, "tpe"),
                                                      (1.5, 2, "none: no CI (fewer than 3 seeds): no clear winner")])
def test_the_page_headline_names_a_winner_only_when_its_ci_excludes_1(tmp_path, bench_tables, low, runs,
                                                                      winner):
    folder = tmp_path / "export"
    folder.mkdir()
    for name, frame in bench_tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    head = {"task": "book", "method": "tpe", "reference": "random", "speedup_epochs": 3.75,
            "ci_epochs": [low, float("inf")], "runs": runs, "text": "an old export's sentence"}
    (folder / "meta.json").write_text(json.dumps({"benchmark": {"reference": "random"}, "headline": head}))
    html = render_benchmark(folder).read_text(encoding="utf-8")
    assert f"<th>clear winner</th><td>{winner}</td>" in html
    assert "<th>best method</th>" not in html
    if winner != "tpe":
        assert "Verdict: faster" not in html and "Verdict: no" in html


def test_page_escapes_data_and_needs_runs(tmp_path, nasty, bench_tables):
    folder = tmp_path / "export"
    folder.mkdir()
    for name, frame in bench_tables.items():
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


def test_a_method_missing_from_the_speed_up_figure_is_named_under_it(tmp_path, bench_tables, read_page):
    folder = tmp_path / "export"
    folder.mkdir()
    ttt = bench_tables["time_to_target"]
    never = ttt["method"] == "tpe"
    tables = {**bench_tables, "time_to_target": ttt.assign(success=ttt["success"].where(~never, 0.0),
                                                           speedup=ttt["speedup"].where(~never, 0.0))}
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    (folder / "meta.json").write_text(json.dumps({"benchmark": {"reference": "random"}, "headline": {}}))
    _, page = read_page(render_benchmark(folder))
    text = " ".join(page.all_text.split())
    assert "Not drawn: tpe (no seed reached the target, so no speed-up is defined)." in text
    assert "the dashed line at 1 is random itself" in text
    assert "a method's line starts once every seed has a COMPLETE trial" in text
    assert "1 (the reference)" in text and "1.00 [0.50, inf]" not in text


def test_the_page_names_a_method_without_a_line_and_a_task_of_its_own_target(tmp_path, bench_tables):
    """A method none of whose seeds finished a trial within the seconds shown has no best-so-far line: the caption
    says so; a task with its own target says which; the headline's verdict is on the headline's axis."""
    folder = tmp_path / "export"
    folder.mkdir()
    bsf = bench_tables["best_so_far"]
    bench_tables["best_so_far"] = bsf.assign(iqm=bsf["iqm"].where(~((bsf["method"] == "tpe")
                                                                    & (bsf["axis"] == "seconds"))))
    for name, frame in bench_tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    head = {"task": "book", "method": "tpe", "reference": "random", "axis": "seconds", "chosen": True,
            "ci_epochs": [0.5, 0.9], "ci_seconds": [1.5, 3.0], "runs": 10, "text": "a sentence"}
    tasks = [{"name": "book", "target": 0.92}]
    (folder / "meta.json").write_text(json.dumps({"benchmark": {"reference": "random", "tasks": tasks},
                                                  "headline": head}))
    html = render_benchmark(folder).read_text(encoding="utf-8")
    assert "Not drawn: tpe (some seed finished no trial within the seconds shown)" in html
    assert "within the epochs shown" not in html  # the epochs figures draw it
    assert "the task&#x27;s own target, 0.920 validation accuracy" in html
    assert "<th>clear winner</th><td>tpe</td>" in html and "<th>verdict on</th><td>seconds</td>" in html
