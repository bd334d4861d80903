"""run() (hpsearch.execution.launch): worker counts in one convention, the run record it returns and stores,
a dead worker process, and a launch that only creates the study."""

from __future__ import annotations

import os
from concurrent.futures import BrokenExecutor, Future

import pytest
from optuna.trial import TrialState

from hpsearch import run
from hpsearch.execution import launch
from hpsearch.study import state_counts


def _check_exact(study, n):
    finished = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
    assert sorted(t.user_attrs["slot"] for t in finished) == list(range(n))
    counts = state_counts(study)
    assert counts["RUNNING"] == 0 and counts["WAITING"] == 0


def test_run_rejects_a_bad_worker_count(make_spec):
    too_few = -(os.cpu_count() or 1) - 1
    with pytest.raises(ValueError, match=f"n_jobs={too_few} leaves no worker"):
        run(make_spec("bad"), n_jobs=too_few)
    with pytest.raises(ValueError, match="n_jobs=1.5 is invalid"):
        run(make_spec("bad"), n_jobs=1.5)
    assert not make_spec("bad").run_dir.exists()


def test_run_takes_minus_one_as_every_core(make_spec):
    study = run(make_spec("all", n_trials=2), n_jobs=-1, progress=False)
    assert study.run_record["n_workers"] == (os.cpu_count() or 1)
    assert study.user_attrs["runs"][-1] == study.run_record


def test_run_survives_a_dead_worker_process(make_spec, monkeypatch, caplog):
    class DeadPool:  # what loky reports when a worker process was killed
        def submit(self, fn, *args, **kwargs):
            future = Future()
            future.set_exception(BrokenExecutor("a worker process died"))
            return future

    monkeypatch.setattr(launch, "get_reusable_executor", lambda max_workers: DeadPool())
    study = run(make_spec("dead-pool", n_trials=4), n_jobs=3, progress=False)
    _check_exact(study, 4)
    assert "2 worker process(es) died" in caplog.text


def test_the_run_record_is_returned_and_stored_once_per_launch(make_spec):
    spec = make_spec("record", n_trials=2)
    first = run(spec, n_jobs=1, progress=False, time_budget=600)
    rec = first.run_record
    assert rec["n_workers"] == 1 and rec["time_budget"] == 600.0 and rec["out_of_time"] is False
    assert rec["wall_seconds"] > 0 and rec["blas"]["threads_per_worker"] == 1
    again = run(spec, n_jobs=1, progress=False)  # a resumed launch adds its own record
    assert "time_budget" not in again.run_record
    assert again.user_attrs["runs"] == [rec, again.run_record]


def test_n_jobs_zero_only_creates_the_study(make_spec):
    study = run(make_spec("create-only", n_trials=3), n_jobs=0, progress=False)
    assert study.run_record is None and "runs" not in study.user_attrs
    assert len(study.get_trials(deepcopy=False)) == 0  # slots become trials when claimed: none yet
    assert study.user_attrs["spec"]["n_trials"] == 3  # ... and the plan is stored for the workers


def test_a_bad_budget_or_blas_count_writes_nothing(make_spec):
    spec = make_spec("nothing")
    for kwargs, match in (({"time_budget": -1}, "time_budget -1 is invalid"),
                          ({"blas_threads": 0}, "blas_threads=0 is invalid")):
        with pytest.raises(ValueError, match=match):
            run(spec, n_jobs=1, progress=False, **kwargs)
    assert not spec.run_dir.exists()
