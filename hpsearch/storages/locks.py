"""Locks across processes: the journal's write lock, and the study lock that makes creating slots atomic.

:class:`FileLock` is an ``fcntl.flock`` on a lock file beside the guarded file (``journal.log.flock``). The
kernel releases it when its holder dies, however it dies: a writer killed in the middle of an append never
leaves a lock behind for the others to wait on (Optuna's own symlink lock stays until a grace period has
passed, and for ever when its link dangles). The lock file exists only while the lock is held (or after its
holder died): it is removed on release, and a process that locked a file removed meanwhile locks again. It
is re-entrant within a process (one object per lock file, a thread lock inside), so a process that holds it
for a whole study creation still appends through it.

:func:`study_lock` is what :mod:`hpsearch.study` holds while it checks and creates a study's slots, so two
launchers (or a launcher and a worker re-queuing a failed trial) never create the same slot twice: the
journal's write lock on a journal file, a transaction-scoped PostgreSQL advisory lock on PostgreSQL, a
MySQL/MariaDB named lock (``GET_LOCK``) on MySQL, a :class:`FileLock` beside a SQLite file. Both database
locks belong to the session of one connection held while inside, so the server releases them when the
connection drops (a holder killed). The same locks (:func:`database_lock`) serialise the creation of Optuna's
tables in a new PostgreSQL or MySQL database: two processes creating them at once collide ("duplicate key
value violates unique constraint", "Table ... already exists").

Do not hold :func:`study_lock` while another thread of the same process writes to the same journal storage
(a trial's heartbeat): that thread would wait for the lock inside Optuna's own storage lock. Database locks
are not re-entrant: do not take one inside another of the same name.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from optuna.storages import BaseStorage, RDBStorage
from optuna.storages.journal import JournalStorage
from optuna.storages.journal._file import BaseJournalFileLock
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from hpsearch.errors import StorageError

__all__ = ["FileLock", "advisory_lock", "database_lock", "file_lock", "named_lock", "serialises", "study_lock"]

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".flock"
NAMED_LOCK_WAIT = 30  # seconds one GET_LOCK call waits before it logs that it still waits, and waits again
_REGISTRY: dict[str, FileLock] = {}
_REGISTRY_LOCK = threading.Lock()


class FileLock(BaseJournalFileLock):
    """An exclusive ``flock`` on ``path``, re-entrant within this process; ``on_acquire`` runs each time the
    process takes it (not when a thread re-enters it). Get one through :func:`file_lock` (one per path)."""

    def __init__(self, path: str, on_acquire: Callable[[], object] | None = None,
                 on_release: Callable[[], object] | None = None) -> None:
        self.path = path
        self.on_acquire = on_acquire
        self.on_release = on_release
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self.hook_result: object = None  # what ``on_acquire`` returned when this process last took the lock

    def acquire(self) -> bool:
        self._thread_lock.acquire()
        if self._depth == 0:
            try:
                self._lock_file()
            except BaseException:
                self._thread_lock.release()
                raise
        self._depth += 1
        return True

    def _lock_file(self) -> None:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if not self._still_linked(fd):  # its holder removed it as we waited: lock the new one
                    os.close(fd)
                    continue
                self.hook_result = self.on_acquire() if self.on_acquire is not None else None
            except BaseException:
                os.close(fd)  # closing the descriptor releases the lock
                raise
            self._fd = fd
            return

    def _still_linked(self, fd: int) -> bool:
        try:
            here = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (here.st_ino, here.st_dev) == (mine.st_ino, mine.st_dev)

    def release(self) -> None:
        if self._depth == 0:
            raise RuntimeError(f"lock {self.path} is not held by this process")
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                if self.on_release is not None:
                    self.on_release()
            except OSError:
                pass
            try:
                os.unlink(self.path)  # no lock file left behind; a waiter on it sees that and retries
            except OSError:
                pass
            os.close(fd)
        self._thread_lock.release()

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def file_lock(guarded: str | Path, on_acquire: Callable[[], object] | None = None,
              on_release: Callable[[], object] | None = None) -> FileLock:
    """The process's one lock for the file ``guarded`` (lock file ``<guarded>.flock``, absolute path)."""
    path = os.path.abspath(str(guarded)) + LOCK_SUFFIX
    with _REGISTRY_LOCK:
        lock = _REGISTRY.get(path)
        if lock is None:
            lock = _REGISTRY[path] = FileLock(path, on_acquire, on_release)
        else:
            lock.on_acquire = on_acquire if on_acquire is not None else lock.on_acquire
            lock.on_release = on_release if on_release is not None else lock.on_release
        return lock


def _advisory_key(name: str) -> int:
    """A signed 64-bit key for ``pg_advisory_xact_lock``, derived from ``name``."""
    digest = hashlib.sha256(f"hpsearch:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def advisory_lock(engine: Engine, name: str) -> Iterator[None]:
    """A PostgreSQL advisory lock on ``name`` held while inside (released by the server if we die)."""
    with engine.begin() as conn:  # the lock lasts as long as this transaction (or its connection)
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _advisory_key(name)})
        yield


def _named_key(engine: Engine, name: str) -> str:
    """A MySQL lock name for ``name`` in ``engine``'s database (lock names are server-wide, at most 64 chars)."""
    digest = hashlib.sha256(f"{engine.url.database}:{name}".encode()).hexdigest()
    return f"hpsearch:{digest[:40]}"


@contextmanager
def named_lock(engine: Engine, name: str, *, wait: int = NAMED_LOCK_WAIT) -> Iterator[None]:
    """A MySQL/MariaDB named lock (``GET_LOCK``) on ``name`` held while inside, on a connection kept for that
    time (released by the server if we die: the lock belongs to the connection's session)."""
    key = _named_key(engine, name)
    with engine.connect() as conn:
        while (got := conn.execute(text("SELECT GET_LOCK(:key, :wait)"), {"key": key, "wait": wait}).scalar()) != 1:
            if got is None:  # NULL: the server failed to take it (the session was killed, out of memory)
                raise StorageError(f"the MySQL server could not take the lock {key} ({name}); try again")
            log.info("waited %d s for the MySQL lock on %s; still waiting", wait, name)
        try:
            yield
        finally:
            try:
                conn.execute(text("SELECT RELEASE_LOCK(:key)"), {"key": key})
            except BaseException:
                conn.invalidate()  # closing the connection ends its session, and the lock with it
                raise


def database_lock(engine: Engine, name: str):
    """The server-side lock on ``name`` for ``engine``'s database (PostgreSQL, MySQL/MariaDB), else None."""
    dialect = engine.dialect.name
    if dialect == "postgresql":
        return advisory_lock(engine, name)
    if dialect in ("mysql", "mariadb"):
        return named_lock(engine, name)
    return None


def _database(storage: BaseStorage) -> RDBStorage | None:
    """The RDBStorage under ``storage`` (Optuna wraps it in a cache when a study is loaded)."""
    inner = getattr(storage, "_backend", storage)
    return inner if isinstance(inner, RDBStorage) else None


def serialises(storage: BaseStorage) -> bool:
    """Whether :func:`study_lock` is a real lock on ``storage`` (a journal file, PostgreSQL, MySQL, an SQLite
    file): then slots are created as they are claimed; elsewhere (an in-memory SQLite database) every slot is
    enqueued when the study is created."""
    return not isinstance(study_lock(storage, "-"), nullcontext)


def study_lock(storage: BaseStorage, name: str):
    """A context manager holding the lock that serialises slot creation of study ``name`` (module docstring)."""
    if isinstance(storage, JournalStorage):
        lock = getattr(storage._backend, "_lock", None)
        return lock if isinstance(lock, FileLock) else nullcontext()
    database = _database(storage)
    if database is None:
        return nullcontext()
    lock = database_lock(database.engine, f"study:{name}")
    if lock is not None:
        return lock
    if database.engine.dialect.name == "sqlite":
        path = make_url(database.url).database
        if path and path != ":memory:":
            return file_lock(path)
    return nullcontext()
