"""No phantom trials: a study's storage holds the trials that started (and re-queued ones), not a WAITING
placeholder per slot, so Optuna's own APIs (load_study(...).trials, trials_dataframe) show what ran. The slot
guarantees stay: exactly n trials, each slot once, slot k's parameters and seed fixed by k alone; a study made
with every slot up front (before slots were lazy) still resumes."""

from __future__ import annotations

import time
from collections import Counter

import optuna
import pytest
from optuna.trial import TrialState

from hpsearch import run, run_worker
from hpsearch.objectives.training import TrialResult
from hpsearch.samplers.planned import plan
from hpsearch.samplers.seeds import train_seed
from hpsearch.storages.opener import open_storage
from hpsearch.study import claim, create_study


def _quick(params, settings, *, seed, on_epoch=None):
    """Four evaluations 0.05 s apart, so a short budget ends with a trial running."""
    for epoch in range(4):
        time.sleep(0.05)
        if on_epoch is not None and on_epoch(epoch, 0.5):
            break
    curves = {"train_acc": [0.5], "val_acc": [0.5], "train_loss": [1.0], "val_loss": [1.0]}
    return TrialResult(0.5, 0.5, False, False, 4, 100, 0.2, curves, [0])


def _fresh(spec) -> optuna.Study:
    """The study as a new user opens it with Optuna alone."""
    return optuna.load_study(study_name=spec.name, storage=open_storage(spec.storage_url, create=False))


def test_a_budget_stopped_study_of_300_slots_holds_only_what_ran(make_spec):
    spec = make_spec("lazy-budget", n_trials=300)
    create_study(spec)
    assert _fresh(spec).trials == []  # creating the study makes no placeholder
    summary = run_worker(spec, objective=_quick, deadline=time.time() + 1.0, blas_threads=None)
    trials = _fresh(spec).trials
    started = [t for t in trials if t.datetime_start is not None]
    waiting = [t for t in trials if t.state == TrialState.WAITING]
    assert summary["out_of_time"] and 1 <= len(started) < 300
    assert len(trials) == len(started) + len(waiting)
    assert len(waiting) <= 1 and all("retry_of" in t.user_attrs for t in waiting)  # the budget-stopped slot
    assert sorted(t.user_attrs["slot"] for t in started) == list(range(len(started)))  # slots in order
    frame = _fresh(spec).trials_dataframe()
    assert len(frame) == len(trials) and (frame["state"] == "WAITING").sum() == len(waiting)


def test_slot_k_gets_its_planned_parameters_and_seed_when_claimed(make_spec):
    spec = make_spec("lazy-plan", n_trials=5, seed=7)
    study = create_study(spec)
    planned = plan(spec.space, spec.sampler, seed=spec.seed, n=spec.n_trials, grid_points=spec.grid_points)
    for k in range(spec.n_trials):
        trial = claim(study, spec.n_trials)
        frozen = study._storage.get_trial(trial._trial_id)
        assert frozen.state == TrialState.RUNNING and frozen.datetime_start is not None
        assert frozen.user_attrs["slot"] == k and frozen.user_attrs["seed"] == train_seed(spec.seed, k)
        assert frozen.system_attrs["fixed_params"] == planned[k]
    assert claim(study, spec.n_trials) is None  # every slot has its trial: nothing more is created
    assert len(study.get_trials(deepcopy=False)) == spec.n_trials


def test_a_requeued_slot_is_claimed_before_a_higher_new_slot(make_spec):
    spec = make_spec("lazy-requeue", n_trials=4)
    study = create_study(spec)
    first, second = claim(study, 4), claim(study, 4)
    study._storage.set_trial_state_values(first._trial_id, state=TrialState.FAIL)
    from hpsearch.study import requeue

    assert requeue(study, study._storage.get_trial(first._trial_id))
    again = claim(study, 4)
    assert study._storage.get_trial(again._trial_id).user_attrs["slot"] == 0  # the re-queued slot 0, not slot 2
    assert study._storage.get_trial(second._trial_id).user_attrs["slot"] == 1
    assert study._storage.get_trial(claim(study, 4)._trial_id).user_attrs["slot"] == 2


@pytest.mark.parametrize("kind", ["journal", pytest.param("postgresql", marks=pytest.mark.postgres),
                                  pytest.param("mysql", marks=pytest.mark.mysql)])
def test_a_study_made_with_every_slot_up_front_still_resumes(kind, make_spec, monkeypatch, storage_of):
    """As every study made before slots were lazy, and every MySQL study before MySQL had a study lock."""
    storage = storage_of(kind)
    spec = make_spec(f"lazy-old-{kind}", n_trials=6, storage=storage)
    with monkeypatch.context() as old:  # the earlier format: every slot a WAITING trial at creation
        old.setattr("hpsearch.study.slots.serialises", lambda storage: False)
        create_study(spec)
    before = _fresh(spec).trials
    assert [t.state for t in before] == [TrialState.WAITING] * 6
    study = run(spec, n_jobs=2, progress=False)
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == 6 and Counter(t.state for t in trials) == Counter({TrialState.COMPLETE: 6})
    assert sorted(t.user_attrs["slot"] for t in trials) == list(range(6))
    assert {t.number: t.params for t in trials} == {
        t.number: {**t.system_attrs["fixed_params"]} for t in before}  # each slot ran its own planned point


def test_the_journal_study_lock_is_the_journals_own_write_lock(make_spec):
    """Lazy slots rest on study_lock being a real lock; on a journal it is the FileLock hpsearch gave Optuna's
    JournalFileBackend (read back from its private ``_lock``): this fails if Optuna renames or drops it."""
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    from hpsearch.storages.locks import FileLock, serialises, study_lock

    spec = make_spec("lazy-lock")
    storage = open_storage(spec.storage_url)
    assert isinstance(storage, JournalStorage) and isinstance(storage._backend, JournalFileBackend)
    lock = storage._backend._lock
    assert isinstance(lock, FileLock)
    assert study_lock(storage, spec.name) is lock and serialises(storage)
    with study_lock(storage, spec.name):  # re-entrant: the holder still appends through it
        create_study(spec)
