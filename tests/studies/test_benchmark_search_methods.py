"""studies/benchmark_search_methods.py end to end in replay mode, on a tiny grid built in the test."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from hpsearch import ObjectiveSettings, book_space
from hpsearch.benchmark import Task, build_table, mlp_table
from hpsearch.benchmark import tasks as T
from reports import load_benchmark

SCRIPT = Path(__file__).resolve().parents[2] / "studies" / "benchmark_search_methods.py"
TINY = ObjectiveSettings(n_samples=150, hidden=(16, 16), epochs=3, batch_size=40)


def _main():
    spec = importlib.util.spec_from_file_location("benchmark_search_methods", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


@pytest.fixture
def tiny_task(tmp_path, monkeypatch):
    defn = mlp_table("tiny-study", settings=TINY, lr=(1e-4, 1e-3, 1e-2, 1e-1), weight_decay=(1e-6, 1e-4),
                    optimizer=("sgd",), init_scale=(1.0,), replicates=2)
    monkeypatch.setitem(T.TABLES, defn.name, defn)
    monkeypatch.setitem(T.TASKS, "tiny", Task("tiny", book_space(lr=(1e-4, 1e-1), weight_decay=(1e-6, 1e-4)),
                                              TINY, table=defn.name))
    build_table(defn, out_dir=tmp_path / "tables", n_jobs=1)
    return tmp_path / "tables"


def test_the_script_replays_and_reports_the_headline(tiny_task, tmp_path, capsys, report_every_study):
    out = tmp_path / "runs"
    code = _main()(["--mode", "replay", "--tasks", "tiny", "--seeds", "10", "--budget", "8", "--n-jobs", "1",
                    "--out", str(out), "--tables-dir", str(tiny_task), "--n-boot", "200"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "9 methods x 1 tasks x 10 seeds = 90 runs" in printed
    page = Path(re.search(r"report: (\S+)", printed).group(1))
    assert page == out / "search-methods-replay" / "index.html"
    html = page.read_text(encoding="utf-8")
    for text in ("Which method, by how much, how sure", "Time to target (epochs)", "Performance profile",
                 "Final scores", "tiny: best so far vs epochs", "off-grid rule", "<img"):
        assert text in html, text
    exp = load_benchmark(out / "search-methods-replay" / "export")
    assert len(exp["runs"]) == 90 and set(exp["runs"]["method"]) >= {"random", "narrowing", "tpe-hyperband"}
    head = json.loads((out / "search-methods-replay" / "export" / "meta.json").read_text())["headline"]
    assert head["text"] in printed
    assert head["verdict"] in ("faster", "slower", "no clear winner", "no CI")  # the console carries the verdict
    assert ("a clear winner" in head["text"]) == (head["winner"] is not None)
    assert head["reference"] == "random" and head["runs"] == 10
    assert len(report_every_study(tiny_task)) == 2  # the grid table's studies, one per replicate


def test_quick_keeps_explicit_seeds_and_dataset_selects_tasks(tiny_task, tmp_path, capsys):
    out = tmp_path / "runs"
    code = _main()(["--quick", "--tasks", "tiny", "--dataset", "mnist-5k", "--seeds", "4", "--budget", "6",
                    "--methods", "random,tpe", "--n-jobs", "1", "--out", str(out), "--n-boot", "50"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "2 methods x 1 tasks x 4 seeds = 8 runs at 6 trials' worth of epochs each" in printed
    assert _main()(["--tasks", "tiny", "--dataset", "fashion-mnist", "--out", str(out)]) == 2
    assert "no task on --dataset fashion-mnist among tiny (mnist-5k)" in capsys.readouterr().err


def test_bad_arguments_exit_with_code_2(capsys):
    assert _main()(["--tasks", "nope", "--out", "unused"]) == 2
    assert "task 'nope' is unknown" in capsys.readouterr().err
