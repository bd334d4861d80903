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


def test_the_real_size_comparison_runs_end_to_end_on_its_quick_stand_in(tmp_path, capsys):
    """--tasks fashion-cnn-quick: the grid is timed, built once (cached for the next run) and replayed; the page
    lists the new methods; the headline is about hpsearch-default against TPE + Hyperband, in seconds."""
    out, tables = tmp_path / "runs", tmp_path / "tables"
    argv = ["--tasks", "fashion-cnn-quick", "--seeds", "3", "--budget", "4", "--n-jobs", "2", "--out", str(out),
            "--tables-dir", str(tables), "--n-boot", "50", "--reference", "tpe-hyperband",
            "--headline-method", "hpsearch-default", "--headline-axis", "seconds"]
    assert _main()(argv) == 0
    printed = capsys.readouterr().out
    assert "grid fashion-cnn-quick: not built yet" in printed and "building it takes about" in printed
    assert "9 methods x 1 tasks x 3 seeds = 27 runs" in printed
    html = Path(re.search(r"report: (\S+)", printed).group(1)).read_text(encoding="utf-8")
    for text in ("one-epoch-top-k", "hpsearch-default", "fashion-cnn-quick: best so far vs seconds",
                 "a simulated clock", "lr: 2; optimizer: 2; filters1: 2; filters2: 2; batch_norm: 2"):
        assert text in html, text
    meta = json.loads((out / "search-methods-replay" / "export" / "meta.json").read_text())
    head = meta["headline"]
    assert head["reference"] == "tpe-hyperband" and head["axis"] == "seconds"
    assert head.get("method") in (None, "hpsearch-default") and head["text"] in printed
    runs = load_benchmark(out / "search-methods-replay" / "export")["runs"]
    assert set(runs["method"]) >= {"one-epoch-top-k", "hpsearch-default", "tpe-hyperband", "random"}
    assert _main()([*argv, "--seeds", "1", "--methods", "random,tpe-hyperband,hpsearch-default"]) == 0
    assert "grid fashion-cnn-quick: cached in" in capsys.readouterr().out  # built once
    assert _main()([*argv[:-6], "--headline-method", "nope"]) == 2
    assert "method 'nope' is not among the methods compared" in capsys.readouterr().err
