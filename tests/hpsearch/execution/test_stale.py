"""Journal stale trials: a RUNNING trial whose worker crashed is failed once and its slot re-run exactly."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

from optuna.trial import TrialState

from hpsearch import create_study, run_worker
from hpsearch.execution.stale import HB, Heartbeat, fail_stale, is_stale, pid_alive, worker_id
from hpsearch.study import claim


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _crash_a_worker(study, n_trials, *, owner, beat=None):
    """What a killed worker leaves behind: its trial RUNNING, params suggested, never told."""
    trial = claim(study, n_trials)
    assert trial is not None
    trial.set_user_attr("worker", owner)
    trial.suggest_float("weight_decay", 1e-8, 1e-4, log=True)  # the planned (fixed) values
    trial.suggest_float("lr", 1e-6, 1e-2, log=True)
    if beat is not None:
        study._storage.set_trial_system_attr(trial._trial_id, HB, beat)
    return study._storage.get_trial(trial._trial_id)


def _check_rerun(study, crashed, n_trials):
    trials = study.get_trials(deepcopy=False)
    assert [t.number for t in trials if t.state == TrialState.FAIL] == [crashed.number]
    finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert sorted(t.user_attrs["slot"] for t in finished) == list(range(n_trials))
    assert not [t for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    rerun = [t for t in finished if t.user_attrs.get("retry_of") == crashed.number]
    assert len(rerun) == 1
    assert rerun[0].user_attrs["slot"] == crashed.user_attrs["slot"]
    assert rerun[0].user_attrs["seed"] == crashed.user_attrs["seed"]
    assert rerun[0].params == crashed.params


def test_a_trial_of_a_dead_local_process_is_rerun_and_the_count_is_exact(make_spec):
    spec = make_spec("dead-pid", n_trials=4)
    study = create_study(spec)
    crashed = _crash_a_worker(study, 4, owner=f"{socket.gethostname()}:{_dead_pid()}")
    run_worker(spec, 0)
    _check_rerun(study, crashed, 4)


def test_a_trial_with_an_old_heartbeat_from_another_host_is_rerun(make_spec):
    spec = make_spec("old-beat", n_trials=3, heartbeat_interval=1, grace_period=30)
    study = create_study(spec)
    crashed = _crash_a_worker(study, 3, owner="elsewhere:1", beat=time.time() - 3600)
    run_worker(spec, 0)
    _check_rerun(study, crashed, 3)


def test_is_stale_rules(make_spec):
    spec = make_spec("rules", n_trials=3)
    study = create_study(spec)
    alive = _crash_a_worker(study, 3, owner=worker_id(), beat=time.time() - 10)
    fresh = _crash_a_worker(study, 3, owner="elsewhere:1", beat=time.time())
    dead = _crash_a_worker(study, 3, owner=f"{socket.gethostname()}:{_dead_pid()}", beat=time.time())
    assert not is_stale(alive, grace_period=60)  # this very process: alive, recent beat
    assert is_stale(alive, grace_period=5)  # ...but silent for longer than the grace period
    assert not is_stale(fresh, grace_period=60)
    assert is_stale(dead, grace_period=60)
    assert fail_stale(study, grace_period=60) == 1  # only the dead one
    assert fail_stale(study, grace_period=60) == 0  # failed once, re-queued once
    waiting = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
    assert [t.user_attrs.get("retry_of") for t in waiting] == [dead.number]


def test_heartbeat_thread_refreshes_the_beat(make_spec):
    spec = make_spec("beat", n_trials=1)
    study = create_study(spec)
    trial = claim(study, 1)
    with Heartbeat(study, trial._trial_id, interval=0.05):
        first = study._storage.get_trial(trial._trial_id).system_attrs[HB]
        time.sleep(0.3)
        later = study._storage.get_trial(trial._trial_id).system_attrs[HB]
    assert later > first


_CRASHING_WORKER = """
import json, os, sys
from hpsearch import StudySpec, evaluate, run_worker

def crash(params, settings, *, seed, on_epoch=None):
    # dies in the middle of its first trial, as a killed process would: no tell, no cleanup
    return evaluate(params, settings, seed=seed, on_epoch=lambda epoch, acc: os._exit(3) if epoch == 1 else None)

run_worker(StudySpec.from_dict(json.loads(sys.argv[1])), 0, objective=crash)
"""


def test_a_really_killed_worker_process_is_detected_and_its_trial_rerun(make_spec):
    spec = make_spec("killed", n_trials=3)
    study = create_study(spec)
    proc = subprocess.run([sys.executable, "-c", _CRASHING_WORKER, json.dumps(spec.to_dict())], timeout=300)
    assert proc.returncode == 3
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    assert len(running) == 1
    host, _, pid = running[0].user_attrs["worker"].rpartition(":")
    assert host == socket.gethostname() and not pid_alive(int(pid))
    run_worker(spec, 0)
    _check_rerun(study, running[0], 3)
