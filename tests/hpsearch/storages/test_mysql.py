"""MySQL/MariaDB: the study lock is a server-side named lock (GET_LOCK), held by one process at a time and
released by the server when its holder dies.

A real MariaDB server is started by the ``mysql_server`` fixture (conftest.py). Under CI these tests never skip.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hpsearch.storages.locks import serialises, study_lock
from hpsearch.storages.opener import open_storage

pytestmark = [pytest.mark.mysql]

_HOLDER = """
import sys, time
from pathlib import Path
from hpsearch.storages.locks import study_lock
from hpsearch.storages.opener import open_storage
url, name, flag = sys.argv[1:]
with study_lock(open_storage(url), name):
    Path(flag).touch()
    while not Path(flag + ".release").exists():
        time.sleep(0.01)
"""


def _hold(url: str, name: str, flag: Path) -> subprocess.Popen:
    """A process that takes the study lock of ``name``, touches ``flag``, and holds it until ``flag.release``."""
    return subprocess.Popen([sys.executable, "-c", _HOLDER, url, name, str(flag)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _until(condition, what: str, procs: list[subprocess.Popen], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        died = [p.communicate() for p in procs if p.poll() is not None and p.returncode != -9]
        assert not died, died
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.02)


def _waiting_for_user_lock(url: str) -> int:
    """How many sessions of the server wait in GET_LOCK."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                                     "WHERE STATE = 'User lock'")).scalar()
    finally:
        engine.dispose()


def test_two_processes_never_hold_one_studys_lock_together_and_a_killed_holder_frees_it(mysql_server, tmp_path):
    url = mysql_server.database()
    first, second, other = (tmp_path / f for f in ("first", "second", "other"))
    a = _hold(url, "s", first)
    procs = [a]
    try:
        _until(first.exists, "the first process holds the lock", procs)
        b = _hold(url, "s", second)
        c = _hold(url, "another-study", other)
        procs += [b, c]
        _until(other.exists, "another study's lock is taken meanwhile", procs)

        def second_waits() -> bool:
            assert not second.exists(), "the second process took the lock the first holds"
            return _waiting_for_user_lock(url) == 1

        _until(second_waits, "the second process waits in GET_LOCK", procs)
        assert not second.exists()  # still waiting: the first holds the lock
        a.kill()  # SIGKILL: no release; the server frees the lock when the connection drops
        a.communicate(timeout=30)
        _until(second.exists, "the second process gets the lock once the first is killed", procs)
        for flag in (second, other):
            Path(f"{flag}.release").touch()
        for p in (b, c):
            _out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
                p.communicate()


def test_the_study_lock_on_mysql_is_a_real_lock_taken_and_released_in_turn(mysql_server):
    storage = open_storage(mysql_server.database())
    assert serialises(storage)
    with study_lock(storage, "s"):  # taken and released in turn
        pass
    with study_lock(storage, "s"):
        pass

