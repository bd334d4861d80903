"""A study's slots: slot k's parameters and seed, claiming the next slot as a RUNNING trial under the study lock,
re-queuing a failed slot once, and the slots a (re-)created study still needs (see :mod:`hpsearch.study`)."""

from __future__ import annotations

import json
import logging
from typing import Any

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import FrozenTrial, TrialState

from hpsearch.samplers.planned import plan
from hpsearch.samplers.priors import prior_slots
from hpsearch.samplers.registry import is_planned
from hpsearch.samplers.seeds import train_seed
from hpsearch.spec import StudySpec
from hpsearch.storages.locks import serialises, study_lock

__all__ = ["FINISHED", "claim", "enqueue_missing", "requeue", "state_counts"]

log = logging.getLogger(__name__)

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
_LIVE = (TrialState.WAITING, TrialState.RUNNING, *FINISHED)


def requeue(study: optuna.Study, trial: FrozenTrial) -> bool:
    """Enqueue a fresh WAITING copy of ``trial``'s slot (same seed, same parameters: those it had), unless the
    slot has a live trial already; checked under the study lock, so a slot is never re-queued twice."""
    slot = trial.user_attrs.get("slot")
    with study_lock(study._storage, study.study_name):
        if slot is not None and slot in _live_slots(study):
            log.info("trial %d (slot %s) failed; its slot was re-queued already", trial.number, slot)
            return False
        _enqueue_retry(study, trial)
    return True


def _enqueue_retry(study: optuna.Study, trial: FrozenTrial) -> None:
    params = {**trial.system_attrs.get("fixed_params", {}), **trial.params}
    attrs = {k: trial.user_attrs[k] for k in ("slot", "seed") if k in trial.user_attrs}
    attrs["retry_of"] = trial.number
    study.enqueue_trial(params, user_attrs=attrs)
    log.info("trial %d (slot %s) failed; re-queued", trial.number, attrs.get("slot"))


def _live_slots(study: optuna.Study) -> set[int]:
    return {t.user_attrs["slot"] for t in study.get_trials(deepcopy=False, states=_LIVE) if "slot" in t.user_attrs}


def _missing_slots(study: optuna.Study, n: int) -> dict[int, FrozenTrial | None]:
    """Slots 0..n-1 with no live trial, each with its latest failed trial (or None)."""
    live = _live_slots(study)
    failed = {t.user_attrs["slot"]: t for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,))
              if "slot" in t.user_attrs}
    return {k: failed.get(k) for k in range(n) if k not in live}


def enqueue_missing(spec: StudySpec, study: optuna.Study) -> None:
    """Re-queue the failed slots that have no live trial; without a study lock, enqueue every missing slot."""
    missing = _missing_slots(study, spec.n_trials)
    lazy = serialises(study._storage)
    if lazy:
        missing = {k: failed for k, failed in missing.items() if failed is not None}
    if not missing:
        return
    for k, failed in sorted(missing.items()):
        if failed is not None:
            _enqueue_retry(study, failed)
            continue
        study.enqueue_trial(_slot_params(spec, k), user_attrs=_slot_attrs(spec, k))
    log.info("study %s: %d slot(s) enqueued", spec.name, len(missing))


_PLANS: dict[str, list[dict[str, Any]] | None] = {}  # planned parameters per stored spec, in this process


def _slot_params(spec: StudySpec, k: int) -> dict[str, Any]:
    """Slot k's fixed parameters: a prior configuration, the planned sampler's point, or none (adaptive)."""
    warm = prior_slots(spec.priors, spec.space, seed=spec.seed)
    if k < len(warm):
        return warm[k]
    if not is_planned(spec.sampler):
        return {}
    key = json.dumps(spec.to_dict(), sort_keys=True, default=str)
    if key not in _PLANS:
        _PLANS.clear()  # one study's plan at a time is all a worker needs
        _PLANS[key] = plan(spec.space, spec.sampler, seed=spec.seed, n=spec.n_trials, grid_points=spec.grid_points)
    return _PLANS[key][k]


def _slot_attrs(spec: StudySpec, k: int) -> dict[str, Any]:
    return {"slot": k, "seed": train_seed(spec.seed, k)}


def claim(study: optuna.Study, n_trials: int) -> optuna.Trial | None:
    """The next slot < n_trials as a RUNNING trial, or None when every slot has a trial and none is WAITING.

    Under the study lock: the lowest slot with no trial yet is created RUNNING (its parameters and seed from
    the stored spec), unless a WAITING trial of a lower slot is there to claim (a re-queued slot, or a slot
    of a study created with every slot up front). Without a study lock, only WAITING trials are claimed
    (atomically, through the storage)."""
    storage = study._storage
    if not serialises(storage):
        return _claim_waiting(study, _waiting(study, n_trials))
    with study_lock(storage, study.study_name):
        trials = study.get_trials(deepcopy=False)
        taken = {t.user_attrs["slot"] for t in trials if "slot" in t.user_attrs}
        fresh = next((k for k in range(n_trials) if k not in taken), None)
        waiting = [t for t in _waiting(study, n_trials, trials) if fresh is None or t.user_attrs["slot"] < fresh]
        trial = _claim_waiting(study, waiting)
        if trial is not None or fresh is None:
            return trial
        return _create_slot(study, fresh)


def _waiting(study: optuna.Study, n_trials: int, trials: list[FrozenTrial] | None = None) -> list[FrozenTrial]:
    """The WAITING trials of slots < n_trials, lowest slot (then oldest) first."""
    trials = study.get_trials(deepcopy=False) if trials is None else trials
    waiting = [t for t in trials if t.state == TrialState.WAITING and t.user_attrs.get("slot", n_trials) < n_trials]
    return sorted(waiting, key=lambda t: (t.user_attrs["slot"], t.number))


def _claim_waiting(study: optuna.Study, waiting: list[FrozenTrial]) -> optuna.Trial | None:
    """Move the first of ``waiting`` that no other worker took meanwhile to RUNNING."""
    storage = study._storage
    for t in waiting:
        trial_id = storage.get_trial_id_from_study_id_trial_number(study._study_id, t.number)
        try:
            if storage.set_trial_state_values(trial_id, state=TrialState.RUNNING):
                return optuna.Trial(study, trial_id)
        except UpdateFinishedTrialError:
            continue
    return None


def _create_slot(study: optuna.Study, k: int) -> optuna.Trial | None:
    """Slot k's trial, created RUNNING (called under the study lock); None for a study hpsearch did not make."""
    stored = study.user_attrs.get("spec")
    if stored is None:
        return None
    spec = StudySpec.from_dict(stored)
    template = optuna.trial.create_trial(state=TrialState.RUNNING, user_attrs=_slot_attrs(spec, k),
                                         system_attrs={"fixed_params": _slot_params(spec, k)})
    trial_id = study._storage.create_new_trial(study._study_id, template_trial=template)
    return optuna.Trial(study, trial_id)


def state_counts(study: optuna.Study) -> dict[str, int]:
    """{state name: count} over all trials of ``study``."""
    counts = {s.name: 0 for s in TrialState}
    for t in study.get_trials(deepcopy=False):
        counts[t.state.name] += 1
    return counts
