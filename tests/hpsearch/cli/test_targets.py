"""Which study a command means (hpsearch.cli.targets): one resolver for RUN_DIR, --study, --storage and --runs,
and for the STUDY arguments of `hpsearch compare`; one-line usage errors before anything is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpsearch.cli.targets import Target, resolve, resolve_item
from hpsearch.errors import UsageError


@pytest.fixture
def runs(tmp_path) -> Path:
    for name in ("alpha", "beta"):
        (tmp_path / "runs" / name).mkdir(parents=True)
        (tmp_path / "runs" / name / "journal.log").write_text("")
    return tmp_path / "runs"


def test_a_run_dir_a_name_under_runs_and_a_storage_name_the_same_kind_of_target(runs):
    folder = runs / "alpha"
    assert resolve(run_dir=str(folder)) == Target(str(folder / "journal.log"), "alpha", folder)
    assert resolve(study="alpha", runs=str(runs)) == Target(str(folder / "journal.log"), "alpha", folder)
    db = "postgresql://u@h/db"
    assert resolve(study="alpha", storage=db, runs=str(runs)) == Target(db, "alpha", runs / "alpha")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, "say which study: RUN_DIR"),
    ({"run_dir": "runs/alpha", "study": "alpha"}, "give either RUN_DIR or --study/--storage, not both"),
    ({"study": "gamma"}, "no journal at .*gamma/journal.log; check the study name"),
    ({"study": "alpha", "storage": "missing.log"}, "no journal at missing.log; check --storage"),
    ({"study": "../up"}, "study name"),
])
def test_bad_targets_are_one_line(runs, kwargs, message):
    kwargs.setdefault("runs", str(runs))
    with pytest.raises(UsageError, match=message) as err:
        resolve(**kwargs)
    assert "\n" not in str(err.value)


def test_compare_items_are_folders_names_or_names_in_a_storage(runs, monkeypatch):
    monkeypatch.chdir(runs.parent)
    assert resolve_item("runs/beta", storage=None, runs="elsewhere").name == "beta"  # a folder wins
    assert resolve_item("beta", storage=None, runs="runs").storage == str(Path("runs/beta/journal.log"))
    db = "postgresql://u@h/db"
    assert resolve_item("delta", storage=db, runs="runs") == Target(db, "delta", Path("runs/delta"))
    with pytest.raises(UsageError, match="unknown study 'delta': no delta/journal.log and no runs/delta"):
        resolve_item("delta", storage=None, runs="runs")
