"""Studies end to end on the journal file: samplers, pruners, divergence, resume, parallel determinism."""

from __future__ import annotations

import math

import optuna
import pytest
from optuna.trial import TrialState

from hpsearch import ObjectiveSettings, ParamSpec, SearchSpace, create_study, run, wide_space
from hpsearch.execution.progress import snapshot
from hpsearch.objectives.registry import Objective, register
from hpsearch.study import state_counts


def _finished(study):
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))


def _check_exact(study, n):
    finished = _finished(study)
    assert len(finished) == n
    assert sorted(t.user_attrs["slot"] for t in finished) == list(range(n))
    counts = state_counts(study)
    assert counts["RUNNING"] == 0 and counts["WAITING"] == 0


@pytest.mark.parametrize("sampler", ["random", "tpe", "cmaes", "qmc", "grid"])
def test_each_sampler_runs_a_tiny_study(make_spec, sampler):
    spec = make_spec(f"s-{sampler}", space=wide_space(), sampler=sampler, n_trials=6, grid_points=2)
    study = run(spec, n_jobs=1, progress=False)
    _check_exact(study, 6)
    for t in _finished(study):
        assert math.isfinite(t.value)
        curves = t.user_attrs["curves"]
        assert len(curves["val_acc"]) == len(curves["train_acc"]) == t.user_attrs["result"]["epochs_run"]
        assert set(t.params) == set(spec.space.active(t.params))


@pytest.mark.parametrize("pruner", ["none", "median", "sha", "hyperband"])
def test_each_pruner_runs_a_tiny_study(make_spec, tiny_settings, pruner):
    settings = tiny_settings.__class__(**{**tiny_settings.to_dict(), "epochs": 6})
    spec = make_spec(f"p-{pruner}", settings=settings, pruner=pruner, n_trials=10)
    study = run(spec, n_jobs=1, progress=False)
    _check_exact(study, 10)
    pruned = study.get_trials(deepcopy=False, states=(TrialState.PRUNED,))
    for t in pruned:
        assert t.user_attrs["result"]["epochs_run"] < settings.epochs
        assert len(t.user_attrs["curves"]["val_acc"]) == t.user_attrs["result"]["epochs_run"]
    if pruner == "none":
        assert not pruned
    if pruner == "sha":  # deterministic here (one worker, planned params): SHA prunes at its first rung
        assert pruned


@pytest.mark.parametrize("sampler", ["random", "tpe"])
def test_diverged_trials_are_complete_with_a_finite_value(make_spec, sampler):
    # lr * weight_decay >> 2: the weights grow geometrically until the loss overflows
    space = SearchSpace((ParamSpec("lr", low=10.0, high=100.0, log=True), ParamSpec("weight_decay", fixed=1e3)))
    study = run(make_spec(f"div-{sampler}", space=space, sampler=sampler, n_trials=4), n_jobs=1, progress=False)
    trials = study.get_trials(deepcopy=False)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    for t in trials:
        assert t.user_attrs["result"]["diverged"] is True
        assert math.isfinite(t.value) and t.value == t.user_attrs["curves"]["val_acc"][-1]


def test_rerunning_a_spec_resumes_up_to_n_trials(make_spec):
    spec = make_spec("resume", n_trials=3)
    first = {t.number: t.value for t in run(spec, n_jobs=1, progress=False).trials}
    study = run(spec.replace(n_trials=5), n_jobs=1, progress=False)
    _check_exact(study, 5)
    assert {t.number: t.value for t in study.trials if t.number in first} == first
    again = run(spec.replace(n_trials=5), n_jobs=1, progress=False)
    assert len(again.trials) == 5


def test_resuming_with_another_spec_is_refused(make_spec):
    spec = make_spec("clash", n_trials=2)
    create_study(spec)
    with pytest.raises(ValueError, match="another 'seed'"):
        create_study(spec.replace(seed=9))


def test_progress_snapshot_counts_finished_trials_and_the_best_value(make_spec):
    spec = make_spec("snap", n_trials=4)
    study = create_study(spec)
    assert snapshot(study, 4).finished == 0 and snapshot(study, 4).best is None
    study = run(spec, n_jobs=1, progress=True)
    snap = snapshot(study, 4)
    assert snap.finished == 4 and snap.running == 0
    assert snap.best == max(t.value for t in study.trials)


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["random", "qmc", "grid"])
def test_trial_k_is_identical_with_one_or_two_workers(make_spec, sampler):
    results = []
    for n_jobs in (1, 2):
        spec = make_spec(f"par-{sampler}-{n_jobs}", sampler=sampler, n_trials=6, grid_points=3, seed=5)
        study = run(spec, n_jobs=n_jobs, progress=False)
        _check_exact(study, 6)
        by_slot = {
            t.user_attrs["slot"]: (t.params, t.value, t.user_attrs["seed"], t.user_attrs["curves"])
            for t in _finished(study)
        }
        results.append(by_slot)
    assert results[0] == results[1]


@pytest.mark.slow
def test_two_workers_share_the_study_and_use_distinct_sampler_seeds(make_spec):
    spec = make_spec("par-tpe", sampler="tpe", n_trials=8)
    study = run(spec, n_jobs=2, progress=False)
    _check_exact(study, 8)
    params = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(set(params)) == len(params)


def _crash(params, settings, *, seed, on_epoch=None):
    raise RuntimeError("the objective crashed")


register(Objective("test-crash", ObjectiveSettings, _crash, ("lr", "weight_decay")))


def test_a_crashing_objective_fails_its_trial_and_is_requeued_on_rerun(make_spec):
    spec = make_spec("crash", objective="test-crash", n_trials=2)
    with pytest.raises(RuntimeError, match="the objective crashed"):
        run(spec, n_jobs=1, progress=False)
    study = optuna.load_study(study_name="crash", storage=create_study(spec)._storage)
    failed = study.get_trials(deepcopy=False, states=(TrialState.FAIL,))
    assert len(failed) == 1
    waiting = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
    # slot 0's retry waits (same seed, retry_of the failed trial); slot 1 was never claimed: no trial
    assert [t.user_attrs["slot"] for t in waiting] == [0] and waiting[0].user_attrs["retry_of"] == failed[0].number
    assert waiting[0].user_attrs["seed"] == failed[0].user_attrs["seed"]
    assert len(study.get_trials(deepcopy=False)) == 2
