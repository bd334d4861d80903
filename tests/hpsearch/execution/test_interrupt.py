"""SIGINT (Ctrl-C) to the launching process of ``hpsearch run --n-jobs 2``.

Both workers (worker 0 in the launcher, worker 1 in a loky process) stop at their next epoch; their running
trials are failed and re-queued; the launcher prints one line and exits with 130; no process keeps running;
the storage is consistent (no RUNNING trial, at most one live trial per slot and none for a slot never
claimed, every completed trial intact, the journal reloads from scratch). Running the same command again
completes the study without running any finished slot twice. Also checked in-process: ``run`` raises
KeyboardInterrupt after a clean stop.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import optuna
import pytest
from optuna.storages.journal import JournalFileBackend, JournalStorage
from optuna.trial import TrialState

from hpsearch import ObjectiveSettings, StudySpec, run
from hpsearch.execution.stale import pid_alive
from hpsearch.study import create_study

T = TypeVar("T")

SLOW = ObjectiveSettings(n_samples=200, hidden=(32, 32), epochs=60, batch_size=20)
LIVE = (TrialState.WAITING, TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED)


def _journal_storage(journal: Path) -> JournalStorage:
    """A new storage object replaying the whole journal, as a fresh process would read it."""
    return JournalStorage(JournalFileBackend(str(journal)))


def _load(journal: Path, name: str):
    """The study as a fresh process would read it."""
    return optuna.load_study(study_name=name, storage=_journal_storage(journal))


def _pid(trial) -> int:
    return int(trial.user_attrs["worker"].rpartition(":")[2])


def _wait_two_running(journal: Path, name: str, proc, *, timeout=120.0):
    """Until two worker processes each train a trial and at least one trial is complete."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the launcher exited early: {proc.communicate()}"
        # the journal file exists a moment before the launcher has written the study into it
        if journal.is_file() and name in optuna.get_all_study_names(_journal_storage(journal)):
            trials = _load(journal, name).get_trials(deepcopy=False)
            running = [t for t in trials if t.state == TrialState.RUNNING and len(t.params) == 2]
            workers = {_pid(t) for t in running}
            if len(workers) == 2 and any(t.state == TrialState.COMPLETE for t in trials):
                return workers
        time.sleep(0.05)
    pytest.fail("the launcher never had two workers training at once")


def _check_consistent(study, n_trials):
    """No RUNNING trial; at most one live trial per slot, the slots claimed so far 0..m-1 (slots are created
    lowest first, when claimed); every WAITING trial a re-queued one (no placeholder for an unclaimed slot)."""
    trials = study.get_trials(deepcopy=False)
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    live_slots = sorted(t.user_attrs["slot"] for t in trials if t.state in LIVE)
    assert live_slots == list(range(len(live_slots))) and len(live_slots) <= n_trials  # each slot once
    assert all("retry_of" in t.user_attrs for t in trials if t.state == TrialState.WAITING)
    return trials


def _check_complete(study, n_trials):
    """As :func:`_check_consistent`, and every slot has its one live trial."""
    trials = _check_consistent(study, n_trials)
    assert sorted(t.user_attrs["slot"] for t in trials if t.state in LIVE) == list(range(n_trials))
    return trials


def _sigint_when_ready(cmd: list[str], cwd: Path, ready: Callable[[subprocess.Popen], T]):
    """Start ``cmd``, wait for ``ready(proc)``, send it SIGINT and collect it: (ready's value, proc, out, err)."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        value = ready(proc)
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return value, proc, out, err


@pytest.mark.slow
def test_sigint_stops_every_worker_cleanly_and_a_rerun_resumes(tmp_path):
    # enough trials that worker 0 cannot finish the study alone while the loky process starts on a busy machine
    spec = StudySpec(name="sigint", settings=SLOW, n_trials=16, out_dir=str(tmp_path / "runs"))
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    cmd = [sys.executable, "-m", "hpsearch", "run", "spec.json", "--n-jobs", "2", "--no-progress"]
    journal = Path(spec.storage_url)
    workers, proc, out, err = _sigint_when_ready(cmd, tmp_path, lambda p: _wait_two_running(journal, spec.name, p))
    assert proc.returncode == 130, err
    assert err.count("\n") == 1 and err.startswith("hpsearch: interrupted: study sigint interrupted: "), err
    assert "run the same command again to resume" in err
    assert proc.pid in workers  # worker 0 runs in the launcher; the other is the loky process
    loky = (workers - {proc.pid}).pop()
    deadline = time.monotonic() + 30
    while pid_alive(loky) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_alive(loky), "the loky worker outlived the launcher"

    size = journal.stat().st_size
    trials = _check_consistent(_load(journal, spec.name), spec.n_trials)
    interrupted = [t for t in trials if t.state == TrialState.FAIL]
    # each worker's running trial, failed by its own worker (a worker whose trial ended just as the signal came
    # stops before claiming the next one instead)
    assert interrupted and {_pid(t) for t in interrupted} <= workers
    assert all(t.user_attrs.get("interrupted") is True for t in interrupted)
    retries = {t.user_attrs["retry_of"]: t for t in trials if "retry_of" in t.user_attrs}
    for t in interrupted:  # re-queued at once, same slot, seed and parameters
        assert retries[t.number].state == TrialState.WAITING
        assert retries[t.number].user_attrs["slot"] == t.user_attrs["slot"]
        assert retries[t.number].user_attrs["seed"] == t.user_attrs["seed"]
        assert retries[t.number].system_attrs["fixed_params"] == t.params  # enqueued: its params to come
    completed = {t.number: (t.value, t.params, t.user_attrs) for t in trials if t.state == TrialState.COMPLETE}
    assert 1 <= len(completed) < spec.n_trials
    time.sleep(0.3)
    assert journal.stat().st_size == size  # nobody writes any more

    again = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"{spec.n_trials}/{spec.n_trials} finished" in again.stdout
    trials = _check_complete(_load(journal, spec.name), spec.n_trials)
    finished = [t for t in trials if t.state == TrialState.COMPLETE]
    assert sorted(t.user_attrs["slot"] for t in finished) == list(range(spec.n_trials))  # no slot twice
    for t in finished:
        if t.number in completed:
            assert (t.value, t.params, t.user_attrs) == completed[t.number]
    assert len(trials) == spec.n_trials + len(interrupted)


def test_run_in_process_raises_keyboardinterrupt_after_a_clean_stop(make_spec):
    spec = make_spec("sigint-api", settings=SLOW, n_trials=3)
    study = create_study(spec)

    def interrupt_when_training():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(len(t.params) == 2 for t in study.get_trials(states=(TrialState.RUNNING,))):
                os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C: delivered to the main thread
                return
            time.sleep(0.02)

    helper = threading.Thread(target=interrupt_when_training)
    helper.start()
    try:
        with pytest.raises(KeyboardInterrupt, match=r"interrupted: [0-2]/3 trials finished"):
            run(spec, n_jobs=1, progress=False)
    finally:
        helper.join()
    trials = _check_consistent(study, 3)
    assert [t.state for t in trials].count(TrialState.FAIL) == 1
    assert study.user_attrs["runs"][-1]["interrupted"] is True
    done = run(spec, n_jobs=1, progress=False)  # the re-run resumes
    assert len(done.get_trials(states=(TrialState.COMPLETE,))) == 3


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["journal", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_sigint_to_a_joined_worker_requeues_its_trial(kind, request, make_spec, tmp_path):
    storage = None if kind == "journal" else request.getfixturevalue("postgres_url")
    spec = make_spec(f"sigint-worker-{kind}", settings=SLOW, n_trials=3, storage=storage)
    study = create_study(spec)
    cmd = [sys.executable, "-m", "hpsearch", "worker", "--storage", spec.storage_url, "--study", spec.name]

    def running(proc: subprocess.Popen) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(
            len(t.params) == 2 for t in study.get_trials(states=(TrialState.RUNNING,))
        ):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)

    _, proc, out, err = _sigint_when_ready(cmd, tmp_path, running)
    assert proc.returncode == 130, err
    assert out == "" and err.count("\n") == 1 and "its running trial was re-queued" in err
    trials = _check_consistent(study, 3)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert len(failed) == 1 and failed[0].user_attrs["interrupted"] is True
    assert _pid(failed[0]) == proc.pid
