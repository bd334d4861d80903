"""Replay a search method against a tabular benchmark: the same Optuna samplers and pruners, no training.

Each replayed run is an Optuna study IN MEMORY (``optuna.create_study(storage=None)``) driven by ask/tell.
A trial's parameters are snapped to a grid cell (:meth:`hpsearch.benchmark.table.Table.cell`: the off-grid
rule of each axis), one of the cell's training replicates is drawn for it (from a Generator seeded by (run
seed, trial slot)), and the replicate's stored validation curve is reported evaluation by evaluation to the
pruner exactly as a live worker would; a pruned trial ends at that evaluation. A trial that runs to its end
scores the stored trial score (the whole validation split), a pruned one its last evaluation. A trial's
seconds are the stored seconds it had spent at its last evaluation (a simulated clock) plus the measured cost
of asking, reporting and telling; its ``epochs`` are its evaluations over the evaluations per epoch.

Like a live run, a replayed run continues until its trials have spent the epoch budget (``budget`` trials of
the task's full epochs); the narrowing procedure instead runs its rounds of ``budget // rounds`` trials, and
the one-epoch screening its plan (:mod:`hpsearch.benchmark.procedures`). With the ``asha`` pruner the stop
decisions are the live workers' (:class:`hpsearch.execution.scheduling.TrialScheduler`) on the stored seconds;
a warm-started method (``hpsearch-default``) first enqueues the task's prior configurations and its start-up.
Planned samplers (random, qmc) take the same parameters as live (``hpsearch.samplers.planned``); adaptive ones
get the sampler seed a live worker 0 gets.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import TrialState

from hpsearch.benchmark.methods import Method, narrow_rule
from hpsearch.benchmark.procedures import WarmStart, screening_rows
from hpsearch.benchmark.results import run_frames
from hpsearch.benchmark.table import Table
from hpsearch.benchmark.tasks import Task
from hpsearch.execution.scheduling import TrialScheduler
from hpsearch.execution.stopping import Deadline
from hpsearch.narrowing.rule import Outcome, narrow
from hpsearch.samplers.asha import CostSchedule
from hpsearch.samplers.planned import plan
from hpsearch.samplers.registry import is_planned, make_pruner, make_sampler
from hpsearch.samplers.seeds import derive_seed, sampler_seed
from hpsearch.space import suggest

__all__ = ["replay_run", "NARROW_ROUND_PURPOSE", "REPLICATE_PURPOSE"]

NARROW_ROUND_PURPOSE = 8  # round r+1's study seed = derive_seed(seed, 8, r), as hpsearch.narrowing.rounds derives it
REPLICATE_PURPOSE = 11  # which stored training replicate slot k of a run reads


@contextlib.contextmanager
def quiet_optuna() -> Iterator[None]:
    """Optuna logs every told trial at INFO; thousands of in-memory trials say nothing worth reading."""
    old = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(max(old, optuna.logging.WARNING))
    try:
        yield
    finally:
        optuna.logging.set_verbosity(old)


def _replicate(table: Table, seed: int, slot: int) -> int:
    return int(np.random.default_rng(derive_seed(seed, REPLICATE_PURPOSE, slot)).integers(table.replicates))


def _look_up(table: Table, params: Mapping[str, Any], seed: int, slot: int) -> dict[str, Any]:
    cell = table.cell(params)
    rep = _replicate(table, seed, slot)
    at = (*cell, rep)
    n = int(table.epochs_run[at])
    return {"cell": at, "curve": table.val_acc[at][:n].astype(float), "n": n,
            "spent": table.eval_seconds[at][:n].astype(float), "value": float(table.value[at]),
            "diverged": bool(table.diverged[at]), "train_seed": int(table.seed[at]), "replicate": rep,
            "per_epoch": table.epochs // table.defn.settings.epochs}


def _row(params: Mapping[str, Any], hit: dict[str, Any], *, done: int, pruned: bool, overhead: float,
         number: int, rnd: int, slot: int) -> dict[str, Any]:
    """One replayed trial that ran ``done`` evaluations: its score is the trial's own (the stored ``value``)
    when it ran to its end, else the score of its last evaluation; ``epochs`` counts epochs (evaluations
    over evaluations per epoch)."""
    whole = done == hit["n"] and not pruned
    per = hit["per_epoch"]
    return {"round": rnd, "study": "", "number": number, "slot": slot,
            "state": "PRUNED" if pruned else "COMPLETE",
            "value": hit["value"] if whole else float(hit["curve"][done - 1]),
            "diverged": hit["diverged"] and not pruned, "epochs": done if per == 1 else done / per,
            "seconds": float(hit["spent"][done - 1]) + overhead, "train_seed": hit["train_seed"],
            "replicate": hit["replicate"], **{f"param_{k}": v for k, v in params.items()}}


def _study(task: Task, method: Method, seed: int, evals: int, startup: int | None) -> optuna.Study:
    # the live study's name: Hyperband assigns brackets by a hash of (study name, trial number)
    return optuna.create_study(study_name=f"{task.name}-{method.name}-s{seed}", direction="maximize",
                               sampler=make_sampler(method.sampler, seed=sampler_seed(seed, 0), startup=startup),
                               pruner=make_pruner(method.pruner, epochs=evals))


def _stop(study: optuna.Study, trial: optuna.Trial, hit: dict[str, Any], *, prune: bool,
          schedule: CostSchedule | None, n_evals: int) -> tuple[int, bool]:
    """Report the stored curve evaluation by evaluation, to the pruner or, with a cost ``schedule``, to the
    live workers' own :class:`hpsearch.execution.scheduling.TrialScheduler` on the stored seconds (a simulated
    clock, no deadline): (evaluations run, pruned)."""
    scheduler = None
    if schedule is not None:
        scheduler = TrialScheduler(study, trial, schedule, maximize=True, n_evals=n_evals, deadline=Deadline(),
                                   clock=time.perf_counter)
    for e in range(hit["n"]):
        value = float(hit["curve"][e])
        if scheduler is not None:
            trial.report(value, e)  # the intermediate values TPE reads for a pruned trial
            if scheduler.check(e, value, float(hit["spent"][e])) is not None:
                return e + 1, True
        elif prune:
            trial.report(value, e)
            if trial.should_prune():
                return e + 1, True
    return hit["n"], False


def _study_rows(table: Table, task: Task, method: Method, seed: int, budget: int) -> list[dict[str, Any]]:
    evals = getattr(task.settings, "n_evals", task.settings.epochs)
    limit = budget * evals
    warm = WarmStart.for_run(table, task, seed, budget) if method.warm_start else None
    schedule = None
    if method.pruner == "asha":
        schedule = warm.schedule if warm is not None else WarmStart.schedule_for(table, budget)
    study = _study(task, method, seed, evals, warm.startup if warm is not None else None)
    prune = method.pruner != "none"
    planned: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    used = 0
    while used < limit:
        k = len(rows)
        t0 = time.perf_counter()
        if warm is not None and k < len(warm.slots):
            study.enqueue_trial(warm.slots[k])
        elif is_planned(method.sampler):
            if k >= len(planned):
                planned = plan(task.space, method.sampler, seed=seed, n=max(2 * len(planned), budget))
            study.enqueue_trial(planned[k])
        trial = study.ask()
        params = suggest(trial, task.space)
        hit = _look_up(table, params, seed, k)
        done, pruned = _stop(study, trial, hit, prune=prune, schedule=schedule, n_evals=evals)
        if pruned:
            study.tell(trial, state=TrialState.PRUNED)
        else:
            study.tell(trial, hit["value"] if done == hit["n"] else float(hit["curve"][done - 1]))
        overhead = time.perf_counter() - t0
        rows.append(_row(params, hit, done=done, pruned=pruned, overhead=overhead, number=trial.number, rnd=1,
                         slot=k))
        used += done
    return rows


def _narrowing_rows(table: Table, task: Task, method: Method, seed: int, budget: int) -> list[dict[str, Any]]:
    space, rule = task.space, narrow_rule(method, task.space)
    size = max(budget // method.rounds, 1)
    rows: list[dict[str, Any]] = []
    for r in range(1, method.rounds + 1):
        round_seed = seed if r == 1 else derive_seed(seed, NARROW_ROUND_PURPOSE, r - 1)
        outcomes = []
        for k, params in enumerate(plan(space, "random", seed=round_seed, n=size)):
            t0 = time.perf_counter()
            hit = _look_up(table, params, round_seed, k)
            row = _row(params, hit, done=hit["n"], pruned=False, overhead=0.0, number=k, rnd=r, slot=k)
            outcomes.append(Outcome(params, row["value"], row["diverged"]))
            row["seconds"] += time.perf_counter() - t0
            rows.append(row)
        if r < method.rounds:
            t0 = time.perf_counter()
            with contextlib.suppress(ValueError):  # every trial diverged: keep the box
                space, _ = narrow(space, outcomes, rule)
            rows[-1]["seconds"] += time.perf_counter() - t0
    return rows


def replay_run(table: Table, task: Task, method: Method, seed: int, *, budget: int
               ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Replay ``method`` on ``task`` with run seed ``seed`` at ``budget`` trials' worth of epochs; returns the
    run's tidy trial rows and its run row (:func:`hpsearch.benchmark.results.run_frames`)."""
    if task.settings != table.defn.settings:
        raise ValueError(f"task {task.name!r} trains under other settings than table {table.defn.name!r}; "
                         "replay it against a table built with the task's settings")
    t0 = time.perf_counter()
    with quiet_optuna():
        if method.screening:
            rows = screening_rows(table, task, method, seed, budget, look_up=_look_up, row=_row)
        else:
            rows = (_narrowing_rows if method.narrowing else _study_rows)(table, task, method, seed, budget)
    raw = pd.DataFrame(rows)

    def test_of(best: pd.Series) -> float:
        params = {k[len("param_"):]: v for k, v in best.items() if str(k).startswith("param_") and pd.notna(v)}
        return float(table.test_acc[(*table.cell(params), int(best["replicate"]))])

    return run_frames(raw, task, method, seed, budget=budget, wall=time.perf_counter() - t0, test_of=test_of)
