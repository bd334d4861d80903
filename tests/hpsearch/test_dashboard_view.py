"""What Optuna's own tools see of a 300-slot study stopped by its time budget after 20 trials.

The storage holds the trials that started and the one re-queued slot, nothing for the 279 slots never
claimed: checked through ``optuna.load_study(...).trials``, ``trials_dataframe()`` and optuna-dashboard's
own server (the JSON its Timeline is drawn from), each reading the journal afresh.
"""

from __future__ import annotations

import json
import time
from wsgiref.util import setup_testing_defaults

import optuna
import optuna_dashboard
from optuna.trial import TrialState

from hpsearch import run_worker
from hpsearch.objectives.training import TrialResult
from hpsearch.storages.opener import open_storage
from hpsearch.study import create_study

QUICK = 20


def _quick_then_slow(params, settings, *, seed, on_epoch=None):
    """The first 20 trials end at once; the 21st evaluates every 0.1 s for 6 s, past the budget."""
    calls = _quick_then_slow.calls = getattr(_quick_then_slow, "calls", 0) + 1
    for epoch in range(1 if calls <= QUICK else 60):
        if calls > QUICK:
            time.sleep(0.1)
        if on_epoch is not None and on_epoch(epoch, 0.5):
            break
    curves = {"train_acc": [0.5], "val_acc": [0.5], "train_loss": [1.0], "val_loss": [1.0]}
    return TrialResult(0.5, 0.5, False, False, 1, 100, 0.01, curves, [0])


def _dashboard_trials(journal: str, study_id: int) -> list[dict]:
    app = optuna_dashboard.wsgi(journal)
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(PATH_INFO=f"/api/studies/{study_id}", REQUEST_METHOD="GET")
    status: list[str] = []
    body = b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
    assert status == ["200 OK"], status
    return json.loads(body)["trials"]


def test_a_budget_stopped_300_slot_study_shows_only_the_trials_that_ran(make_spec):
    spec = make_spec("phantom", n_trials=300)
    create_study(spec)
    _quick_then_slow.calls = 0
    summary = run_worker(spec, objective=_quick_then_slow, deadline=time.time() + 3.0, blas_threads=None)
    assert summary["out_of_time"] and summary["trials"] == QUICK

    study = optuna.load_study(study_name=spec.name, storage=open_storage(spec.storage_url, create=False))
    trials = study.trials
    states = [t.state for t in trials]
    # 20 complete, the 21st stopped by the budget (FAIL) and its slot re-queued once (WAITING): 22, not 301
    assert len(trials) == QUICK + 2, len(trials)
    assert states.count(TrialState.COMPLETE) == QUICK and states.count(TrialState.FAIL) == 1
    retry = [t for t in trials if t.state == TrialState.WAITING]
    assert len(retry) == 1 and retry[0].user_attrs["slot"] == QUICK and "retry_of" in retry[0].user_attrs
    assert sorted({t.user_attrs["slot"] for t in trials}) == list(range(QUICK + 1))
    assert len(study.trials_dataframe()) == len(trials)

    shown = _dashboard_trials(spec.storage_url, study._study_id)
    assert sorted(t["number"] for t in shown) == [t.number for t in trials]
    assert sorted(t["state"] for t in shown) == sorted(["Complete"] * QUICK + ["Fail", "Waiting"])
