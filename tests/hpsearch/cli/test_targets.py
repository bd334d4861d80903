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


def test_a_folder_that_holds_no_study_is_named_for_what_it_holds(runs, capsys):
    """One message, from one resolver, for `report`, `export`, `status` and `compare` on a folder that holds
    no study: what the folder holds and what to give instead."""
    from hpsearch.cli.commands import main

    tables = runs / "tables"
    tables.mkdir()
    (tables / "table-book.npz").write_bytes(b"")
    exported = runs / "alpha" / "export"
    exported.mkdir()
    (exported / "meta.json").write_text("{}")
    (exported / "trials.csv").write_text("")
    other = runs.parent / "notes"
    other.mkdir()
    (other / "readme.txt").write_text("")
    cases = {
        str(tables): "holds grid tables of the search-methods benchmark (table-*.npz), not a study",
        str(runs): "is a folder of 2 studies (alpha, beta), not one study; give one of them, e.g. ",
        str(exported): f"is an exported study's tables, not a study; give its study folder {runs / 'alpha'}",
        str(other): "is not a study folder: no journal.log in it (it holds readme.txt)",
        str(runs / "gone"): "it does not exist",
    }
    for folder, message in cases.items():
        commands = [["report", folder], ["export", folder], ["status", folder], ["compare", folder, str(runs)]]
        for command in commands[:3] if folder.endswith("gone") else commands:  # compare: "unknown study"
            assert main(command) == 2, command
            err = capsys.readouterr().err.strip()
            assert len(err.splitlines()) == 1 and message in err, (command, err)
            assert "study name" not in err and "no journal at" not in err
    assert sorted(p.name for p in tables.iterdir()) == ["table-book.npz"]  # nothing written
