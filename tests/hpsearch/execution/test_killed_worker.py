"""A worker process killed with SIGKILL in the middle of a trial, on the journal file and on
PostgreSQL. Every trial it completed stays intact, its running trial is detected as stale (dead pid on the
journal, Optuna's heartbeat on PostgreSQL) and re-run with the same slot, seed and parameters, and the study
ends with exactly n_trials finished trials.

The worker is a real ``python -m hpsearch worker`` process running the real "mlp" objective (a small budget
that still takes a few tenths of a second per trial, so the kill lands inside training, not inside a write).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import optuna
import pytest
from optuna.trial import TrialState

from hpsearch import ObjectiveSettings, create_study, run_worker
from hpsearch.execution.stale import HB, optuna_heartbeat, pid_alive
from hpsearch.study import claim, open_study

# about half a second per trial on one core: the kill lands inside training, not between two trials
SLOW = ObjectiveSettings(n_samples=200, hidden=(32, 32), epochs=100, batch_size=20)
N_TRIALS = 4


def _trials(spec):
    study = optuna.load_study(study_name=spec.name, storage=create_study(spec)._storage)
    return study.get_trials(deepcopy=True)


def _snapshot(trial):
    return (trial.number, trial.state, trial.value, trial.params, trial.user_attrs, trial.datetime_complete)


def _start_worker(spec, cwd):
    cmd = [sys.executable, "-m", "hpsearch", "worker", "--storage", spec.storage_url, "--study", spec.name]
    return subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_mid_trial(spec, proc, *, timeout=120.0):
    """Poll the storage until the worker has finished one trial and is training the next one; returns it."""
    owner = f"{socket.gethostname()}:{proc.pid}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the worker exited early: {proc.communicate()}"
        trials = _trials(spec)
        done = [t for t in trials if t.state == TrialState.COMPLETE]
        running = [
            t for t in trials
            if t.state == TrialState.RUNNING and t.user_attrs.get("worker") == owner and len(t.params) == 2
        ]
        if done and running:
            return running[0]
        time.sleep(0.02)
    pytest.fail("the worker never got into a second trial")


def _kill_mid_trial(spec, tmp_path):
    proc = _start_worker(spec, tmp_path)
    try:
        training = _wait_mid_trial(spec, proc)  # its parameters are written: it is training now
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()  # our own child, not yet reaped: a no-op after the SIGKILL above
        proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert not pid_alive(proc.pid)
    return proc.pid, training.number


def _check_after_kill(spec, pid, number):
    """The state right after the kill: returns (completed trials' snapshots, the killed trial)."""
    trials = _trials(spec)
    owner = f"{socket.gethostname()}:{pid}"
    killed = [t for t in trials if t.state == TrialState.RUNNING]
    assert [t.number for t in killed] == [number]  # killed in the trial it was training
    assert killed[0].user_attrs["worker"] == owner
    completed = {t.number: _snapshot(t) for t in trials if t.state == TrialState.COMPLETE}
    assert completed and all(v[4]["worker"] == owner for v in completed.values())
    return completed, killed[0]


def _check_final(spec, completed, killed):
    trials = _trials(spec)
    by_number = {t.number: t for t in trials}
    for number, snap in completed.items():  # every completed trial intact
        assert _snapshot(by_number[number]) == snap
    assert by_number[killed.number].state == TrialState.FAIL  # detected as stale, failed once
    finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert len(finished) == spec.n_trials
    assert sorted(t.user_attrs["slot"] for t in finished) == list(range(spec.n_trials))
    assert [t.number for t in trials if t.state == TrialState.FAIL] == [killed.number]
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    rerun = [t for t in finished if t.user_attrs.get("retry_of") == killed.number]
    assert len(rerun) == 1  # re-run once, as the same slot with the same seed and parameters
    assert rerun[0].user_attrs["slot"] == killed.user_attrs["slot"]
    assert rerun[0].user_attrs["seed"] == killed.user_attrs["seed"]
    assert rerun[0].params == killed.params


@pytest.mark.slow
def test_sigkill_of_a_journal_worker_mid_trial(make_spec, tmp_path):
    spec = make_spec("killed-journal", settings=SLOW, n_trials=N_TRIALS)
    create_study(spec)
    pid, number = _kill_mid_trial(spec, tmp_path)
    completed, killed = _check_after_kill(spec, pid, number)
    summary = run_worker(spec, 1)  # another worker: finds the dead pid's trial stale at once
    assert summary["trials"] == spec.n_trials - len(completed)
    _check_final(spec, completed, killed)
    assert all(HB in t.system_attrs for t in _trials(spec) if t.state == TrialState.COMPLETE)  # our beats


@pytest.mark.slow
@pytest.mark.parametrize("kind", [pytest.param("postgresql", marks=pytest.mark.postgres),
                                  pytest.param("mysql", marks=pytest.mark.mysql)])
def test_sigkill_of_a_database_worker_mid_trial(kind, make_spec, tmp_path, storage_of):
    spec = make_spec(f"killed-{kind}", settings=SLOW, n_trials=N_TRIALS, storage=storage_of(kind),
                     heartbeat_interval=1, grace_period=2)
    create_study(spec)
    pid, number = _kill_mid_trial(spec, tmp_path)
    completed, killed = _check_after_kill(spec, pid, number)
    summary = run_worker(spec, 1)  # the dead pid on this host, or Optuna's heartbeat after 2 s: re-run
    assert summary["trials"] == spec.n_trials - len(completed)
    _check_final(spec, completed, killed)
    assert optuna_heartbeat(create_study(spec)._storage)  # Optuna's heartbeat, not the journal's "hb"
    assert not [t for t in _trials(spec) if HB in t.system_attrs]


@pytest.mark.slow
@pytest.mark.postgres
def test_a_trial_claimed_by_a_worker_killed_before_its_first_beat_is_rerun(make_spec, tmp_path, postgres_url):
    """Optuna's heartbeat only judges trials that beat once: a worker killed between claiming a trial and its
    first beat left it RUNNING for ever, and every other worker waited for it. Its start time dates it now."""
    spec = make_spec("never-beat", n_trials=2, storage=postgres_url, heartbeat_interval=1, grace_period=2)
    create_study(spec)
    lost = claim(open_study(spec, sampler_seed=0), spec.n_trials)  # claimed, then the worker "dies"
    cmd = [sys.executable, "-m", "hpsearch", "worker", "--storage", postgres_url, "--study", spec.name]
    try:
        proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("the worker waited for ever on a trial that never beat")
    assert proc.returncode == 0, proc.stderr
    trials = _trials(spec)
    assert [t.number for t in trials if t.state == TrialState.FAIL] == [lost.number]
    finished = [t for t in trials if t.state == TrialState.COMPLETE]
    assert sorted(t.user_attrs["slot"] for t in finished) == [0, 1]
    assert [t.user_attrs.get("retry_of") for t in finished].count(lost.number) == 1
