"""The journal's write lock: hpsearch's flock, with Optuna's symlink lock held beside it (so an older hpsearch
or Optuna's default lock waits, and a journal such a writer holds is refused), and the repair of a cut last
record each time a process takes it."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from hpsearch.errors import StorageError
from hpsearch.storages.journal.records import _JOURNAL_HEAD, _cut_tail, _tail_start
from hpsearch.storages.locks import file_lock

log = logging.getLogger(__name__)

SYMLINK_LOCK = ".lock"  # Optuna's JournalFileSymlinkLock: <journal>.lock, a symlink to the journal, while held
_MARK = "hpsearch-holds-the-flock"  # the target of the <journal>.lock symlink hpsearch makes while it writes


def _mark(path: Path) -> None:
    """Hold Optuna's symlink lock too while holding hpsearch's own lock (an older hpsearch, or Optuna with its
    default lock, then waits for us), and refuse a journal that such a writer holds now. A mark left by an
    hpsearch process killed mid-append is ours to clear: we hold the flock, so no other hpsearch is writing."""
    link = str(path) + SYMLINK_LOCK
    for _ in range(2):
        try:
            os.symlink(_MARK, link)
            return
        except FileExistsError:
            try:
                held_by = os.readlink(link)
            except OSError:
                held_by = None
            if held_by != _MARK:
                raise StorageError(
                    f"journal {path} is being written with another lock ({link} exists: an older hpsearch, or "
                    "Optuna's default journal lock); stop that process first, or remove that file if none runs"
                ) from None
            os.unlink(link)  # a killed hpsearch's mark


def _journal_lock(path: Path):
    """The journal's write lock: hpsearch's flock, with the other lock kind excluded and a cut tail repaired
    each time this process takes it."""
    return file_lock(path, on_acquire=lambda: _repair_under_lock(path), on_release=lambda: _unmark(path))


def _unmark(path: Path) -> None:
    link = str(path) + SYMLINK_LOCK
    try:
        if os.readlink(link) == _MARK:
            os.unlink(link)
    except OSError:
        pass


def _repair_under_lock(path: Path) -> int:
    """Run by every process taking the journal's lock: exclude writers of the other lock kind (:func:`_mark`),
    then cut a tail left by a writer that died mid-append."""
    _mark(path)
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                return 0
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return 0
    except FileNotFoundError:
        return 0
    return _cut_tail(path)


def repair_journal(path: str | Path) -> int:
    """Repair a journal file whose last record was cut mid-write; returns the bytes dropped (0 if intact).

    Optuna skips such a partial last line when reading, but the next append would be glued to it: that
    record would be lost and the journal unreadable from the append after. The repair runs under the
    journal's own lock, so a writer in the middle of an append finishes first; a complete record that only
    lacks its newline is kept. A complete last line that is not a record (which Optuna would skip silently
    too) is a StorageError: that is corruption, not a cut write, and nothing is changed.
    """
    path = Path(os.path.abspath(path))
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        start = _tail_start(fh, size - 1)
        fh.seek(start)
        tail = fh.read(size - start)  # exactly the last line seen: a writer may append meanwhile
        fh.seek(0)
        head = fh.read(len(_JOURNAL_HEAD))
    if not head.startswith(_JOURNAL_HEAD[: len(head)]) and head.strip(b"\0"):
        raise StorageError(f"{path} is not an Optuna journal file; check --storage (nothing was changed)")
    if tail.endswith(b"\n"):
        try:
            record = json.loads(tail)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            what = "ends with zero bytes" if b"\0" in tail else "its last line is not a journal record"
            raise StorageError(
                f"journal {path} is corrupt ({what}); restore it from a backup, or run the study under another name"
            )
        return 0
    try:
        with _journal_lock(path) as lock:
            return int(lock.hook_result or 0) or _cut_tail(path)  # the hook cut it, unless this thread held it
    except OSError as exc:  # e.g. a read-only copy: Optuna still reads it, skipping the cut record
        log.warning("journal %s: its last record was cut mid-write and cannot be repaired here (%s); reading "
                    "without it", path, exc)
        return 0
