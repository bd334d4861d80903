"""The replays of two search procedures that are more than a sampler and an Optuna pruner.

``one-epoch-top-k`` (:func:`screening_rows`): the practitioner's baseline "train each configuration for one
epoch, keep the best": successive halving with a single rung at one epoch (Jamieson & Talwalkar, "Non-stochastic
Best Arm Identification and Hyperparameter Optimization", AISTATS 2016). A share ``screen_fraction`` of the
epoch budget trains the run's random configurations (the same planned draws random search takes) for one
epoch each; the best ``k`` by their one-epoch score, with ``k`` what the rest of the budget affords, are then
trained on to full length in the order of their rank. A configuration kept for the second phase shows twice:
``PAUSED`` at its first epoch, then ``COMPLETE`` with the epochs it ran on; the others are ``PRUNED``.

``hpsearch-default`` (:class:`WarmStart`, used by :mod:`hpsearch.benchmark.replay`): what
``studies/fashion_mnist.py`` runs. The task's prior configurations come first (each moved into the task's
box: a numeric value outside it to its edge, a categorical value not among its choices left to the sampler),
then a random start-up of :func:`hpsearch.samplers.priors.startup_for_budget` trials, then TPE. Trials are
stopped by the cost-aware ASHA of :mod:`hpsearch.samplers.asha` (its :class:`CostSchedule`, rungs in seconds)
through the live workers' own :class:`hpsearch.execution.scheduling.TrialScheduler`, on a simulated clock: a
trial's seconds at each evaluation are the table's stored ones. A replay's budget is counted in epochs, so
its seconds budget, from which the schedule and the start-up are scaled as a live launch scales them from
``--time-budget``, is the budget's trials times the table's mean seconds of a full trial on one worker. The
replay is sequential: a trial meets at each rung every earlier trial that reached it (a live worker also
meets the running ones), and the deadline's end-game is not simulated (a replay ends at its epoch budget,
not at a time).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpsearch.benchmark.methods import Method
from hpsearch.benchmark.table import Table
from hpsearch.benchmark.tasks import Task
from hpsearch.samplers.asha import CostSchedule
from hpsearch.samplers.planned import plan
from hpsearch.samplers.priors import check_priors, prior_slots, startup_for_budget
from hpsearch.space import SearchSpace

__all__ = ["WarmStart", "into_space", "screening_plan", "screening_rows"]

Row = Callable[..., dict[str, Any]]  # replay's row builder: (params, hit, done=, pruned=, ...) -> row


def into_space(params: Mapping[str, Any], space: SearchSpace) -> dict[str, Any]:
    """A prior configuration moved into ``space``: fixed and unknown parameters dropped, numeric values clipped
    to the box, categorical values not among the choices dropped (the sampler then draws them)."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name not in space or space[name].is_fixed:
            continue
        p = space[name]
        if p.kind == "categorical":
            if value in p.choices:
                out[name] = value
            continue
        clipped = min(max(value, p.low), p.high)
        out[name] = int(round(clipped)) if p.kind == "int" else float(clipped)
    return out


@dataclass(frozen=True)
class WarmStart:
    """The first slots of a warm-started replay and the cost schedule it runs under (module docstring)."""

    slots: list[dict[str, Any]]
    startup: int
    schedule: CostSchedule
    seconds_budget: float

    @staticmethod
    def seconds_for(table: Table, budget: int) -> float:
        """The seconds budget of ``budget`` trials: that many times the table's mean full-trial seconds."""
        return float(np.nanmean(table.seconds)) * budget

    @classmethod
    def schedule_for(cls, table: Table, budget: int) -> CostSchedule:
        """The cost schedule a launch of that seconds budget on one worker sets (first rung 1/200 of it...)."""
        return CostSchedule.for_budget(cls.seconds_for(table, budget), 1)

    @classmethod
    def for_run(cls, table: Table, task: Task, seed: int, budget: int) -> WarmStart:
        seconds = cls.seconds_for(table, budget)
        schedule = cls.schedule_for(table, budget)
        startup = startup_for_budget(seconds, 1, schedule.min_resource)
        configs = [{"params": into_space(c["params"], task.space), "source": c.get("source", "task")}
                   for c in task.priors]
        priors = check_priors({"configs": configs, "box": None, "startup_trials": startup}, task.space)
        return cls(prior_slots(priors, task.space, seed=seed), len(configs) + startup, schedule, seconds)


def screening_plan(budget: int, evals: int, per_epoch: int, fraction: float) -> tuple[int, int]:
    """(configurations screened for one epoch, k continued to full length) for ``budget`` trials of ``evals``
    evaluations, ``per_epoch`` evaluations an epoch, ``fraction`` of the evaluations spent screening."""
    total = budget * evals
    rest = evals - per_epoch
    if rest <= 0:  # a one-epoch trial: screening is the whole trial
        return budget, 0
    n = max(1, int(total * fraction) // per_epoch)
    k = max(1, (total - n * per_epoch) // rest)
    return n, min(k, n)


def screening_rows(table: Table, task: Task, method: Method, seed: int, budget: int, *,
                   look_up: Callable[..., dict[str, Any]], row: Row) -> list[dict[str, Any]]:
    """The one-epoch-top-k replay (module docstring): the screening rows in order, then the continued ones."""
    evals = getattr(task.settings, "n_evals", task.settings.epochs)
    per = task.evals_per_epoch
    n, k = screening_plan(budget, evals, per, method.screen_fraction)
    rows: list[dict[str, Any]] = []
    hits: list[dict[str, Any]] = []
    for slot, params in enumerate(plan(task.space, "random", seed=seed, n=n)):
        t0 = time.perf_counter()
        hit = look_up(table, params, seed, slot)
        done = min(per, hit["n"])
        ended = done == hit["n"]  # diverged (or a one-epoch trial): it has run all it will
        rows.append(row(params, hit, done=done, pruned=not ended, overhead=time.perf_counter() - t0, number=slot,
                        rnd=1, slot=slot))
        hits.append(hit)
    open_ = [i for i, r in enumerate(rows) if r["state"] == "PRUNED"]
    ranked = sorted(open_, key=lambda i: (-_score(rows[i]["value"]), i))[:k]
    for i in ranked:
        rows[i]["state"] = "PAUSED"
    for i in ranked:
        t0 = time.perf_counter()
        hit, first = hits[i], rows[i]
        params = {c[len("param_"):]: v for c, v in first.items() if c.startswith("param_")}
        full = row(params, hit, done=hit["n"], pruned=False, overhead=0.0, number=i, rnd=2, slot=i)
        full["epochs"] -= first["epochs"]  # the continuation only: its first epoch was spent screening
        full["seconds"] -= float(hit["spent"][min(per, hit["n"]) - 1]) - (time.perf_counter() - t0)
        rows.append(full)
    return rows


def _score(value: float) -> float:
    return value if math.isfinite(value) else -math.inf
