"""Where studies live: an Optuna journal file by default, PostgreSQL (many machines) or SQLite by URL.

``resolve(storage, name, out_dir)`` turns a spec's storage (None, a journal file path, or a database URL)
into one string; ``open_storage`` turns that string into an Optuna storage. Only strings cross process
boundaries: every worker opens its own storage object.

Heartbeats: on a database, Optuna's own (``RDBStorage(heartbeat_interval=..., grace_period=...)``, stale
trials failed by ``optuna.storages.fail_stale_trials``); the journal file has none, see :mod:`hpsearch.stale`.

Failures are one-line :class:`StorageError` s (a ``ValueError``), never a password: a database that does not
answer within ``CONNECT_TIMEOUT`` seconds (PostgreSQL ``connect_timeout``), a file that is not an Optuna
journal, a journal corrupt in its middle. A journal whose LAST record was cut mid-write (a writer killed
during its append) is repaired when opened: see :func:`repair_journal`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import optuna
from optuna.storages import BaseStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend, JournalFileSymlinkLock, JournalStorage
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from hpsearch.urls import check_driver, driver_url, redact, scrub

__all__ = [
    "CONNECT_TIMEOUT", "StorageError", "check_name", "check_url", "is_database", "journal_path", "open_storage",
    "redact", "repair_journal", "resolve", "study_dir",
]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10  # seconds a PostgreSQL server has to answer before opening the storage fails
_DB_SCHEMES = ("postgresql", "sqlite", "mysql")
_JOURNAL_HEAD = b'{"op_code":'  # how every record of an Optuna journal file starts
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class StorageError(ValueError):
    """A storage cannot be used (unreachable database, not a journal, corrupt journal); one line, no password."""
StaleCallback = Callable[[optuna.Study, optuna.trial.FrozenTrial], None]


def check_name(name: object) -> str:
    """A study name is a single folder name: letters, digits, '_', '-', '.', starting with a letter or digit
    (no separator, no '..', no markup). Raise a one-line ValueError otherwise."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"study name {name!r} is invalid; use letters, digits, '_', '-' or '.' (it names a folder)"
        )
    return name


def study_dir(out_dir: str | Path, name: str) -> Path:
    """``<out_dir>/<name>``: the folder of study ``name``, which can never lie outside ``out_dir``."""
    path = Path(out_dir) / check_name(name)
    if Path(os.path.abspath(path)).parent != Path(os.path.abspath(out_dir)):  # belt and braces
        raise ValueError(f"study name {name!r} would leave the output folder {out_dir}")
    return path


def journal_path(out_dir: str | Path, name: str) -> Path:
    """The default storage of study ``name``: ``<out_dir>/<name>/journal.log``."""
    return study_dir(out_dir, name) / "journal.log"


def is_database(url: str) -> bool:
    """True for a database URL (``postgresql://``, ``postgresql+psycopg2://``, ``sqlite:///``, ...)."""
    head = url.split("://", 1)[0] if "://" in url else ""
    return head.split("+", 1)[0] in _DB_SCHEMES


def check_url(url: str) -> str:
    """Validate a storage string; raise a one-line ValueError naming it and the fix."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f"storage {url!r} is empty; give a journal file path or a database URL")
    if "://" in url and not is_database(url):
        raise ValueError(
            f"storage {redact(url)!r} has an unknown scheme; use postgresql://..., sqlite:///... or a file path"
        )
    if is_database(url):
        try:
            make_url(url).port  # noqa: B018 - parsing the port raises on a malformed one
        except (ArgumentError, ValueError) as exc:
            raise ValueError(f"storage {redact(url)!r} is not a valid database URL ({_one_line(exc)})") from None
        check_driver(url)
    return url


def resolve(storage: str | None, name: str, out_dir: str | Path) -> str:
    """The storage string of a study: the given one, or the default journal file."""
    if storage is None:
        return str(journal_path(out_dir, name))
    return check_url(storage)


def open_storage(
    url: str,
    *,
    heartbeat_interval: int | None = None,
    grace_period: int | None = None,
    on_stale: StaleCallback | None = None,
    create: bool = True,
) -> BaseStorage:
    """Open the storage ``url``; ``create=False`` refuses to create a missing journal file."""
    check_url(url)
    if is_database(url):
        return _open_database(url, heartbeat_interval, grace_period, on_stale)
    path = Path(url)
    if not create and not path.is_file():
        raise FileNotFoundError(f"journal {path} does not exist; run the study first or check --storage")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file():
        repair_journal(path)
    try:
        return JournalStorage(JournalFileBackend(str(path)))
    except (ValueError, KeyError, TypeError) as exc:  # json errors are ValueErrors; a foreign record, KeyError
        raise StorageError(
            f"journal {path} is corrupt ({_one_line(exc)}); restore it from a backup, or run the study under "
            "another name"
        ) from None


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


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
    with open(path, "r+b") as fh:
        size = fh.seek(0, os.SEEK_END)
        start = _tail_start(fh, size)
        fh.seek(start)
        tail = fh.read()
        if not tail:
            return 0
        if not tail.startswith(_JOURNAL_HEAD[: len(tail)]):
            raise StorageError(f"{path} is not an Optuna journal file; check --storage (nothing was changed)")
        try:
            whole = isinstance(json.loads(tail), dict)
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
    log.warning(
        "journal %s: its last record was cut mid-write (a writer died during its append); dropped those %d "
        "byte(s), every earlier record is intact", path, len(tail),
    )
    return len(tail)


def repair_journal(path: str | Path) -> int:
    """Repair a journal file whose last record was cut mid-write; returns the bytes dropped (0 if intact).

    Optuna skips such a partial last line when reading, but the next append would be glued to it: that
    record would be lost and the journal unreadable from the append after. The repair runs under the
    journal's own lock, so a writer in the middle of an append finishes first; a complete record that only
    lacks its newline is kept. A complete last line that is not a record (which Optuna would skip silently
    too) is a StorageError: that is corruption, not a cut write, and nothing is changed.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        start = _tail_start(fh, size - 1)
        fh.seek(start)
        tail = fh.read(size - start)  # exactly the last line seen: a writer may append meanwhile
    if tail.endswith(b"\n"):
        try:
            record = json.loads(tail)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            raise StorageError(
                f"journal {path} is corrupt (its last line is not a journal record); restore it from a backup, "
                "or run the study under another name"
            )
        return 0
    try:
        lock = JournalFileSymlinkLock(str(path))
        lock.acquire()
        try:
            return _cut_tail(path)
        finally:
            lock.release()
    except OSError as exc:  # e.g. a read-only copy: Optuna still reads it, skipping the cut record
        log.warning("journal %s: its last record was cut mid-write and cannot be repaired here (%s); reading "
                    "without it", path, exc)
        return 0


def _open_database(
    url: str, heartbeat_interval: int | None, grace_period: int | None, on_stale: StaleCallback | None
) -> RDBStorage:
    url = driver_url(url)  # a bare postgresql:// means psycopg2, the driver hpsearch depends on
    kwargs: dict = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs = {"connect_args": {"timeout": 60}}
    elif url.startswith("postgresql") and "connect_timeout" not in make_url(url).query:
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT}  # libpq waits forever by default
    try:
        with warnings.catch_warnings():
            # heartbeat_interval is flagged experimental by Optuna; we rely on it knowingly
            warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
            return RDBStorage(
                url,
                engine_kwargs=kwargs,
                heartbeat_interval=heartbeat_interval,
                grace_period=grace_period,
                heartbeat_stale_trial_callback=on_stale if heartbeat_interval else None,
            )
    except (SQLAlchemyError, ImportError) as exc:
        detail = scrub(_one_line(getattr(exc, "orig", None) or exc), url)
        raise StorageError(
            f"storage {redact(url)} cannot be opened ({detail}); check the host, port, database name and "
            "credentials, and that the server is running"
        ) from None


def warn_if_sqlite(url: str, n_workers: int) -> None:
    """SQLite locks under parallel writers: say so (the journal file or PostgreSQL are the better choice)."""
    if url.startswith("sqlite") and n_workers > 1:
        log.warning(
            "storage %s is SQLite with %d parallel workers: SQLite locks under concurrent writers; "
            "prefer the default journal file on one machine, or PostgreSQL",
            redact(url),
            n_workers,
        )
