"""The hpsearch command: main(argv) end to end, and bad arguments (one line, exit 2, nothing written)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hpsearch import StudySpec
from hpsearch.cli.commands import main


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate"],
        ["run", "--n-trials", "0"],
        ["run", "--n-trials", "x"],
        ["run", "--sampler", "bayes"],
        ["run", "--pruner", "early"],
        ["run", "--n-jobs", "-100000"],
        ["run", "--epochs", "0"],
        ["run", "--name", "a b"],
        ["run", "--storage", "redis://host/0"],
        ["run", "missing-spec.json"],
        ["run", "bad-spec.json"],
        ["worker"],
        ["worker", "--storage", "nowhere/journal.log", "--study", "x"],
        ["status"],
        ["status", "runs/none"],
        ["status", "runs/none", "--study", "none"],
        ["export", "--study", "none"],
        ["export", "--study", "none", "--runs", "elsewhere", "--out", "x"],
        ["report", "--study", "none"],
    ],
)
def test_bad_arguments_print_one_line_exit_2_and_write_nothing(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad-spec.json").write_text('{"name": "x", "n_trials": -3}')
    before = _files(tmp_path)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("hpsearch: error: ")
    assert _files(tmp_path) == before


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "run" in capsys.readouterr().out


def test_run_status_export_from_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["run", "--name", "cli", "--n-trials", "3", "--epochs", "2", "--n-jobs", "1", "--no-progress"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "3/3 finished" in out and "best value" in out
    assert (tmp_path / "runs" / "cli" / "journal.log").is_file()
    assert main(["status", "runs/cli"]) == 0
    assert "3/3 finished (COMPLETE 3)" in capsys.readouterr().out
    assert main(["export", "--study", "cli"]) == 0
    assert "exported 3 trials" in capsys.readouterr().out
    for name in ("trials.csv", "trials.parquet", "curves.csv", "curves.parquet", "meta.json"):
        assert (tmp_path / "runs" / "cli" / "export" / name).is_file()
    assert main(["export", "--storage", "runs/cli/journal.log", "--study", "cli", "--out", "tables"]) == 0
    assert (tmp_path / "tables" / "trials.parquet").is_file()


def test_run_takes_a_spec_file_and_resumes_it(tmp_path, monkeypatch, capsys, tiny_settings):
    monkeypatch.chdir(tmp_path)
    spec = StudySpec(name="fromfile", settings=tiny_settings, n_trials=2, sampler="qmc")
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    assert main(["run", "spec.json", "--n-jobs", "1", "--no-progress"]) == 0
    assert main(["run", "spec.json", "--n-trials", "4", "--n-jobs", "1", "--no-progress"]) == 0
    assert "4/4 finished" in capsys.readouterr().out
    assert main(["run", "spec.json", "--seed", "3", "--n-jobs", "1"]) == 2  # a changed spec is refused
    assert "another 'seed'" in capsys.readouterr().err


def test_worker_joins_an_existing_journal_study(tmp_path, monkeypatch, capsys, tiny_settings):
    monkeypatch.chdir(tmp_path)
    spec = StudySpec(name="joined", settings=tiny_settings, n_trials=3)
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    assert main(["run", "spec.json", "--n-jobs", "0"]) == 0
    capsys.readouterr()
    assert main(["worker", "--storage", os.path.join("runs", "joined", "journal.log"), "--study", "joined"]) == 0
    assert "ran 3 trial(s) of joined" in capsys.readouterr().out


@pytest.mark.slow
def test_report_renders_the_export_when_reports_is_available(tmp_path, monkeypatch, capsys, tiny_settings):
    reports = pytest.importorskip("reports")
    if not hasattr(reports, "render"):
        pytest.skip("reports.render is not there yet")
    monkeypatch.chdir(tmp_path)
    spec = StudySpec(name="rep", settings=tiny_settings, n_trials=3)
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    assert main(["run", "spec.json", "--n-jobs", "1", "--no-progress"]) == 0
    assert main(["report", "runs/rep"]) == 0
    assert (tmp_path / "runs" / "rep" / "index.html").is_file()
    assert main(["report", "--study", "rep", "--out", "html"]) == 0
    assert (tmp_path / "html" / "index.html").is_file()
