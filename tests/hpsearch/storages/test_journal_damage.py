"""A damaged journal is refused with one line and left untouched, through the CLI.

`journal.log` being a folder or a symlink loop, a record of a type this Optuna does not know (``"op_code": 99``,
as a newer Optuna might write), a record written twice (before: a trial ran twice and status said 9 of 8
finished) each give one line and exit 2, for `run` and for `status`. A tail of zero bytes (what a machine crash
can leave) is dropped with a warning that says so, and the study reads and resumes.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from hpsearch import ObjectiveSettings, StudySpec, run
from hpsearch.cli.commands import main

TINY = ObjectiveSettings(n_samples=150, hidden=(16,), epochs=2, batch_size=40)


@pytest.fixture
def study(tmp_path, monkeypatch):
    """A finished 4-trial study runs/d/journal.log (cwd: tmp_path) and its spec file."""
    monkeypatch.chdir(tmp_path)
    spec = StudySpec(name="d", settings=TINY, n_trials=4, out_dir="runs")
    run(spec, n_jobs=1, progress=False)
    Path("spec.json").write_text(json.dumps(spec.to_dict()))
    return Path("runs/d/journal.log")


def _tree(root: Path) -> dict[str, bytes | None]:
    return {str(p): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))
            if not p.is_symlink()}


def _one_line(capsys, argv: list[str], *words: str) -> None:
    before = _tree(Path("runs"))
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("hpsearch: error: "), err
    for word in words:
        assert word in err, err
    assert _tree(Path("runs")) == before


@pytest.mark.parametrize("argv", [["status", "runs/d"], ["run", "spec.json", "--n-jobs", "1", "--no-progress"]])
def test_a_journal_that_is_a_folder_or_a_symlink_loop_is_one_line(study, argv, capsys):
    study.unlink()
    study.mkdir()
    _one_line(capsys, argv, "is a folder")
    study.rmdir()
    os.symlink("journal.log", study)  # points at itself
    _one_line(capsys, argv, "symlink loop")


def _lines(journal: Path) -> list[bytes]:
    return journal.read_bytes().splitlines(keepends=True)


@pytest.mark.parametrize("argv", [["status", "runs/d"], ["run", "spec.json", "--n-jobs", "1", "--no-progress"]])
def test_a_record_of_an_unknown_type_is_one_line(study, argv, capsys):
    lines = _lines(study)
    newer = json.dumps({"op_code": 99, "worker_id": "w", "study_id": 0, "what": "a newer Optuna"}).encode()
    study.write_bytes(b"".join(lines[:3]) + newer.replace(b" ", b"") + b"\n" + b"".join(lines[3:]))
    _one_line(capsys, argv, "op_code 99", "newer Optuna")


@pytest.mark.parametrize("argv", [["status", "runs/d"], ["run", "spec.json", "--n-jobs", "1", "--no-progress"]])
def test_a_record_written_twice_is_one_line_not_an_extra_trial(study, argv, capsys):
    lines = _lines(study)
    k = next(i for i, line in enumerate(lines) if line.startswith(b'{"op_code":4,') and b'"slot":2' in line)
    study.write_bytes(b"".join(lines[: k + 1]) + lines[k] + b"".join(lines[k + 1:]))
    _one_line(capsys, argv, f"line {k + 2} repeats line {k + 1}")


def test_a_zero_filled_tail_is_dropped_with_a_warning_that_says_so(study, capsys, caplog):
    intact = study.read_bytes()
    study.write_bytes(intact + b"\0" * 4096)
    with caplog.at_level(logging.WARNING, logger="hpsearch"):
        assert main(["status", "runs/d"]) == 0
    assert "4/4 finished" in capsys.readouterr().out
    assert "4096 zero byte(s)" in caplog.text and "not an Optuna journal" not in caplog.text
    assert study.read_bytes() == intact
    assert main(["run", "spec.json", "--n-jobs", "1", "--no-progress", "--n-trials", "5"]) == 0
    assert "5/5 finished" in capsys.readouterr().out
