"""The cost-aware pruner ``asha`` at work: rung values in the storage, stop decisions, and the budget's end-game.

The rungs and the promotion rule are :mod:`hpsearch.samplers.asha`'s; this module applies them to running
trials. A study whose spec says ``pruner="asha"`` carries its :class:`CostSchedule` in the user attribute
``schedule``, set once by the first launch (from its time budget and worker count) so that every worker,
on any machine, compares trials at the same rungs.

At each evaluation a worker tells :class:`TrialScheduler` the score and the seconds the trial has spent.
When the spend crosses a rung, the score is recorded in the trial's user attribute ``asha_rungs``
({rung: score}) and compared with every other trial's score at that rung, finished or still running:
not in the top ``1/eta``, the trial stops (``stopped_by="asha"``). A trial that has spent
``max_trial_seconds`` stops too (``"cap"``).

The end-game, when the launch has a deadline: a worker starts no trial that cannot reach its first rung
before the deadline (:func:`can_start`), and a running trial whose pace so far says it cannot end before the
deadline stops at once (``"endgame"``) instead of being cut off there. Its worker then tries another
configuration only while a trial as fast as the study's fastest finished one could still finish
(:func:`another_could_finish`; each such try costs one evaluation if the new configuration is slow too),
else it starts nothing more, so the budget's last part goes to the trials that can still finish. Trials the
end-game or the pruner stop are PRUNED, with their curves and the reason recorded.
"""

from __future__ import annotations

from collections.abc import Callable

import optuna

from hpsearch.execution.stopping import Deadline
from hpsearch.samplers.asha import CostSchedule, crossed_rungs, promotable
from hpsearch.spec import StudySpec
from hpsearch.storages.locks import study_lock

__all__ = ["RUNGS_ATTR", "SCHEDULE_ATTR", "TrialScheduler", "another_could_finish", "can_start", "ensure_schedule",
           "stored_schedule"]

SCHEDULE_ATTR = "schedule"
RUNGS_ATTR = "asha_rungs"
START_MARGIN = 1.25  # a new trial needs this many times the first rung's seconds before the deadline


def ensure_schedule(study: optuna.Study, spec: StudySpec, time_budget: float | None,
                    n_workers: int) -> CostSchedule | None:
    """The study's schedule (None unless its pruner is ``asha``); the first launch sets it from its budget."""
    if spec.pruner != "asha":
        return None
    with study_lock(study._storage, study.study_name):
        stored = study.user_attrs.get(SCHEDULE_ATTR)
        if stored is not None:
            return CostSchedule.from_dict(stored)
        schedule = CostSchedule.for_budget(time_budget, n_workers)
        study.set_user_attr(SCHEDULE_ATTR, schedule.to_dict())
    return schedule


def stored_schedule(study: optuna.Study, spec: StudySpec) -> CostSchedule | None:
    """The schedule a worker follows: the stored one, else the no-budget default (a worker started alone)."""
    if spec.pruner != "asha":
        return None
    stored = study.user_attrs.get(SCHEDULE_ATTR)
    return CostSchedule.from_dict(stored) if stored is not None else CostSchedule.for_budget(None, 1)


def can_start(schedule: CostSchedule | None, deadline: Deadline) -> bool:
    """Whether a new trial may start: without an end-game always; else only if it can reach its first rung."""
    if schedule is None or not schedule.endgame:
        return not deadline.passed()
    return deadline.remaining() >= START_MARGIN * schedule.min_resource


def another_could_finish(study: optuna.Study, deadline: Deadline) -> bool:
    """After an end-game stop: whether the time left would let a trial as fast as the study's fastest
    COMPLETE one finish (no complete trial: no evidence that any could)."""
    seconds = [
        float(t.user_attrs["result"]["seconds"])
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if (t.user_attrs.get("result") or {}).get("seconds")
    ]
    return bool(seconds) and deadline.at is not None and deadline.remaining() >= min(seconds)


class TrialScheduler:
    """The stop decisions for one running trial of ``n_evals`` evaluations (see the module docstring)."""

    def __init__(self, study: optuna.Study, trial: optuna.Trial, schedule: CostSchedule, *, maximize: bool,
                 n_evals: int, deadline: Deadline, clock: Callable[[], float]) -> None:
        self.study, self.trial, self.schedule = study, trial, schedule
        self.maximize, self.n_evals, self.deadline, self.clock = maximize, n_evals, deadline, clock
        self.rungs: dict[str, float] = {}
        self.costs: list[float] = []

    def check(self, evaluation: int, value: float, spent: float) -> str | None:
        """The reason to stop after ``evaluation`` (0-based) scored ``value`` at ``spent`` seconds, or None."""
        self.costs.append(float(spent))
        reached = crossed_rungs(self.schedule, spent)
        for k in range(len(self.rungs), reached):
            self.rungs[str(k)] = float(value)
            self.trial.set_user_attr(RUNGS_ATTR, dict(self.rungs))
            if not promotable(value, self._others(k), self.schedule.reduction_factor, maximize=self.maximize):
                return "asha"
        cap = self.schedule.max_trial_seconds
        if cap is not None and spent >= cap and evaluation + 1 < self.n_evals:
            return "cap"
        if self.schedule.endgame and self._cannot_finish(evaluation, spent):
            return "endgame"
        return None

    def _others(self, k: int) -> list[float]:
        key = str(k)
        return [
            float(t.user_attrs[RUNGS_ATTR][key])
            for t in self.study.get_trials(deepcopy=False)
            if t.number != self.trial.number and key in t.user_attrs.get(RUNGS_ATTR, {})
        ]

    def _cannot_finish(self, evaluation: int, spent: float) -> bool:
        left = self.n_evals - evaluation - 1
        if self.deadline.at is None or left <= 0:
            return False
        pace = spent / (evaluation + 1)
        return pace * left > self.deadline.remaining()
