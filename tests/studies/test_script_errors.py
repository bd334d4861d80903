"""What a user meets on a typo or a worker count of 0 in any study script: one line, the closest option, exit
code 2, and nothing written (issue "What a new user hit, round two", items 2 and 9)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hpsearch.cli.commands import main

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(p.name for p in (ROOT / "studies").glob("*.py"))
TRAINS = [s for s in SCRIPTS if s != "train_book_net.py"]  # the one that trains one net, not a study


def _script(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "studies" / name), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_every_script_is_checked():
    assert len(SCRIPTS) == 10 and "book_range_narrowing.py" in SCRIPTS


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_typo_is_one_line_with_the_closest_option(name, tmp_path):
    done = _script(name, "--quik", "--out", str(tmp_path / "runs"), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert lines == [f"{name}: error: unrecognized arguments: --quik (did you mean --quick?)"], done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", TRAINS)
def test_zero_workers_is_refused_before_anything_is_written(name, tmp_path):
    done = _script(name, "--quick", "--n-jobs", "0", "--out", str(tmp_path / "runs"), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "0 would only create the study and train nothing" in lines[0], done.stderr
    assert "-1: every core" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_an_option_with_no_close_match_points_at_help(tmp_path):
    done = _script("overfitting.py", "--xyzzy", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "overfitting.py: error: unrecognized arguments: --xyzzy (see overfitting.py --help)"


def test_the_cli_names_the_closest_option_of_its_commands(capsys):
    assert main(["run", "--n-trails", "3"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("hpsearch: error: unrecognized arguments: --n-trails") and "did you mean --n-trials?" in err
    assert len(err.splitlines()) == 1
