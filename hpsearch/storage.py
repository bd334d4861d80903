"""Where studies live: an Optuna journal file by default, PostgreSQL (many machines) or SQLite by URL.

``resolve(storage, name, out_dir)`` turns a spec's storage (None, a journal file path, or a database URL)
into one string; ``open_storage`` turns that string into an Optuna storage. Only strings cross process
boundaries: every worker opens its own storage object.

Heartbeats: on a database, Optuna's own (``RDBStorage(heartbeat_interval=..., grace_period=...)``, stale
trials failed by ``optuna.storages.fail_stale_trials``); the journal file has none, see :mod:`hpsearch.stale`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from pathlib import Path

import optuna
from optuna.storages import BaseStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend, JournalStorage
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["resolve", "open_storage", "is_database", "redact", "journal_path", "check_url"]

log = logging.getLogger(__name__)

_DB_SCHEMES = ("postgresql", "sqlite", "mysql")
StaleCallback = Callable[[optuna.Study, optuna.trial.FrozenTrial], None]


def journal_path(out_dir: str | Path, name: str) -> Path:
    """The default storage of study ``name``: ``<out_dir>/<name>/journal.log``."""
    return Path(out_dir) / name / "journal.log"


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
            make_url(url)
        except ArgumentError as exc:
            raise ValueError(f"storage {redact(url)!r} is not a valid database URL ({exc})") from None
    return url


def resolve(storage: str | None, name: str, out_dir: str | Path) -> str:
    """The storage string of a study: the given one, or the default journal file."""
    if storage is None:
        return str(journal_path(out_dir, name))
    return check_url(storage)


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for logs, progress lines and exported meta)."""
    if "://" not in url:
        return url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        head, _, rest = url.partition("://")
        creds, at, host = rest.rpartition("@")
        if not at or ":" not in creds:
            return url
        return f"{head}://{creds.split(':', 1)[0]}:***@{host}"


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
    return JournalStorage(JournalFileBackend(str(path)))


def _open_database(
    url: str, heartbeat_interval: int | None, grace_period: int | None, on_stale: StaleCallback | None
) -> RDBStorage:
    kwargs: dict = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs = {"connect_args": {"timeout": 60}}
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


def warn_if_sqlite(url: str, n_workers: int) -> None:
    """SQLite locks under parallel writers: say so (the journal file or PostgreSQL are the better choice)."""
    if url.startswith("sqlite") and n_workers > 1:
        log.warning(
            "storage %s is SQLite with %d parallel workers: SQLite locks under concurrent writers; "
            "prefer the default journal file on one machine, or PostgreSQL",
            redact(url),
            n_workers,
        )
