"""The journal file: opening it safely, and repairing a last record cut mid-write.

Every journal is opened by its absolute path, with :func:`hpsearch.storages.locks.file_lock` as its write lock (the
kernel releases it when a writer dies, so a killed writer never blocks the others). Each time a process takes
the lock it first looks at the journal's last byte: when it is not an end of line, the last writer died in the
middle of its append, and the cut record is dropped (with a warning) before anything is appended after it.
While it holds that lock it also holds Optuna's symlink lock (``journal.log.lock``, the lock of older
hpsearch versions and of Optuna's default journal backend), so such a writer waits for it; a journal whose
symlink lock such a writer holds is refused in one line. A journal that is a symlink to a file outside its
folder is refused too (hpsearch never writes through such a link).

Damage is a one-line :class:`StorageError`, and the file is left untouched: a path that is a folder or a
symlink loop, a file that is not a journal, a record in its middle that is not one, a record of a type this
Optuna does not know (a newer Optuna wrote it), a record written twice (a trial would run twice). A tail of
zero bytes (a machine crash before the data reached the disk) is dropped with a warning naming it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import stat
from pathlib import Path

from optuna.storages.journal import JournalFileBackend, JournalStorage

from hpsearch.errors import StorageError, first_line
from hpsearch.storages.locks import file_lock

__all__ = ["StorageError", "discard_unwritten", "new_paths", "open_journal", "repair_journal"]

log = logging.getLogger(__name__)

_JOURNAL_HEAD = b'{"op_code":'  # how every record of an Optuna journal file starts
_CREATE_TRIAL = b'{"op_code":4,'


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


def _check_records(path: Path) -> None:
    """Refuse record types Optuna does not know and CREATE_TRIAL records written twice (read-only scan)."""
    from optuna.storages.journal._storage import JournalOperation

    known = {int(op) for op in JournalOperation}
    seen: dict[bytes, int] = {}
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.endswith(b"\n"):
                break
            if line.startswith(_CREATE_TRIAL):
                digest = hashlib.blake2b(line, digest_size=16).digest()
                if digest in seen:
                    raise StorageError(
                        f"journal {path} is corrupt (line {number} repeats line {seen[digest]}: a trial would "
                        "run twice); restore it from a backup, or run the study under another name"
                    )
                seen[digest] = number
            elif line.startswith(_JOURNAL_HEAD):
                head = line[len(_JOURNAL_HEAD):len(_JOURNAL_HEAD) + 12].split(b",", 1)[0]
                if head.strip().isdigit() and int(head) not in known:
                    raise StorageError(
                        f"journal {path} has a record of unknown type (op_code {int(head)}, line {number}), "
                        "written by a newer Optuna? upgrade optuna, or run the study under another name"
                    )


def _tail_start(fh, size: int) -> int:
    """Offset just after the last newline of the open file (0 if it has none)."""
    pos, chunk = size, 1 << 16
    while pos > 0:
        start = max(0, pos - chunk)
        fh.seek(start)
        block = fh.read(pos - start)
        cut = block.rfind(b"\n")
        if cut >= 0:
            return start + cut + 1
        pos = start
    return 0


def _cut_tail(path: Path) -> int:
    """Drop (or complete) a last line without end of line; the caller holds the lock. Bytes dropped."""
    with open(path, "r+b") as fh:
        size = fh.seek(0, os.SEEK_END)
        start = _tail_start(fh, size)
        fh.seek(start)
        tail = fh.read()
        if not tail:
            return 0
        zeros = not tail.strip(b"\0")
        if not zeros and not tail.startswith(_JOURNAL_HEAD[: len(tail)]):
            raise StorageError(f"{path} is not an Optuna journal file; check --storage (nothing was changed)")
        try:
            whole = not zeros and isinstance(json.loads(tail), dict)
        except ValueError:
            whole = False
        if whole:  # the record is complete, only its newline is missing: keep it
            fh.write(b"\n")
        else:
            fh.truncate(start)
        fh.flush()
        os.fsync(fh.fileno())
    if whole:
        log.warning("journal %s: its last record had no end of line; completed it (nothing lost)", path)
        return 0
    if zeros:
        log.warning(
            "journal %s: it ended with %d zero byte(s) (the machine stopped before the data reached the disk); "
            "dropped them: the records written just before may be missing and will run again", path, len(tail),
        )
    else:
        log.warning(
            "journal %s: its last record was cut mid-write (a writer died during its append); dropped those %d "
            "byte(s), every earlier record is intact", path, len(tail),
        )
    return len(tail)


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
