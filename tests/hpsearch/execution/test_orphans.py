"""A launcher killed with SIGKILL leaves no orphan worker running its study, and read-only
commands never create a storage.

``hpsearch run --n-jobs 2`` runs worker 1 in a loky process. Before the fix, after ``kill -9`` of the launcher
that process ran the whole study on its own; now it sees its launcher gone at its next epoch end, fails and
re-queues its trial, and exits, and the study can be resumed. ``status``/``export``/``report``/``worker`` on a
SQLite file that does not exist, or on a PostgreSQL database without Optuna's tables, print one line and create
nothing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import sqlalchemy
from optuna.storages.journal import JournalFileBackend, JournalStorage
from optuna.trial import TrialState

from hpsearch import ObjectiveSettings, StudySpec
from hpsearch.cli.commands import main
from hpsearch.execution.stale import pid_alive

SLOW = ObjectiveSettings(n_samples=200, hidden=(32, 32), epochs=60, batch_size=20)
N_TRIALS = 40  # far more than the loky worker could finish between the kill and its next epoch end


def _trials(journal: Path, name: str):
    if not journal.is_file():
        return []
    storage = JournalStorage(JournalFileBackend(str(journal)))
    if name not in optuna.get_all_study_names(storage):
        return []
    return optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False)


def _loky_worker_training(journal: Path, name: str, launcher: subprocess.Popen) -> int:
    """The pid of the launcher's loky worker, once it is training a trial."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert launcher.poll() is None, launcher.communicate()
        for t in _trials(journal, name):
            pid = int(t.user_attrs.get("worker", ":0").rpartition(":")[2])
            if t.state == TrialState.RUNNING and len(t.params) == 2 and pid != launcher.pid:
                return pid
        time.sleep(0.05)
    pytest.fail("the launcher's loky worker never trained a trial")


@pytest.mark.slow
def test_the_workers_of_a_killed_launcher_stop_and_the_study_resumes(tmp_path):
    spec = StudySpec(name="orphan", settings=SLOW, n_trials=N_TRIALS, out_dir=str(tmp_path / "runs"))
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    cmd = [sys.executable, "-m", "hpsearch", "run", "spec.json", "--n-jobs", "2", "--no-progress"]
    journal = Path(spec.storage_url)
    launcher = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        loky = _loky_worker_training(journal, spec.name, launcher)
        os.kill(launcher.pid, signal.SIGKILL)
    finally:
        launcher.kill()
        launcher.communicate(timeout=60)
    deadline = time.monotonic() + 300
    while pid_alive(loky) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_alive(loky), "the loky worker of the killed launcher is still running"
    trials = _trials(journal, spec.name)
    finished = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(finished) < N_TRIALS  # it stopped: it did not run the rest of the study as an orphan
    mine = [t for t in trials if t.user_attrs.get("worker", "").endswith(f":{loky}")]
    stopped = [t for t in mine if t.state == TrialState.FAIL]
    assert len(stopped) == 1 and stopped[0].user_attrs["interrupted"] is True  # failed and re-queued by itself
    assert not [t for t in mine if t.state == TrialState.RUNNING]

    again = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    trials = _trials(journal, spec.name)
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    assert sorted(t.user_attrs["slot"] for t in done) == list(range(N_TRIALS))  # each slot once


@pytest.mark.parametrize("command", ["status", "export", "report", "worker"])
def test_read_only_commands_create_no_sqlite_file(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert main([command, "--storage", url, "--study", "s"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.postgres
@pytest.mark.parametrize("command", ["status", "export", "worker"])
def test_read_only_commands_create_no_tables_in_an_empty_database(command, postgres_url, tmp_path, capsys,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    server = sqlalchemy.engine.make_url(postgres_url)
    empty = server.set(database=f"empty_{command}")
    admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f"CREATE DATABASE empty_{command}"))
    admin.dispose()
    url = empty.render_as_string(hide_password=False)
    assert main([command, "--storage", url, "--study", "s"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds no study" in err, err
    engine = sqlalchemy.create_engine(empty)
    try:
        with engine.connect() as conn:
            assert sqlalchemy.inspect(conn).get_table_names() == []
    finally:
        engine.dispose()
    assert list(tmp_path.iterdir()) == []
