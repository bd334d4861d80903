"""How long a study will take on this machine, measured before it starts.

:func:`time_trial` trains a few of the study's own trials for a few evaluations each (the objective's
``on_epoch`` hook stops them), on one BLAS thread as a worker would: a first probe of one evaluation loads
the data and warms the caches and is not counted (unless it took over ``SLOW_PROBE`` seconds, a real-size
net: then it is the only probe, an estimate high by the loading); the next ones give the seconds per
evaluation, and a full trial is that times the study's evaluations per trial (an objective that never
calls ``on_epoch`` runs its probes whole, and they are taken as they are). :func:`estimate` turns it into
the wall time of the trials still to run on ``n_workers`` worker processes (rounds of ``n_workers`` trials
side by side, plus a worker start-up), an upper bound when a pruner may stop trials early and never more
than a time budget. It is a planning figure for the person at the keyboard (printed by the scripts and the
CLI before a long run), not a measurement: a trial's cost also depends on its parameters (the architecture
of a conv net), which a few probes only sample.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from threadpoolctl import threadpool_limits

from hpsearch.objectives.registry import get_objective
from hpsearch.samplers.planned import plan
from hpsearch.space import suggest
from hpsearch.spec import StudySpec

__all__ = ["Estimate", "duration", "estimate", "estimate_run", "scaled", "time_trial"]

PROBES = 3  # the first only warms up (data loading, caches); the others are timed
PROBE_EVALS = 5  # evaluations per timed probe
STARTUP_SECONDS = 3.0  # starting the worker processes, opening the storage in each, the export at the end
SLOW_PROBE = 10.0  # a warm-up probe slower than this is the only one (a real-size net: seconds per epoch)


@dataclass(frozen=True)
class Estimate:
    """The expected wall time of the trials still to run. ``upper`` when trials may stop early (a pruner)."""

    seconds: float
    per_trial: float
    trials: int  # per study
    n_workers: int
    upper: bool = False
    budget: float | None = None
    studies: int = 1
    extra: int = 0  # trainings after the studies, one after the other (a final pick's retraining)

    @property
    def capped(self) -> bool:
        """Whether the time budget, not the trials, bounds the run."""
        return self.budget is not None and self.budget < self.seconds

    def line(self, what: str = "this run") -> str:
        """``what`` takes about 4 min on this machine (...)."""
        if self.trials == 0:
            return f"{what}: every trial has finished already; nothing to train"
        seconds = self.budget if self.capped else self.seconds
        bound = "at most" if self.upper or self.capped else "about"
        trials = _count(self.trials, "trial")
        if self.studies > 1:
            trials = f"{self.studies} studies of {trials}"
        basis = f"{trials} of ~{duration(self.per_trial)} each on {_count(self.n_workers, 'worker')}"
        if self.extra:
            basis += f", then {_count(self.extra, 'retraining')}"
        basis += ", timed on this machine"
        if self.capped:
            basis += "; the time budget ends it first"
        elif self.upper:
            basis += "; a pruner stops some early"
        return f"{what} takes {bound} {duration(seconds)} ({basis})"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def duration(seconds: float) -> str:
    """A rounded duration a person reads at a glance: 0.4 s, 40 s, 3 min, 1 h 20 min."""
    if seconds < 9.95:
        return f"{max(seconds, 0.1):.1f} s"
    if seconds < 59.5:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def _probe_params(spec: StudySpec, n: int) -> list[dict]:
    """``n`` parameter sets of the study's space (its random plan: the spread a search visits)."""
    import optuna

    points = plan(spec.space, "random", seed=spec.seed, n=n)
    return [suggest(optuna.trial.FixedTrial(p), spec.space) for p in points]


def _timed(evaluate: Callable, params: dict, spec: StudySpec, evals: int) -> tuple[float, int]:
    """Seconds of one trial of ``params`` stopped after ``evals`` evaluations, and the evaluations it ran
    (0 when the objective never calls ``on_epoch``: it then ran a whole trial)."""
    calls = 0

    def stop(epoch: int, value: float, cost: float | None = None) -> bool:
        nonlocal calls
        calls += 1
        return calls >= evals

    t0 = time.perf_counter()
    evaluate(params, spec.settings, seed=0, on_epoch=stop)
    return time.perf_counter() - t0, calls


def _full(seconds: float, calls: int, n_evals: int) -> float:
    """A whole trial's seconds from a probe: scaled by evaluations, or as it is when it ran whole."""
    return seconds if calls == 0 else seconds / min(calls, n_evals) * n_evals


def time_trial(spec: StudySpec, *, probes: int = PROBES, evals: int = PROBE_EVALS) -> float:
    """Seconds one full trial of ``spec`` takes on one worker (see the module docstring)."""
    evaluate = get_objective(spec.objective).evaluate
    n_evals = _evals(spec)
    evals = max(1, min(evals, n_evals))
    points = _probe_params(spec, probes)
    with threadpool_limits(limits=1):
        first = _timed(evaluate, points[0], spec, 1)  # loads the data: not a trial's cost
        if first[0] > SLOW_PROBE or len(points) == 1:  # a real-size net: one evaluation is all it can afford
            return _full(*first, n_evals)
        timed = [_full(*_timed(evaluate, p, spec, evals), n_evals) for p in points[1:]]
    return sum(timed) / len(timed)


def estimate(spec: StudySpec, n_workers: int, *, remaining: int | None = None, per_trial: float | None = None,
             time_budget: float | None = None, studies: int = 1, extra: int = 0) -> Estimate:
    """The wall time of ``remaining`` trials (default: all ``spec.n_trials``) of ``spec`` on ``n_workers``;
    ``studies`` such studies one after the other (rounds of a narrowing), then ``extra`` trainings of the same
    cost one after the other (a final pick's retraining). ``per_trial`` defaults to :func:`time_trial`'s."""
    trials = spec.n_trials if remaining is None else max(0, remaining)
    if trials == 0 and extra == 0:
        return Estimate(0.0, 0.0, 0, n_workers, budget=time_budget)
    per_trial = time_trial(spec) if per_trial is None else per_trial
    workers = max(1, n_workers)
    one = STARTUP_SECONDS + math.ceil(trials / min(workers, max(trials, 1))) * per_trial
    seconds = studies * one + extra * per_trial
    return Estimate(seconds, per_trial, trials, workers, upper=spec.pruner != "none", budget=time_budget,
                    studies=studies, extra=extra)


def scaled(spec: StudySpec, per_trial: float, to: StudySpec) -> float:
    """A trial of ``to`` from the measured ``per_trial`` of ``spec``: the same net, another number of
    evaluations (a --quick budget)."""
    return per_trial * _evals(to) / _evals(spec)


def _evals(spec: StudySpec) -> int:
    return getattr(spec.settings, "n_evals", spec.settings.epochs)


def _remaining(spec: StudySpec) -> int:
    """Slots of ``spec`` not finished yet (all of them for a study that does not exist)."""
    import optuna

    from hpsearch.errors import MissingStorage
    from hpsearch.execution.worker import finished_count
    from hpsearch.storages.opener import open_storage

    try:
        storage = open_storage(spec.storage_url, create=False)
        study = optuna.load_study(study_name=spec.name, storage=storage)
    except (KeyError, MissingStorage, FileNotFoundError):  # no storage or no such study yet: every slot is to run
        return spec.n_trials  # (a storage that cannot be used raises its one-line StorageError before anything)
    return spec.n_trials - finished_count(study, spec.n_trials)


def estimate_run(spec: StudySpec, n_jobs: int | None, *, time_budget: float | None = None) -> Estimate:
    """:func:`estimate` for a launch of ``spec`` as :func:`hpsearch.execution.launch.run` reads ``n_jobs``
    (None or -1: every core), counting only the trials a resumed study still has to run."""
    from hpsearch.execution.preflight import worker_count

    remaining = _remaining(spec)
    if remaining == 0:
        return Estimate(0.0, 0.0, 0, worker_count(n_jobs), budget=time_budget)
    return estimate(spec, worker_count(n_jobs), remaining=remaining, time_budget=time_budget)
