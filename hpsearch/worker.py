"""The loop one worker process runs: claim a WAITING slot, train it, tell the result; until the study is done.

A worker joins an existing study (``hpsearch.study.create_study`` made it) through the storage alone, so it
can run in a loky process of :func:`hpsearch.runner.run` or on another machine (``hpsearch worker``). BLAS is
pinned to ``blas_threads`` threads (one by default: parallelism comes from processes). A worker stops when
``n_trials`` trials are finished (COMPLETE or PRUNED); while others still run trials it waits, failing and
re-queuing trials whose worker died (:mod:`hpsearch.stale`).
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

from hpsearch.objective import TrialResult
from hpsearch.objectives import get_objective
from hpsearch.plan import sampler_seed, train_seed
from hpsearch.space import suggest
from hpsearch.spec import StudySpec
from hpsearch.stale import Heartbeat, fail_stale, worker_id
from hpsearch.study import FINISHED, claim, open_study

__all__ = ["run_worker", "run_trial", "finished_count"]

log = logging.getLogger(__name__)


def finished_count(study: optuna.Study, n_trials: int) -> int:
    """Finished (COMPLETE or PRUNED) trials of slots < n_trials."""
    trials = study.get_trials(deepcopy=False, states=FINISHED)
    return sum(1 for t in trials if t.user_attrs.get("slot", 0) < n_trials)


def _json_list(values: list[float]) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in values]


def _record(trial: optuna.Trial, res: TrialResult) -> None:
    curves: dict[str, Any] = {name: _json_list(values) for name, values in res.curves.items()}
    curves["step"] = list(res.step)
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


Objective = Callable[..., TrialResult]


def run_trial(
    study: optuna.Study, trial: optuna.Trial, spec: StudySpec, *, objective: Objective | None = None
) -> bool:
    """Run one claimed trial to its end; False when another worker failed it as stale meanwhile."""
    if objective is None:
        objective = get_objective(spec.objective).evaluate
    trial_id = trial._trial_id
    attrs = trial.user_attrs
    seed = attrs.get("seed", train_seed(spec.seed, attrs.get("slot", trial.number)))
    prune = spec.pruner != "none"

    def on_epoch(epoch: int, val_acc: float) -> bool:
        # each report is a storage write (an fsync on the journal): only pruners need them; the curves are
        # stored once, at the end of the trial, in any case
        if not prune:
            return False
        trial.report(val_acc, epoch)
        return trial.should_prune()

    try:
        # beat before anything else: on a database, a trial that never beat can never be found stale
        with Heartbeat(study, trial_id, spec.heartbeat_interval):
            trial.set_user_attr("worker", worker_id())
            params = suggest(trial, spec.space)
            res = objective(params, spec.settings, seed=seed, on_epoch=on_epoch)
        _record(trial, res)
        pruned = res.stopped and not res.diverged
        if pruned:
            study.tell(trial, state=TrialState.PRUNED)
        else:
            study.tell(trial, res.value)
    except UpdateFinishedTrialError:
        log.warning("trial %d was failed as stale by another worker; its result is dropped", trial.number)
        return False
    except BaseException:
        study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
        raise
    return True


def run_worker(
    spec: StudySpec | Mapping[str, Any],
    index: int = 0,
    *,
    blas_threads: int | None = 1,
    poll: float = 0.2,
    objective: Objective | None = None,
) -> dict[str, Any]:
    """Work on study ``spec.name`` until it holds ``spec.n_trials`` finished trials.

    ``index`` distinguishes the workers of one launch (distinct sampler seeds); ``blas_threads=None``
    leaves BLAS threading alone; ``objective`` replaces the spec's registered objective (benchmarks of
    the harness). Returns a summary {worker, index, trials}.
    """
    if not isinstance(spec, StudySpec):
        spec = StudySpec.from_dict(spec)
    seed = sampler_seed(spec.seed, index)
    limits = threadpool_limits(limits=blas_threads) if blas_threads else nullcontext()
    ran = 0
    with limits:
        study = open_study(spec, sampler_seed=seed)
        while True:
            fail_stale(study, grace_period=spec.grace_period)
            trial = claim(study, spec.n_trials)
            if trial is not None:
                ran += run_trial(study, trial, spec, objective=objective)
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
    return {"worker": worker_id(), "index": index, "trials": ran}
