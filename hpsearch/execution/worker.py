"""The loop one worker process runs: claim a WAITING slot, train it, tell the result; until the study is done.

A worker joins an existing study (``hpsearch.study.create_study`` made it) through the storage alone, so it
can run in a loky process of :func:`hpsearch.execution.launch.run` or on another machine (``hpsearch worker``). BLAS is
pinned to ``blas_threads`` threads (one by default: parallelism comes from processes). A worker stops when
``n_trials`` trials are finished (COMPLETE or PRUNED); while others still run trials it waits, failing and
re-queuing trials whose worker died (:mod:`hpsearch.execution.stale`).

Stopping (Ctrl-C): the first SIGINT a worker receives, or a *stop file* created by the launching process
(:func:`hpsearch.execution.launch.run` forwards its own Ctrl-C to its loky workers that way), or the death of the
launching process (its loky workers watch it: killed with SIGKILL, it cannot tell them), asks the worker to stop.
The running trial stops at its next epoch, is failed and its slot re-queued at once (same parameters and
seed), so the storage holds exactly one live trial per slot and a re-run resumes without duplicates. A second
SIGINT raises KeyboardInterrupt at once.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from typing import Any

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import TrialState
from threadpoolctl import threadpool_limits

from hpsearch.execution.preflight import check_data
from hpsearch.execution.scheduling import TrialScheduler, another_could_finish, can_start, stored_schedule
from hpsearch.execution.stale import Heartbeat, fail_stale, worker_id
from hpsearch.execution.stopping import Deadline, Interrupted, StopToken, stop_on_sigint
from hpsearch.objectives.registry import get_objective
from hpsearch.objectives.training import TrialResult
from hpsearch.samplers.asha import CostSchedule
from hpsearch.samplers.seeds import sampler_seed, train_seed
from hpsearch.space import suggest
from hpsearch.spec import StudySpec
from hpsearch.study import FINISHED, claim, open_study, requeue

__all__ = ["TrialFunction", "finished_count", "run_trial", "run_worker"]

log = logging.getLogger(__name__)


def finished_count(study: optuna.Study, n_trials: int) -> int:
    """Finished (COMPLETE or PRUNED) trials of slots < n_trials."""
    trials = study.get_trials(deepcopy=False, states=FINISHED)
    return sum(1 for t in trials if t.user_attrs.get("slot", 0) < n_trials)


def _json_list(values: list[float]) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in values]


def _record(trial: optuna.Trial, res: TrialResult, costs: list[float] | None = None) -> None:
    curves: dict[str, Any] = {name: _json_list(values) for name, values in res.curves.items()}
    curves["step"] = list(res.step)
    if costs:  # the seconds spent at each evaluation (the cost-aware pruner's resource)
        curves["seconds"] = [round(c, 3) for c in costs]
    trial.set_user_attr("curves", curves)
    trial.set_user_attr(
        "result",
        {
            "best_val_acc": res.best_val_acc,
            "diverged": res.diverged,
            "epochs_run": res.epochs_run,
            "samples": res.samples,
            "seconds": res.seconds,
        },
    )


TrialFunction = Callable[..., TrialResult]  # evaluate(params, settings, *, seed, on_epoch) -> TrialResult


def _interrupted(study: optuna.Study, trial: optuna.Trial, reason: str) -> None:
    """Fail an interrupted trial and re-queue its slot at once (one live trial per slot, nothing duplicated).
    ``reason``: ``interrupted`` (Ctrl-C) or ``time_budget`` (the launch's wall-clock budget ran out)."""
    try:
        trial.set_user_attr("interrupted", True)
        if reason != "interrupted":
            trial.set_user_attr("stopped_by", reason)
        study.tell(trial, state=TrialState.FAIL)
    except UpdateFinishedTrialError:
        return  # failed as stale by another worker, which re-queued it
    requeue(study, study._storage.get_trial(trial._trial_id))
    log.info("trial %d stopped (%s): failed and re-queued", trial.number, reason)


def run_trial(
    study: optuna.Study,
    trial: optuna.Trial,
    spec: StudySpec,
    *,
    objective: TrialFunction | None = None,
    stop: StopToken | None = None,
    deadline: Deadline | None = None,
    schedule: CostSchedule | None = None,
) -> bool:
    """Run one claimed trial to its end; False when another worker failed it as stale meanwhile, or when
    ``stop`` was set or the ``deadline`` passed during it (it is then failed and re-queued).

    With a ``schedule`` (the ``asha`` pruner) the stop decisions are
    :class:`hpsearch.execution.scheduling.TrialScheduler`'s, on the seconds the trial has spent: wall-clock
    seconds since it started, or the ``cost`` the objective passes to ``on_epoch`` (a simulated objective's)."""
    if objective is None:
        objective = get_objective(spec.objective).evaluate
    deadline = deadline if deadline is not None else Deadline()
    trial_id = trial._trial_id
    attrs = trial.user_attrs
    seed = attrs.get("seed", train_seed(spec.seed, attrs.get("slot", trial.number)))
    prune = spec.pruner != "none"
    started = time.perf_counter()
    scheduler = None
    if schedule is not None:
        n_evals = getattr(spec.settings, "n_evals", spec.settings.epochs)
        scheduler = TrialScheduler(study, trial, schedule, maximize=spec.direction == "maximize",
                                   n_evals=n_evals, deadline=deadline, clock=time.perf_counter)

    def on_epoch(epoch: int, val_acc: float, cost: float | None = None) -> bool:
        if stop is not None and stop.is_set():
            raise Interrupted(f"trial {trial.number} stopped at evaluation {epoch}")
        if deadline.passed():
            raise Interrupted(f"trial {trial.number} out of time at evaluation {epoch}", reason="time_budget")
        # every evaluation's score is an intermediate value, pruner or not: optuna-dashboard and
        # optuna.visualization draw them as learning curves (one storage write each, ~0.4 ms on a journal)
        trial.report(val_acc, epoch)
        if scheduler is not None:
            spent = time.perf_counter() - started if cost is None else float(cost)
            reason = scheduler.check(epoch, val_acc, spent)
            if reason is not None:
                trial.set_user_attr("stopped_by", reason)
            return reason is not None
        return prune and trial.should_prune()

    try:
        # beat before anything else: on a database, a trial that never beat can never be found stale
        with Heartbeat(study, trial_id, spec.heartbeat_interval):
            trial.set_user_attr("worker", worker_id())
            params = suggest(trial, spec.space)
            res = objective(params, spec.settings, seed=seed, on_epoch=on_epoch)
        _record(trial, res, scheduler.costs if scheduler is not None else None)
        pruned = res.stopped and not res.diverged
        if pruned:
            study.tell(trial, state=TrialState.PRUNED)
        else:
            study.tell(trial, res.value)
    except UpdateFinishedTrialError:
        log.warning("trial %d was failed as stale by another worker; its result is dropped", trial.number)
        return False
    except Interrupted as exc:
        _interrupted(study, trial, exc.reason)
        return False
    except BaseException:
        study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
        raise
    return True


def _ended_by_endgame(study: optuna.Study, trial: optuna.Trial) -> bool:
    return study._storage.get_trial(trial._trial_id).user_attrs.get("stopped_by") == "endgame"


def run_worker(
    spec: StudySpec | Mapping[str, Any],
    index: int = 0,
    *,
    blas_threads: int | None = 1,
    poll: float = 0.2,
    objective: TrialFunction | None = None,
    stop_file: str | None = None,
    preflight: bool = True,
    parent: int | None = None,
    deadline: Deadline | float | None = None,
) -> dict[str, Any]:
    """Work on study ``spec.name`` until it holds ``spec.n_trials`` finished trials, or until asked to stop
    (SIGINT in this process, or the file ``stop_file`` exists; see the module docstring).

    ``index`` distinguishes the workers of one launch (distinct sampler seeds); ``blas_threads=None``
    leaves BLAS threading alone; ``objective`` replaces the spec's registered objective (benchmarks of
    the harness); ``preflight=False`` skips :func:`check_data` (the launcher checked the data already);
    ``parent``: the launching process's pid, whose death stops this worker like a stop file;
    ``deadline`` (a :class:`~hpsearch.execution.stopping.Deadline`, or its ``time.time()`` seconds) is the
    wall-clock budget's end: no trial starts after it and a
    running trial stops at its next evaluation (failed and re-queued, so a later run resumes it).
    Returns a summary {worker, index, trials, interrupted, out_of_time}.
    """
    if not isinstance(spec, StudySpec):
        spec = StudySpec.from_dict(spec)
    if objective is None and preflight:
        check_data(spec)
    if not isinstance(deadline, Deadline):
        deadline = Deadline(deadline)
    seed = sampler_seed(spec.seed, index)
    limits = threadpool_limits(limits=blas_threads) if blas_threads else nullcontext()
    stop = StopToken(stop_file, parent)
    ran = 0
    with limits, stop_on_sigint(stop):
        study = open_study(spec, sampler_seed=seed)
        schedule = stored_schedule(study, spec)
        while not stop.is_set() and can_start(schedule, deadline):
            fail_stale(study, grace_period=spec.grace_period)
            trial = claim(study, spec.n_trials)
            if trial is not None:
                ran += run_trial(study, trial, spec, objective=objective, stop=stop, deadline=deadline,
                                 schedule=schedule)
                if _ended_by_endgame(study, trial) and not another_could_finish(study, deadline):
                    break  # not even the fastest configuration seen could finish before the deadline
                continue
            if finished_count(study, spec.n_trials) >= spec.n_trials:
                break
            pending = [
                t
                for t in study.get_trials(deepcopy=False, states=(TrialState.WAITING, TrialState.RUNNING))
                if t.user_attrs.get("slot", 0) < spec.n_trials
            ]
            if not pending:
                log.warning(
                    "study %s: no trial left to run but fewer than %d finished; re-run the spec to re-queue",
                    spec.name,
                    spec.n_trials,
                )
                break
            time.sleep(poll)
    log.info("worker %s (index %d) ran %d trial(s)", worker_id(), index, ran)
    return {"worker": worker_id(), "index": index, "trials": ran, "interrupted": stop.is_set(),
            "out_of_time": deadline.passed() or not can_start(schedule, deadline)}
