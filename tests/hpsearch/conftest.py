"""Fixtures of the hpsearch tests: tiny objective settings, a spec factory, a real PostgreSQL server and a real
MariaDB (MySQL) server (:mod:`tests.hpsearch.mariadb`: ``mysql_server``).

The server is started once per session from the PostgreSQL binaries (``initdb``, ``pg_ctl``), as the
``postgres`` user when the tests run as root, with a temporary data folder, listening on 127.0.0.1 on a free
port (and a Unix socket in the same temporary folder). ``own_postgres`` gives a test a server of its own, which
it may stop (even as a crash: ``stop("immediate")``) and start again. Without the binaries the PostgreSQL tests
are skipped on a developer machine, and FAIL under CI (the CI script installs them).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hpsearch import ObjectiveSettings, StudySpec
from tests.hpsearch.mariadb import MariaDbServer


@pytest.fixture
def tiny_settings() -> ObjectiveSettings:
    """A few-millisecond trial: 150 images (120 train / 30 val), a 784-16-16-10 net, 3 epochs of 40."""
    return ObjectiveSettings(n_samples=150, hidden=(16, 16), epochs=3, batch_size=40)


@pytest.fixture
def make_spec(tmp_path, tiny_settings):
    def make(name: str = "s", **kw) -> StudySpec:
        kw.setdefault("settings", tiny_settings)
        kw.setdefault("n_trials", 6)
        kw.setdefault("out_dir", str(tmp_path / "runs"))
        return StudySpec(name=name, **kw)

    return make


# -- PostgreSQL -------------------------------------------------------------------------------------------------
def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--", *cmd]


class PgServer:
    """A PostgreSQL server of its own (temporary data folder, free port) that a test may stop and restart."""

    def __init__(self) -> None:
        self.initdb, self.pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if not self.initdb or not self.pg_ctl:
            message = "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        self.base = Path(tempfile.mkdtemp(prefix="hpsearch-pg-"))
        self.data, self.log = self.base / "data", self.base / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.base, user="postgres", group="postgres")
        self.port = _free_port()
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/hpsearch_test"
        try:
            self._ctl([self.initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
            self.start()
            import psycopg2

            conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("CREATE DATABASE hpsearch_test")
            conn.close()
        except BaseException:
            self.remove()
            raise

    def _ctl(self, cmd: list[str]) -> None:
        try:  # cwd: postgres may not read ours
            subprocess.run(_as_postgres(cmd), check=True, capture_output=True, timeout=120, cwd=self.base)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            server_log = self.log.read_text(errors="replace") if self.log.exists() else ""
            pytest.fail(f"PostgreSQL: {exc}\n{detail.decode(errors='replace')}\n{server_log}")

    def start(self) -> None:
        options = f"-k {self.base} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._ctl([self.pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "60", "start"])

    def stop(self, mode: str = "fast") -> None:
        """``mode="immediate"``: every server process quits at once, without a clean shutdown (as a crash)."""
        self._ctl([self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop"])

    def remove(self) -> None:
        subprocess.run(_as_postgres([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
                       capture_output=True, timeout=120, cwd=self.base)
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    server = PgServer()
    try:
        yield server.url
    finally:
        server.remove()


@pytest.fixture
def own_postgres() -> Iterator[PgServer]:
    """A PostgreSQL server for this test alone (to be killed and restarted without disturbing the others)."""
    server = PgServer()
    try:
        yield server
    finally:
        server.remove()


# -- MySQL (MariaDB) --------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def mysql_server() -> Iterator[MariaDbServer]:
    """One MariaDB server for the session; ``mysql_server.database()`` gives a test a new, empty database."""
    server = MariaDbServer()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def storage_of(request):
    """``storage_of(kind)``: the storage of a test parametrised over kinds: None (a journal file) for
    "journal", the session's PostgreSQL database for "postgresql", a new MySQL database for "mysql"."""
    def get(kind: str) -> str | None:
        if kind == "journal":
            return None
        if kind == "postgresql":
            return request.getfixturevalue("postgres_url")
        assert kind == "mysql", kind
        return request.getfixturevalue("mysql_server").database()

    return get
