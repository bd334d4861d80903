"""One worker's loop (hpsearch.execution.worker): a claimed trial told as COMPLETE, PRUNED or FAIL with what it
recorded, the seed it trains with, a stop request, and the summary run_worker returns."""

from __future__ import annotations

import math

import pytest
from optuna.trial import TrialState

from hpsearch import create_study, run_worker
from hpsearch.execution.stopping import StopToken
from hpsearch.execution.worker import run_trial
from hpsearch.objectives.training import TrialResult
from hpsearch.samplers.seeds import train_seed
from hpsearch.study import claim

CURVES = {"train_acc": [0.2, 0.4], "val_acc": [0.3, 0.5], "train_loss": [2.0, math.inf],
          "val_loss": [1.5, math.nan]}


def _objective(*, stopped=False, diverged=False, seen=None):
    def evaluate(params, settings, *, seed, on_epoch=None):
        if seen is not None:
            seen.append((dict(params), seed))
        for epoch, acc in enumerate(CURVES["val_acc"]):
            if on_epoch is not None:
                on_epoch(epoch, acc)
        return TrialResult(0.5, 0.5, diverged, stopped, 2, 80, 0.01, CURVES, [1, 2])

    return evaluate


def _claimed(make_spec, name, **kw):
    spec = make_spec(name, **kw)
    study = create_study(spec)
    return spec, study, claim(study, spec.n_trials)


def test_a_finished_trial_is_told_with_its_result_curves_and_seed(make_spec):
    seen = []
    spec, study, trial = _claimed(make_spec, "done", n_trials=2, seed=9)
    assert run_trial(study, trial, spec, objective=_objective(seen=seen)) is True
    done = study.trials[trial.number]
    assert done.state == TrialState.COMPLETE and done.value == 0.5
    assert seen[0][1] == train_seed(9, done.user_attrs["slot"])  # the slot's seed, whatever the worker
    assert seen[0][0] == {**done.system_attrs.get("fixed_params", {}), **done.params}
    assert done.intermediate_values == {0: 0.3, 1: 0.5}  # every evaluation reported
    curves = done.user_attrs["curves"]
    assert curves["train_loss"] == [2.0, None] and curves["val_loss"] == [1.5, None]  # non-finite: empty, not NaN
    assert curves["step"] == [1, 2]
    assert done.user_attrs["result"] == {"best_val_acc": 0.5, "diverged": False, "epochs_run": 2, "samples": 80,
                                         "seconds": 0.01}


def test_a_trial_the_pruner_stopped_is_pruned_and_a_diverged_one_is_complete(make_spec):
    spec, study, trial = _claimed(make_spec, "pruned", n_trials=2)
    run_trial(study, trial, spec, objective=_objective(stopped=True))
    assert study.trials[trial.number].state == TrialState.PRUNED
    second = claim(study, spec.n_trials)
    run_trial(study, second, spec, objective=_objective(stopped=True, diverged=True))
    assert study.trials[second.number].state == TrialState.COMPLETE  # divergence is a result, never pruned


def test_a_stop_request_fails_the_trial_and_puts_its_slot_back(make_spec, tmp_path):
    spec, study, trial = _claimed(make_spec, "stopped", n_trials=1)
    stop = StopToken(str(tmp_path / "stop"))
    stop.set()
    assert run_trial(study, trial, spec, objective=_objective(), stop=stop) is False
    trials = study.get_trials(deepcopy=False)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert len(failed) == 1 and failed[0].user_attrs["interrupted"] is True
    waiting = [t for t in trials if t.state == TrialState.WAITING]
    assert [t.user_attrs["slot"] for t in waiting] == [0] and waiting[0].user_attrs["seed"] == trial.user_attrs["seed"]


def test_an_objective_that_raises_fails_its_trial_and_the_error_propagates(make_spec):
    def broken(params, settings, *, seed, on_epoch=None):
        raise RuntimeError("broken objective")

    spec, study, trial = _claimed(make_spec, "raises", n_trials=1)
    with pytest.raises(RuntimeError, match="broken objective"):
        run_trial(study, trial, spec, objective=broken)
    assert study.trials[trial.number].state == TrialState.FAIL


def test_run_worker_runs_every_slot_and_says_what_it_did(make_spec, tmp_path):
    spec = make_spec("loop", n_trials=3)
    create_study(spec)
    summary = run_worker(spec, 4, objective=_objective(), blas_threads=None)
    assert summary["trials"] == 3 and summary["index"] == 4
    assert summary["interrupted"] is False and summary["out_of_time"] is False
    stop_file = tmp_path / "stop"
    stop_file.touch()  # a launcher's stop file: a worker that joins now runs nothing
    spec2 = make_spec("loop2", n_trials=2)
    create_study(spec2)
    stopped = run_worker(spec2, objective=_objective(), blas_threads=None, stop_file=str(stop_file))
    assert stopped["trials"] == 0 and stopped["interrupted"] is True
