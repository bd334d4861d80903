"""The cost-aware pruner ``asha`` (hpsearch.samplers.asha, hpsearch.execution.scheduling) on cheap simulated
objectives whose costs are known: trials are compared at equal spend in seconds, promotions are decided as
results arrive, a trial past the cap stops, and the end-game starts nothing that cannot reach a rung."""

from __future__ import annotations

import dataclasses
import time

import pytest
from optuna.trial import TrialState

from hpsearch import create_study, run_worker
from hpsearch.execution.scheduling import RUNGS_ATTR, SCHEDULE_ATTR, can_start, ensure_schedule
from hpsearch.execution.stopping import Deadline
from hpsearch.execution.worker import run_trial
from hpsearch.objectives.training import TrialResult
from hpsearch.samplers.asha import CostSchedule, crossed_rungs, promotable
from hpsearch.study import claim

N_EVALS = 12


def _simulated(cost_per_eval, score, spent_log=None):
    """An objective whose evaluation e costs ``cost_per_eval(lr)`` seconds and scores ``score(lr, e)``; it
    passes the cost it spent to on_epoch, as a real trainer's wall clock would be measured."""

    def evaluate(params, settings, *, seed, on_epoch=None):
        lr = params["lr"]
        vals, stopped = [], False
        for e in range(N_EVALS):
            vals.append(score(lr, e))
            if spent_log is not None:
                spent_log.append((lr, e))
            if on_epoch is not None and on_epoch(e, vals[-1], cost_per_eval(lr) * (e + 1)):
                stopped = True
                break
        curves = {"train_acc": vals, "val_acc": vals, "train_loss": [1.0] * len(vals), "val_loss": [1.0] * len(vals)}
        return TrialResult(vals[-1], max(vals), False, stopped, len(vals), 10 * len(vals),
                           cost_per_eval(lr) * len(vals), curves, list(range(len(vals))))

    return evaluate


@pytest.fixture
def make_spec(make_spec, tiny_settings):
    """Specs whose trials have N_EVALS evaluations, as the simulated objective's."""
    settings = dataclasses.replace(tiny_settings, epochs=N_EVALS)
    return lambda name, **kw: make_spec(name, settings=settings, **kw)


def _spec(make_spec, name, lrs, **kw):
    configs = [{"params": {"lr": lr}, "source": f"test {i}"} for i, lr in enumerate(lrs)]
    return make_spec(name, n_trials=len(lrs), sampler="tpe", pruner="asha",
                     priors={"configs": configs, "startup_trials": 0}, **kw)


def _study(spec, schedule):
    study = create_study(spec)
    study.set_user_attr(SCHEDULE_ATTR, schedule.to_dict())
    return study


def _run_slot(study, spec, objective, schedule, deadline=None):
    trial = claim(study, spec.n_trials)
    run_trial(study, trial, spec, objective=objective, schedule=schedule, deadline=deadline)
    return study.trials[trial.number]


def test_rungs_and_promotion_rule_by_hand():
    s = CostSchedule(4.0, 3, max_trial_seconds=40.0)
    assert s.rungs == [4.0, 12.0, 36.0]
    assert [crossed_rungs(s, t) for t in (3.9, 4.0, 11.9, 12.0, 36.0, 100.0)] == [0, 1, 1, 2, 3, 3]
    # with fewer than eta values only the best goes on; with n values the top n // eta do (ties go on)
    assert promotable(0.5, [], 3) and promotable(0.5, [0.4, 0.5], 3) and not promotable(0.5, [0.6, 0.1], 3)
    others = [0.9, 0.8, 0.1, 0.2, 0.3]  # n = 6: the top 2 go on
    assert promotable(0.85, others, 3) and not promotable(0.7, others, 3)
    assert promotable(0.15, others, 3, maximize=False) and not promotable(0.25, others, 3, maximize=False)
    assert not promotable(float("nan"), [], 3)


def test_a_slow_bad_configuration_is_stopped_at_equal_spend(make_spec):
    # lr 0.001: 1 s an evaluation, scores 0.60 + 0.01 e; lr 0.01: 10 s an evaluation, scores 0.55 + 0.01 e.
    # Counted in evaluations the slow one would be compared with the fast one's first score (0.60 vs 0.55
    # at evaluation 0, equal footing); counted in seconds it is compared at 4 s, where the fast one stood.
    cost = {0.001: 1.0, 0.01: 10.0}
    schedule = CostSchedule(4.0, 3)
    spec = _spec(make_spec, "equal-spend", [0.001, 0.01])
    study = _study(spec, schedule)
    objective = _simulated(lambda lr: cost[lr], lambda lr, e: (0.60 if lr == 0.001 else 0.55) + 0.01 * e)
    fast = _run_slot(study, spec, objective, schedule)
    slow = _run_slot(study, spec, objective, schedule)
    assert fast.state == TrialState.COMPLETE and len(fast.user_attrs["curves"]["seconds"]) == N_EVALS
    assert fast.user_attrs[RUNGS_ATTR] == {"0": pytest.approx(0.63), "1": pytest.approx(0.71)}  # at 4 s and 12 s
    assert slow.state == TrialState.PRUNED and slow.user_attrs["stopped_by"] == "asha"
    # its first evaluation already spent 10 s: it is stopped there, one evaluation in, not a rung later
    assert slow.user_attrs["curves"]["seconds"] == [10.0]
    assert slow.user_attrs[RUNGS_ATTR] == {"0": pytest.approx(0.55)}


def test_a_slow_good_configuration_goes_on_and_the_cap_stops_it(make_spec):
    cost = {0.001: 1.0, 0.01: 5.0}
    schedule = CostSchedule(4.0, 3, max_trial_seconds=30.0)
    spec = _spec(make_spec, "cap", [0.001, 0.01])
    study = _study(spec, schedule)
    objective = _simulated(lambda lr: cost[lr], lambda lr, e: (0.50 if lr == 0.001 else 0.70) + 0.001 * e)
    assert _run_slot(study, spec, objective, schedule).state == TrialState.COMPLETE  # 12 s in all: under the cap
    slow = _run_slot(study, spec, objective, schedule)
    assert slow.state == TrialState.PRUNED and slow.user_attrs["stopped_by"] == "cap"
    assert slow.user_attrs["curves"]["seconds"][-1] == 30.0  # stopped at the cap, better than everyone
    assert set(slow.user_attrs[RUNGS_ATTR]) == {"0", "1"}  # promoted at 4 s and 12 s (rung 36 s is past the cap)


def test_promotions_are_decided_as_results_arrive(make_spec):
    # three trials, best last: the first is promoted alone at every rung (nobody waits for a rung to fill),
    # the second (worse) is stopped at the first rung it shares, the third (better) is promoted over both
    schedule = CostSchedule(2.0, 3)
    spec = _spec(make_spec, "async", [0.002, 0.001, 0.003])
    study = _study(spec, schedule)
    objective = _simulated(lambda lr: 1.0, lambda lr, e: lr * 100 + 0.001 * e)
    first, second, third = (_run_slot(study, spec, objective, schedule) for _ in range(3))
    assert first.state == TrialState.COMPLETE and set(first.user_attrs[RUNGS_ATTR]) == {"0", "1"}
    assert second.state == TrialState.PRUNED and second.user_attrs["curves"]["seconds"] == [1.0, 2.0]
    assert third.state == TrialState.COMPLETE  # the earlier, worse trial is not stopped after the fact
    assert first.state == study.trials[first.number].state


def test_two_workers_share_rungs_through_the_storage(make_spec, tmp_path):
    schedule = CostSchedule(2.0, 3)
    lrs = [0.005, 0.001, 0.002, 0.004, 0.003, 0.006]
    spec = _spec(make_spec, "shared", lrs)
    study = _study(spec, schedule)
    objective = _simulated(lambda lr: 1.0, lambda lr, e: lr * 100)
    run_worker(spec, 0, objective=objective, blas_threads=None)
    states = {t.params["lr"]: t.state for t in study.trials}
    # 0.005 first (alone: on), 0.001/0.002/0.004/0.003 below it (stopped), 0.006 best (on)
    assert [lr for lr, s in states.items() if s == TrialState.COMPLETE] == [0.005, 0.006]


def test_the_end_game_starts_nothing_that_cannot_reach_its_first_rung(make_spec):
    schedule = CostSchedule(4.0, 3)
    assert can_start(schedule, Deadline(time.time() + 10)) and not can_start(schedule, Deadline(time.time() + 4.9))
    assert can_start(None, Deadline(time.time() + 1)) and can_start(schedule, Deadline())
    spec = _spec(make_spec, "endgame-start", [0.001, 0.002])
    study = _study(spec, schedule)
    seen = []
    out = run_worker(spec, 0, objective=_simulated(lambda lr: 1.0, lambda lr, e: 0.5, seen),
                     blas_threads=None, deadline=time.time() + 3.0)
    assert out["trials"] == 0 and seen == [] and out["out_of_time"]
    assert study.trials == []  # no slot was claimed


def test_a_trial_that_cannot_finish_before_the_deadline_stops_and_its_worker_starts_nothing(make_spec):
    schedule = CostSchedule(4.0, 3)
    spec = _spec(make_spec, "endgame-finish", [0.001, 0.002])
    study = _study(spec, schedule)
    seen = []
    # 10 s an evaluation, 12 evaluations: 120 s, but only 60 s are left
    out = run_worker(spec, 0, objective=_simulated(lambda lr: 10.0, lambda lr, e: 0.5, seen),
                     blas_threads=None, deadline=time.time() + 60.0)
    first = study.trials[0]
    assert first.state == TrialState.PRUNED and first.user_attrs["stopped_by"] == "endgame"
    assert seen == [(0.001, 0)] and out["trials"] == 1  # stopped at its first evaluation; slot 1 never started
    assert len(study.trials) == 1  # slot 1 has no trial: never claimed


@pytest.mark.parametrize(("fast_cost", "tried"), [
    (1.0, [0.001, 0.002, 0.003]),  # the finished trial took 12 s, 60 s are left: another configuration is tried
    (5.2, [0.001, 0.002]),         # it took 62.4 s: not even a configuration that fast could finish
])
def test_after_an_end_game_stop_a_worker_tries_again_only_if_its_fastest_finished_trial_would_fit(
        make_spec, fast_cost, tried):
    schedule = CostSchedule(4.0, 3)
    spec = _spec(make_spec, f"endgame-again-{fast_cost:g}", [0.001, 0.002, 0.003])
    study = _study(spec, schedule)
    # lr 0.002 is slow (10 s an evaluation: 120 s of 60 left); the others cost fast_cost an evaluation
    objective = _simulated(lambda lr: 10.0 if lr == 0.002 else fast_cost, lambda lr, e: 0.5)
    run_worker(spec, 0, objective=objective, blas_threads=None, deadline=time.time() + 60.0)
    assert [t.params["lr"] for t in study.trials] == tried
    assert [t.user_attrs.get("stopped_by") for t in study.trials] == [None, "endgame", None][:len(tried)]
    assert study.trials[-1].state == (TrialState.COMPLETE if len(tried) == 3 else TrialState.PRUNED)


def test_the_first_launch_stores_the_schedule_for_every_worker(make_spec):
    spec = make_spec("stored", pruner="asha")
    study = create_study(spec)
    first = ensure_schedule(study, spec, 3600.0, 2)
    assert first == CostSchedule.for_budget(3600.0, 2) and first.min_resource == 36.0
    assert first.max_trial_seconds == 1800.0
    assert ensure_schedule(study, spec, 60.0, 1) == first  # a later launch keeps the study's rungs
    assert study.user_attrs[SCHEDULE_ATTR]["rungs"] == [36.0, 108.0, 324.0, 972.0]
    assert ensure_schedule(study, make_spec("other", pruner="hyperband"), 60.0, 1) is None


def test_bad_schedules_are_refused_in_one_line():
    for kw in ({"min_resource": 0}, {"min_resource": 1.0, "reduction_factor": 1},
               {"min_resource": 10.0, "max_trial_seconds": 5.0}):
        with pytest.raises(ValueError, match=r"^schedule: .*\n?$") as info:
            CostSchedule(**kw)
        assert "\n" not in str(info.value)
