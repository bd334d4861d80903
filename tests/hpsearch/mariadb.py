"""A real MariaDB (MySQL) server for the tests, started from Debian's ``mariadb-server`` binaries.

``mariadb-install-db`` makes a temporary data folder, and ``mariadbd`` serves it on 127.0.0.1 on a free port
(and a Unix socket in the same folder), as the ``mysql`` user when the tests run as root. Tests reach it as
the user ``hpsearch`` (no password) through ``mysql+pymysql://``; each caller may ask for a database of its
own (a new database: Optuna's tables not created yet). Without the binaries the MySQL tests are skipped on a
developer machine, and FAIL under CI (the CI script installs them), as the PostgreSQL tests do.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

START_TIMEOUT = 60  # seconds the server has to accept connections


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binary(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}")
                                            if os.access(p, os.X_OK)), None)
        if found:
            return found
    return None


def _as_mysql(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "mysql", "--", *cmd]


class MariaDbServer:
    """A MariaDB server of its own (temporary data folder, free port), removed with :meth:`remove`."""

    def __init__(self) -> None:
        self.install_db = _binary("mariadb-install-db", "mysql_install_db")
        self.server = _binary("mariadbd", "mysqld")
        if not self.install_db or not self.server:
            message = "MariaDB server binaries (mariadb-install-db, mariadbd) not found: apt-get install mariadb-server"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        try:
            import pymysql  # noqa: F401
        except ImportError:
            message = "the MySQL driver pymysql is not installed: pip install pymysql (in the test extra)"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        self.base = Path(tempfile.mkdtemp(prefix="hpsearch-mariadb-"))
        self.data, self.log, self.socket = self.base / "data", self.base / "server.log", self.base / "mysqld.sock"
        if os.geteuid() == 0:
            shutil.chown(self.base, user="mysql", group="mysql")
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        self._count = 0
        try:
            self._install()
            self._start()
            self._admin("CREATE USER 'hpsearch'@'127.0.0.1'", "GRANT ALL ON *.* TO 'hpsearch'@'127.0.0.1'")
        except BaseException:
            self.remove()
            raise

    def _install(self) -> None:
        cmd = [self.install_db, "--no-defaults", f"--datadir={self.data}", "--auth-root-authentication-method=normal",
               "--skip-test-db"]
        try:  # cwd: the mysql user may not read ours
            subprocess.run(_as_mysql(cmd), check=True, capture_output=True, timeout=120, cwd=self.base)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            detail = (getattr(exc, "stdout", b"") or b"") + (getattr(exc, "stderr", b"") or b"")
            pytest.fail(f"MariaDB: {exc}\n{detail.decode(errors='replace')}")

    def _start(self) -> None:
        cmd = [self.server, "--no-defaults", f"--datadir={self.data}", f"--socket={self.socket}", f"--port={self.port}",
               "--bind-address=127.0.0.1", f"--pid-file={self.base / 'mysqld.pid'}", f"--log-error={self.log}",
               "--skip-name-resolve", "--skip-log-bin", "--character-set-server=utf8mb4",
               "--collation-server=utf8mb4_unicode_ci", "--innodb-buffer-pool-size=64M",
               "--innodb-flush-log-at-trx-commit=0", "--max-connections=200"]
        self.process = subprocess.Popen(_as_mysql(cmd), cwd=self.base, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while "ready for connections" not in self._server_log():  # (a connection tried earlier leaks its socket)
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"MariaDB did not start:\n{self._server_log()}")
            time.sleep(0.05)

    def _server_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _admin(self, *statements: str) -> None:
        import pymysql

        conn = pymysql.connect(unix_socket=str(self.socket), user="root", connect_timeout=5)
        try:
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
            conn.commit()
        finally:
            conn.close()

    def database(self, name: str | None = None) -> str:
        """The URL of a new, empty database (``name``, or the next ``db<k>``) on this server."""
        if name is None:
            self._count += 1
            name = f"db{self._count}"
        self._admin(f"CREATE DATABASE `{name}`")
        return f"mysql+pymysql://hpsearch@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        if self.process is not None and self.process.poll() is None:
            if not self._signal_server(signal.SIGTERM):  # a clean, quick shutdown (runuser waits 2 s more)
                self.process.send_signal(signal.SIGTERM)  # runuser passes it on
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._signal_server(signal.SIGKILL)
                self.process.kill()
                self.process.wait(timeout=60)
        shutil.rmtree(self.base, ignore_errors=True)

    def _signal_server(self, sig: signal.Signals) -> bool:
        """Signal the server process itself (its pid file), not runuser; False if there is none."""
        try:
            os.kill(int((self.base / "mysqld.pid").read_text()), sig)
        except (OSError, ValueError):
            return False
        return True
