"""Opening a journal file safely (a regular file, no link out of its folder, its records checked and a cut tail
repaired), and removing what a failed creation left behind."""

from __future__ import annotations

import errno
import logging
import os
import stat
from pathlib import Path

from optuna.storages.journal import JournalFileBackend, JournalStorage

from hpsearch.errors import StorageError, first_line
from hpsearch.storages.journal.lock import _journal_lock, repair_journal
from hpsearch.storages.journal.records import _check_records

log = logging.getLogger(__name__)


def _check_link(path: Path) -> None:
    """A journal that is a symbolic link must point into its own folder: hpsearch never appends through a link
    to a file elsewhere (the same rule as a report's files: see safefiles)."""
    if not path.is_symlink():
        return
    target = Path(os.path.realpath(path))
    if target.parent != Path(os.path.realpath(path.parent)):
        raise StorageError(f"journal {path} is a symlink to {target}, outside its folder; hpsearch neither "
                           f"reads nor appends through such links: give --storage {target}, or move the file "
                           f"into {path.parent}")


def _check_kind(path: Path) -> bool:
    """Whether ``path`` exists as a regular file (following symlinks); StorageError for anything else."""
    _check_link(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.lexists(path):
            raise StorageError(f"journal {path} is a symlink to nothing; remove it or check --storage") from None
        return False
    except OSError as exc:
        why = "a symlink loop" if exc.errno == errno.ELOOP else exc.strerror
        raise StorageError(f"journal {path} cannot be read ({why}); remove it or check --storage") from None
    if stat.S_ISDIR(mode):
        raise StorageError(f"journal {path} is a folder, not a file; remove it or check --storage")
    if not stat.S_ISREG(mode):
        raise StorageError(f"journal {path} is not a regular file; check --storage")
    return True


def open_journal(path: str | Path, *, create: bool = True) -> JournalStorage:
    """The journal storage of ``path`` (absolute), repaired if its last record was cut; see the docstring."""
    path = Path(os.path.abspath(path))
    if not _check_kind(path):
        if not create:
            raise FileNotFoundError(f"journal {path} does not exist; run the study first or check --storage")
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        repair_journal(path)
        _check_records(path)
    lock = _journal_lock(path)
    try:
        return JournalStorage(JournalFileBackend(str(path), lock_obj=lock))
    except (ValueError, KeyError, TypeError, AssertionError) as exc:  # json: ValueError; foreign record: KeyError
        raise StorageError(
            f"journal {path} is corrupt ({first_line(exc) if not isinstance(exc, AssertionError) else 'replay'}); "
            "restore it from a backup, or run the study under another name"
        ) from None


def new_paths(path: str | Path) -> list[Path]:
    """The journal ``path`` and those of its folders that do not exist yet (deepest first); [] if it exists."""
    path = Path(os.path.abspath(path))
    if os.path.lexists(path):
        return []
    missing = [path]
    for folder in path.parents:
        if folder.exists():
            break
        missing.append(folder)
    return missing


def discard_unwritten(paths: list[Path]) -> None:
    """After a failed creation (a full disk): remove the journal of :func:`new_paths` if it holds no complete
    record (an empty file, or half of the first record), and the folders made for it if they are empty."""
    if not paths:
        return
    journal, folders = paths[0], paths[1:]
    try:
        with open(journal, "rb") as fh:
            unwritten = b"\n" not in fh.read(1 << 20)
        if unwritten:
            journal.unlink()
            log.warning("journal %s: removed, nothing could be written into it", journal)
    except OSError:
        return
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return
