"""Where studies live: an Optuna journal file by default; PostgreSQL, MySQL/MariaDB (many machines) or SQLite by URL.

``resolve(storage, name, out_dir)`` turns a spec's storage (None, a journal file path, or a database URL)
into one string; ``open_storage`` turns that string into an Optuna storage. Only strings cross process
boundaries: every worker opens its own storage object.

Heartbeats: on a database, Optuna's own (``RDBStorage(heartbeat_interval=..., grace_period=...)``, stale
trials failed by ``optuna.storages.fail_stale_trials``); the journal file has none, see :mod:`hpsearch.execution.stale`.

Failures are one-line :class:`StorageError` s (a ``ValueError``), never a password: a database that does not
answer within ``CONNECT_TIMEOUT`` seconds (the driver's ``connect_timeout``), a file that is not an Optuna
journal, a journal corrupt in its middle. A journal whose LAST record was cut mid-write (a writer killed
during its append) is repaired when opened: see :func:`hpsearch.storages.journal.repair_journal`.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import optuna
from optuna.storages import BaseStorage, RDBStorage
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from hpsearch.errors import MissingStorage, StorageError, first_line
from hpsearch.storages.journal import open_journal
from hpsearch.storages.locks import database_lock
from hpsearch.storages.urls import check_driver, driver_url, redact, scrub

__all__ = ["CONNECT_TIMEOUT", "check_name", "check_url", "is_database", "journal_path", "open_storage", "resolve",
           "study_dir", "warn_if_sqlite"]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10  # seconds a PostgreSQL or MySQL server has to answer before opening the storage fails
_DB_SCHEMES = ("postgresql", "sqlite", "mysql")
MAX_NAME = 128  # characters in a study name (a folder name; file systems allow 255 bytes)
_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_.-]{{0,{MAX_NAME - 1}}}")


StaleCallback = Callable[[optuna.Study, optuna.trial.FrozenTrial], None]


def check_name(name: object) -> str:
    """A study name is a single folder name: letters, digits, '_', '-', '.', starting with a letter or digit
    (no separator, no '..', no markup). Raise a one-line ValueError otherwise."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        shown = repr(name) if len(repr(name)) <= 60 else repr(name)[:55] + "...'"
        raise ValueError(
            f"study name {shown} is invalid; use at most {MAX_NAME} letters, digits, '_', '-' or '.' (it names a "
            "folder)"
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
            raise ValueError(f"storage {redact(url)!r} is not a valid database URL ({first_line(exc)})") from None
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
        _quiet_fallback_warning()
        if not create:
            _check_exists(url)
        return _open_database(url, heartbeat_interval, grace_period, on_stale)
    return open_journal(url, create=create)


class _FallbackNoise(logging.Filter):
    """Drops Optuna's "Caught an error from sqlalchemy: ... Falling back to a slower alternative." warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Caught an error from sqlalchemy")


def _quiet_fallback_warning() -> None:
    """Optuna's RDB storage logs that warning, with the failed SQL, for any OperationalError while it reads
    trials (it means too many IN variables, and retries with a query that has none). When the database is gone
    it is several lines before hpsearch's own one-line error, and misleading; when it is the IN limit, the
    retry succeeds. Dropped in every process that opens a database storage (idempotent)."""
    logger = logging.getLogger("optuna.storages._rdb.storage")
    if not any(isinstance(f, _FallbackNoise) for f in logger.filters):
        logger.addFilter(_FallbackNoise())


def _check_exists(url: str) -> None:
    """For read-only commands: a database must exist and hold Optuna's tables (opening one creates them)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not Path(parsed.database).is_file():
            raise MissingStorage(f"storage {redact(url)} does not exist; run the study first or check --storage")
        if not parsed.database or parsed.database == ":memory:":
            return
    try:
        engine = create_engine(driver_url(url), **_engine_kwargs(url))
        try:
            with engine.connect() as conn:
                found = inspect(conn).has_table("studies")
        finally:
            engine.dispose()
    except (SQLAlchemyError, ImportError) as exc:
        raise _cannot_open(url, exc) from None
    if not found:
        raise MissingStorage(f"storage {redact(url)} holds no study; run the study first or check --storage")


def _open_database(
    url: str, heartbeat_interval: int | None, grace_period: int | None, on_stale: StaleCallback | None
) -> RDBStorage:
    url = driver_url(url)  # a bare postgresql:// means psycopg2, the driver hpsearch depends on

    def rdb() -> RDBStorage:
        with warnings.catch_warnings():
            # heartbeat_interval is flagged experimental by Optuna; we rely on it knowingly
            warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
            return RDBStorage(
                url,
                engine_kwargs=_engine_kwargs(url),
                heartbeat_interval=heartbeat_interval,
                grace_period=grace_period,
                heartbeat_stale_trial_callback=on_stale if heartbeat_interval else None,
            )

    try:
        if make_url(url).get_backend_name() not in ("postgresql", "mysql", "mariadb"):
            return rdb()
        engine = create_engine(url, **_engine_kwargs(url))
        try:  # RDBStorage creates Optuna's tables if missing: one process at a time
            with database_lock(engine, "schema"):
                return rdb()
        finally:
            engine.dispose()
    except (SQLAlchemyError, ImportError) as exc:
        raise _cannot_open(url, exc) from None


def _engine_kwargs(url: str) -> dict:
    kwargs: dict = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs = {"connect_args": {"timeout": 60}}
    elif url.startswith(("postgresql", "mysql")) and "connect_timeout" not in make_url(url).query:
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT}  # libpq would wait forever
    return kwargs


def _cannot_open(url: str, exc: BaseException) -> StorageError:
    detail = scrub(first_line(getattr(exc, "orig", None) or exc), url)
    return StorageError(
        f"storage {redact(url)} cannot be opened ({detail}); check the host, port, database name and "
        "credentials, and that the server is running"
    )


def warn_if_sqlite(url: str, n_workers: int) -> None:
    """SQLite locks under parallel writers: say so (the journal file or PostgreSQL are the better choice)."""
    if url.startswith("sqlite") and n_workers > 1:
        log.warning(
            "storage %s is SQLite with %d parallel workers: SQLite locks under concurrent writers; "
            "prefer the default journal file on one machine, or PostgreSQL",
            redact(url),
            n_workers,
        )
