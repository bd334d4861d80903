"""hpsearch never writes or deletes through a symbolic link inside a study folder.

A real study is run once; each test copies its folder and plants links pointing OUT of it in the places
``hpsearch export`` and ``hpsearch report`` write: a file (``export/meta.json``, ``export/trials.csv``,
``index.html``, a figure PNG) or a folder (``export/``, ``figures/``). The command must succeed, leave
everything outside the study folder byte for byte as it was (no file overwritten, no PNG deleted in a
linked folder), and leave real files and folders where the links were.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hpsearch import ObjectiveSettings, StudySpec, run
from hpsearch.cli.commands import main

OUTSIDE = b"outside: must stay as it is\n"


@pytest.fixture(scope="module")
def study_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("symlinks") / "runs"
    settings = ObjectiveSettings(n_samples=150, hidden=(8,), epochs=2, batch_size=50)
    run(StudySpec(name="linked", settings=settings, n_trials=4, out_dir=str(out)), n_jobs=1, progress=False)
    return out / "linked"


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def setup(study_folder, tmp_path, monkeypatch):
    """(study folder copy, outside folder with a file and a PNG); cwd = tmp_path."""
    monkeypatch.chdir(tmp_path)
    study = tmp_path / "runs" / "linked"
    shutil.copytree(study_folder, study)
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    for name in ("victim.txt", "precious.png", "meta.json", "trials.csv", "sub/old.png"):
        (outside / name).write_bytes(OUTSIDE)
    return study, outside


# link inside the study folder -> target outside (relative to the outside folder)
LINKS = {
    "export/meta.json": "victim.txt",
    "export/trials.csv": "victim.txt",
    "export/curves.parquet": "victim.txt",
    "export (a folder)": ".",
    "index.html": "victim.txt",
    "figures (a folder)": ".",
    "figures/00_history.png": "precious.png",
}


def _plant(study: Path, outside: Path, where: str) -> Path:
    link = study / where.split(" ")[0]
    if link.is_dir() and not link.is_symlink():
        shutil.rmtree(link)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to((outside / LINKS[where]).resolve())
    return link


CASES = [("report", w) for w in LINKS] + [("export", w) for w in LINKS if w.startswith("export")]


@pytest.mark.slow
@pytest.mark.parametrize(("command", "where"), CASES)
def test_a_link_in_the_study_folder_is_replaced_never_written_through(command, where, setup, capsys):
    study, outside = setup
    if command == "report":
        main(["report", str(study)])  # a first report: figures/ and index.html exist before the link is put
    link = _plant(study, outside, where)
    before = _snapshot(outside)
    assert main([command, str(study)]) == 0, capsys.readouterr().err
    assert _snapshot(outside) == before
    assert sorted(p.name for p in outside.rglob("*")) == sorted(["victim.txt", "precious.png", "meta.json",
                                                                 "trials.csv", "sub", "old.png"])
    assert not link.is_symlink() and link.exists()
    if link.is_file():
        assert link.read_bytes() != OUTSIDE
    for path in study.rglob("*"):
        assert not path.is_symlink(), path
        assert not path.name.endswith(".tmp"), path  # no temporary file left behind


@pytest.mark.slow
@pytest.mark.parametrize("command", [["status"], ["report"], ["export"], ["run", "--n-trials", "6"]])
def test_a_journal_linked_out_of_its_folder_is_refused_in_one_line(command, setup, capsys):
    """The journal follows the report's rule: hpsearch never appends through (nor reads) a journal.log that
    is a link to a file outside the study folder; it says so in one line, and the file stays as it was."""
    study, outside = setup
    elsewhere = outside / "journal.log"
    shutil.copyfile(study / "journal.log", elsewhere)
    (study / "journal.log").unlink()
    (study / "journal.log").symlink_to(elsewhere)
    before = elsewhere.read_bytes()
    target = ["--name", "linked", "--out", str(study.parent)] if command[0] == "run" else [str(study)]
    assert main([*command, *target]) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "outside its folder" in err and f"--storage {elsewhere}" in err, err
    assert elsewhere.read_bytes() == before and (study / "journal.log").is_symlink()


def test_a_journal_linked_within_its_folder_is_used(setup, capsys):
    study, _ = setup
    (study / "journal.log").rename(study / "journal.real")
    (study / "journal.log").symlink_to("journal.real")
    assert main(["status", str(study)]) == 0, capsys.readouterr().err
