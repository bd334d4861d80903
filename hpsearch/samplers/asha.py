"""Cost-aware asynchronous successive halving: the rungs and the promotion rule, as plain numbers.

Successive halving (Jamieson & Talwalkar 2016) compares trials at rungs of growing resource and keeps the top
``1/eta`` of each; ASHA (Li et al., "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020) makes
it asynchronous: a trial that reaches a rung is compared at once with every trial that reached that rung
before it, and goes on if it is in their top ``1/eta``; nobody waits for a rung to fill. This is the stopping
form Optuna's ``SuccessiveHalvingPruner`` uses too (a trial not promoted stops for good, and while a rung holds
fewer than ``eta`` values only the best so far goes on).

What differs from Optuna's pruner is the resource: here it is the **cost actually spent**, in seconds of the
trial's own training (measured by its worker at each evaluation), not the number of evaluations. Rung ``k``
is at ``min_resource * eta**k`` seconds; a trial's value at a rung is its score at its first evaluation at or
past that many seconds. A slow configuration (a wide net, subnormal floats) is therefore judged at the same
spend as a fast one, and ``max_trial_seconds`` caps what any one trial may take. The decisions that need the
storage (recording rung values, reading the others') are :mod:`hpsearch.execution.scheduling`'s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["CostSchedule", "crossed_rungs", "promotable"]

MAX_RUNGS = 8


@dataclass(frozen=True)
class CostSchedule:
    """Rungs at ``min_resource * reduction_factor**k`` seconds, ``k < MAX_RUNGS``, below ``max_trial_seconds``.

    ``max_trial_seconds`` (None: no cap) stops a trial that has spent that much, whatever its rank.
    ``endgame``: near a deadline no trial starts that cannot reach its first rung, and a trial whose pace says
    it cannot finish before the deadline stops at once (see :mod:`hpsearch.execution.scheduling`).
    """

    min_resource: float
    reduction_factor: int = 3
    max_trial_seconds: float | None = None
    endgame: bool = True

    def __post_init__(self) -> None:
        if not (isinstance(self.min_resource, int | float) and math.isfinite(self.min_resource)
                and self.min_resource > 0):
            raise ValueError(f"schedule: min_resource={self.min_resource!r} must be seconds > 0, e.g. 30")
        if isinstance(self.reduction_factor, bool) or not isinstance(self.reduction_factor, int) \
                or self.reduction_factor < 2:
            raise ValueError(f"schedule: reduction_factor={self.reduction_factor!r} must be an integer >= 2, e.g. 3")
        cap = self.max_trial_seconds
        if cap is not None and not (isinstance(cap, int | float) and cap >= self.min_resource):
            raise ValueError(
                f"schedule: max_trial_seconds={cap!r} must be None or seconds >= min_resource={self.min_resource}"
            )

    @property
    def rungs(self) -> list[float]:
        out = []
        for k in range(MAX_RUNGS):
            r = float(self.min_resource) * self.reduction_factor**k
            if self.max_trial_seconds is not None and r > self.max_trial_seconds:
                break
            out.append(r)
        return out

    @classmethod
    def for_budget(cls, time_budget: float | None, n_workers: int, *, reduction_factor: int = 3) -> CostSchedule:
        """The default schedule for a budget: the first rung at 1/200 of the budget's worker-seconds (5 s to
        2 min: an hour on 2 workers gives 36 s, about one epoch of a small conv net on Fashion-MNIST), and no
        trial above half the budget (so one configuration can hold at most half of one worker's time).
        Without a budget: a first rung of 30 s and no cap."""
        if time_budget is None:
            return cls(30.0, reduction_factor)
        first = min(max(time_budget * max(n_workers, 1) / 200.0, 5.0), 120.0)
        return cls(first, reduction_factor, max_trial_seconds=max(0.5 * time_budget, first))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pruner": "asha-cost", "resource": "seconds", "rungs": self.rungs}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CostSchedule:
        return cls(float(d["min_resource"]), int(d.get("reduction_factor", 3)), d.get("max_trial_seconds"),
                   bool(d.get("endgame", True)))


def crossed_rungs(schedule: CostSchedule, spent: float) -> int:
    """How many rungs ``spent`` seconds have reached."""
    return sum(1 for r in schedule.rungs if spent >= r)


def promotable(value: float, others: Sequence[float], eta: int, *, maximize: bool = True) -> bool:
    """Whether ``value`` goes on from a rung where ``others`` (the values of every other trial that reached
    it) were recorded: it must rank within the top ``max(1, n // eta)`` of the ``n = len(others) + 1`` values
    (ties go its way). A NaN never goes on."""
    if math.isnan(value):
        return False
    clean = [v for v in others if not math.isnan(v)]
    keep = max(1, (len(clean) + 1) // eta)
    better = sum(1 for v in clean if (v > value if maximize else v < value))
    return better < keep
