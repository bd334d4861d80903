"""PostgreSQL: several worker processes on one study (as from several machines), and Optuna's heartbeat.

A real server is started by the ``postgres_url`` fixture (conftest.py). Under CI these tests never skip.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time

import optuna
import pytest
from optuna.trial import TrialState

from hpsearch import create_study, run_worker
from hpsearch.study import claim, open_study

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_three_worker_processes_share_one_study_without_loss_or_duplicates(make_spec, postgres_url, tmp_path):
    n = 12
    spec = make_spec("pg-multi", storage=postgres_url, sampler="tpe", n_trials=n)
    create_study(spec)
    cmd = [sys.executable, "-m", "hpsearch", "worker", "--storage", postgres_url, "--study", spec.name]
    procs = [
        subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
    ran = [int(re.search(r"ran (\d+) trial", out).group(1)) for out, _ in outputs]
    assert sum(ran) == n, ran

    study = optuna.load_study(study_name=spec.name, storage=postgres_url)
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == n
    assert [t.state for t in trials] == [TrialState.COMPLETE] * n
    assert len({t.number for t in trials}) == n
    assert sorted(t.user_attrs["slot"] for t in trials) == list(range(n))
    assert len({t.user_attrs["seed"] for t in trials}) == n


def test_a_stale_trial_is_detected_by_optunas_heartbeat_and_rerun(make_spec, postgres_url):
    spec = make_spec("pg-stale", storage=postgres_url, n_trials=3, heartbeat_interval=1, grace_period=2)
    create_study(spec)
    crashed_study = open_study(spec, sampler_seed=0)
    trial = claim(crashed_study, spec.n_trials)
    trial.suggest_float("weight_decay", 1e-8, 1e-4, log=True)
    trial.suggest_float("lr", 1e-6, 1e-2, log=True)
    crashed_study._storage.record_heartbeat(trial._trial_id)  # one beat, then the worker "dies"
    time.sleep(3.5)
    run_worker(spec, 1)

    study = optuna.load_study(study_name=spec.name, storage=postgres_url)
    trials = study.get_trials(deepcopy=False)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert [t.number for t in failed] == [trial.number]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert sorted(t.user_attrs["slot"] for t in complete) == [0, 1, 2]
    rerun = [t for t in complete if t.user_attrs.get("retry_of") == trial.number]
    assert len(rerun) == 1 and rerun[0].params == failed[0].params
    assert rerun[0].user_attrs["seed"] == failed[0].user_attrs["seed"]
