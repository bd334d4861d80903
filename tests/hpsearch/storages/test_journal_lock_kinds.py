"""An older hpsearch (Optuna's symlink lock, ``journal.log.lock``) and this one (an flock on
``journal.log.flock``) on one journal exclude each other: while this hpsearch holds its lock it holds the
symlink lock too (Optuna's own lock class then waits), and a journal whose symlink lock another writer holds
is refused in one line, the journal unchanged. A mark left by a killed hpsearch does not block the next."""

from __future__ import annotations

import os
import threading

import optuna
import pytest
from optuna.storages.journal import JournalFileSymlinkLock

from hpsearch.cli.commands import main
from hpsearch.errors import StorageError
from hpsearch.storages.journal import SYMLINK_LOCK, open_journal
from hpsearch.storages.opener import open_storage


@pytest.fixture
def journal(tmp_path):
    path = tmp_path / "runs" / "j" / "journal.log"
    storage = open_journal(path)
    optuna.create_study(study_name="j", storage=storage)
    return path


def test_optuna_symlink_lock_waits_while_hpsearch_holds_its_lock(journal):
    lock = open_storage(str(journal))._backend._lock
    other = JournalFileSymlinkLock(str(journal))
    got = threading.Event()

    def old_writer():
        other.acquire()
        got.set()
        other.release()

    with lock:
        assert os.readlink(str(journal) + SYMLINK_LOCK) != str(journal)  # our mark, not an old writer's
        thread = threading.Thread(target=old_writer, daemon=True)
        thread.start()
        assert not got.wait(0.5)  # the old kind of writer cannot take the journal meanwhile
    assert got.wait(10)
    thread.join(10)
    assert not os.path.lexists(str(journal) + SYMLINK_LOCK)


def test_a_journal_an_older_writer_holds_is_refused_in_one_line(journal, capsys):
    link = str(journal) + SYMLINK_LOCK
    os.symlink(str(journal), link)  # what Optuna's JournalFileSymlinkLock makes while it appends
    before = journal.read_bytes()
    with pytest.raises(StorageError, match="being written with another lock"):
        optuna.create_study(study_name="other", storage=open_storage(str(journal)))
    code = main(["run", "--name", "j2", "--n-trials", "1", "--epochs", "1", "--storage", str(journal),
                 "--n-jobs", "1", "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1 and "being written with another lock" in err, err
    assert journal.read_bytes() == before and os.readlink(link) == str(journal)


def test_a_mark_left_by_a_killed_hpsearch_is_cleared(journal):
    os.symlink("hpsearch-holds-the-flock", str(journal) + SYMLINK_LOCK)  # its holder died mid-append
    optuna.create_study(study_name="next", storage=open_storage(str(journal)))
    assert "next" in optuna.get_all_study_names(open_storage(str(journal), create=False))
    assert not os.path.lexists(str(journal) + SYMLINK_LOCK)
