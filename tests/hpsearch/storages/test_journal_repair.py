"""A journal file whose last record was cut mid-write (a writer killed during its append).

Optuna alone skips such a partial last line when reading, but glues the next append to it: that record is
lost silently and the append after it makes the journal unreadable. ``open_storage`` repairs the tail under
the journal's lock: the cut record is dropped with a warning (a complete record missing only its newline is
kept), every earlier record is intact, and the study resumes. Files that are not journals are never touched.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import optuna
import pytest
from optuna.storages.journal import JournalFileBackend, JournalStorage
from optuna.trial import TrialState

from hpsearch import open_storage, run
from hpsearch.cli.commands import main
from hpsearch.errors import StorageError
from hpsearch.storages.journal import repair_journal


def _fresh(journal: Path, name: str) -> optuna.Study:
    """The study as Optuna alone reads it (a new storage object replaying the whole file)."""
    return optuna.load_study(study_name=name, storage=JournalStorage(JournalFileBackend(str(journal))))


def _state(study: optuna.Study):
    trials = [(t.number, t.state, t.value, t.params, t.user_attrs, t.system_attrs) for t in study.trials]
    return trials, study.user_attrs


@pytest.fixture
def finished(make_spec):
    """A finished 3-trial study on its journal; its last record is the launcher's ``runs`` attribute."""
    spec = make_spec("torn", n_trials=3)
    run(spec, n_jobs=1, progress=False)
    journal = Path(spec.storage_url)
    assert b'"runs"' in journal.read_bytes().splitlines()[-1]
    return spec, journal


def test_a_cut_last_record_is_dropped_with_a_warning_and_the_study_resumes(finished, caplog):
    spec, journal = finished
    data = journal.read_bytes()
    last = data.rstrip(b"\n").rsplit(b"\n", 1)[1]
    trials, attrs = _state(_fresh(journal, spec.name))
    journal.write_bytes(data[: len(data) - len(last) // 2 - 1])  # cut in the middle of the last record

    with caplog.at_level(logging.WARNING, logger="hpsearch.storages.opener"):
        study = optuna.load_study(study_name=spec.name, storage=open_storage(str(journal)))
    assert "cut mid-write" in caplog.text and str(journal) in caplog.text
    assert journal.read_bytes() == data[: len(data) - len(last) - 1]  # exactly that record is gone
    assert _state(study)[0] == trials  # every trial intact
    assert "runs" not in study.user_attrs and {k: v for k, v in attrs.items() if k != "runs"} == study.user_attrs

    resumed = run(spec.replace(n_trials=5), n_jobs=1, progress=False)  # appends after the repaired tail
    assert len(resumed.get_trials(states=(TrialState.COMPLETE,))) == 5
    again = _fresh(journal, spec.name)  # the whole file still replays, nothing was glued to the cut record
    assert len(again.get_trials(states=(TrialState.COMPLETE,))) == 5
    assert len(again.user_attrs["runs"]) == 1
    assert journal.read_bytes().endswith(b"\n")


def test_a_complete_record_missing_only_its_newline_is_kept(finished, caplog):
    spec, journal = finished
    before = _state(_fresh(journal, spec.name))
    journal.write_bytes(journal.read_bytes()[:-1])
    with caplog.at_level(logging.WARNING, logger="hpsearch.storages.opener"):
        assert repair_journal(journal) == 0
    assert "nothing lost" in caplog.text
    assert _state(_fresh(journal, spec.name)) == before


_HOLDER = """
import sys
from hpsearch.storages.locks import file_lock
with file_lock(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""


def test_the_repair_waits_for_a_writer_in_the_middle_of_its_append(finished):
    spec, journal = finished
    data = journal.read_bytes()
    record = data.rstrip(b"\n").rsplit(b"\n", 1)[1] + b"\n"
    # a live writer (another process) holds the journal's lock and has written half of its record
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(journal)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        journal.write_bytes(data + record[:10])
        dropped: list[int] = []
        repair = threading.Thread(target=lambda: dropped.append(repair_journal(journal)))
        repair.start()
        time.sleep(0.3)
        assert repair.is_alive() and not dropped  # blocked on the lock, nothing cut
        with journal.open("ab") as fh:
            fh.write(record[10:])
    finally:
        holder.communicate(timeout=60)  # closes its stdin: it releases the lock and exits
    repair.join(timeout=60)
    assert dropped == [0]
    assert journal.read_bytes() == data + record


def test_the_cli_reads_a_torn_journal(finished, capsys, caplog):
    spec, journal = finished
    data = journal.read_bytes()
    journal.write_bytes(data[:-7])
    with caplog.at_level(logging.WARNING, logger="hpsearch.storages.opener"):
        assert main(["status", str(journal.parent)]) == 0
    assert "3/3 finished" in capsys.readouterr().out
    assert "cut mid-write" in caplog.text


def test_a_file_that_is_not_a_journal_is_refused_and_left_alone(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"line one\nline two without end of line")
    with pytest.raises(StorageError, match="not an Optuna journal"):
        open_storage(str(notes))
    assert notes.read_bytes() == b"line one\nline two without end of line"
    notes.write_bytes(b"hello\n")
    with pytest.raises(StorageError, match="not an Optuna journal"):
        open_storage(str(notes))
    assert notes.read_bytes() == b"hello\n"


def test_a_journal_corrupt_in_its_middle_is_one_clear_error(finished):
    spec, journal = finished
    lines = journal.read_bytes().split(b"\n")
    lines[2] = lines[2][: len(lines[2]) // 2]
    journal.write_bytes(b"\n".join(lines))
    before = journal.read_bytes()
    with pytest.raises(StorageError, match="is corrupt") as info:
        open_storage(str(journal))
    assert "\n" not in str(info.value)
    assert journal.read_bytes() == before
