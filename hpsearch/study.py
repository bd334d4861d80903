"""A study and its slots: creation (idempotent), loading by workers, claiming and re-queuing trials.

Every study of ``n_trials`` has exactly ``n_trials`` *slots*; slot k has user attrs ``slot`` and ``seed`` (its
training seed) and, for the planned samplers (random, qmc, grid) and a warm start's prior configurations,
fixed parameters that depend on k alone. A slot's trial is created when a worker claims it
(:func:`claim`): under the study lock of :mod:`hpsearch.storages.locks`, the lowest slot that has no trial
yet, or a WAITING trial of a lower slot (a re-queued one, or a slot of a study created before slots were
made lazily), becomes a RUNNING trial. The storage thus holds only trials that started (and re-queued
ones), so Optuna's own tools (``load_study(...).trials``, optuna-dashboard's timeline) show what ran; the
number of finished trials can never exceed ``n_trials``, whatever the number of workers, machines or
launchers, and slot k always gets the same parameters and seed. A trial that fails (a crashed worker
detected as stale) is re-queued once, by the one process whose FAIL transition succeeded, with the same
slot, seed and parameters. Every storage hpsearch opens has a study lock (journal file, PostgreSQL, MySQL,
SQLite file); a storage without one (an in-memory SQLite database) keeps the earlier way: every slot is
enqueued as a WAITING trial when the study is created, and workers only claim.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState

from hpsearch.errors import MissingStorage
from hpsearch.objectives.registry import get_objective
from hpsearch.samplers.planned import plan
from hpsearch.samplers.priors import prior_slots
from hpsearch.samplers.registry import is_planned, make_pruner, make_sampler
from hpsearch.samplers.seeds import train_seed
from hpsearch.spec import StudySpec
from hpsearch.storages.journal import discard_unwritten, new_paths
from hpsearch.storages.locks import serialises, study_lock
from hpsearch.storages.opener import is_database, open_storage
from hpsearch.storages.urls import redact

__all__ = ["check_resume", "create_study", "load_spec", "open_study", "claim", "requeue", "state_counts", "FINISHED",
           "PART_OF"]

log = logging.getLogger(__name__)

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
PART_OF = "part_of"  # user attribute: the experiment a helper study serves (its page is that experiment's)
_LIVE = (TrialState.WAITING, TrialState.RUNNING, *FINISHED)
_SAME = ("space", "objective", "settings", "sampler", "pruner", "seed", "grid_points")


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


def _storage(spec: StudySpec, *, create: bool = True) -> BaseStorage:
    return open_storage(
        spec.storage_url,
        heartbeat_interval=spec.heartbeat_interval,
        grace_period=spec.grace_period,
        on_stale=requeue,
        create=create,
    )


def _check_same(spec: StudySpec, stored: dict[str, Any]) -> None:
    mine = spec.to_dict()
    for key in _SAME:
        if stored.get(key) != mine[key]:
            raise ValueError(
                f"study {spec.name!r} already exists with another {key!r}; keep the spec unchanged to "
                "resume it (only n_trials may change), or give the new study another name"
            )


def check_resume(spec: StudySpec) -> None:
    """Raise ValueError if study ``spec.name`` exists with a spec that differs beyond n_trials (writes nothing)."""
    url = spec.storage_url
    if not is_database(url) and not Path(url).is_file():
        return
    try:
        study = optuna.load_study(study_name=spec.name, storage=open_storage(url, create=False))
    except (KeyError, MissingStorage):
        return
    stored = study.user_attrs.get("spec")
    if stored is not None:
        _check_same(spec, stored)


def _live_slots(study: optuna.Study) -> set[int]:
    return {t.user_attrs["slot"] for t in study.get_trials(deepcopy=False, states=_LIVE) if "slot" in t.user_attrs}


def _missing_slots(study: optuna.Study, n: int) -> dict[int, FrozenTrial | None]:
    """Slots 0..n-1 with no live trial, each with its latest failed trial (or None)."""
    live = _live_slots(study)
    failed = {t.user_attrs["slot"]: t for t in study.get_trials(deepcopy=False, states=(TrialState.FAIL,))
              if "slot" in t.user_attrs}
    return {k: failed.get(k) for k in range(n) if k not in live}


def _name_metric(study: optuna.Study, spec: StudySpec) -> None:
    """Store the objective's metric name (optuna-dashboard and optuna.visualization label the value with it)."""
    if study.metric_names is None:
        with warnings.catch_warnings():  # set_metric_names is marked experimental (stable since Optuna 3.2)
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.set_metric_names([get_objective(spec.objective).metric])


def _pruner(spec: StudySpec) -> optuna.pruners.BasePruner:
    """The spec's pruner; its resource is the number of evaluations of a full trial."""
    settings = spec.settings
    return make_pruner(spec.pruner, epochs=getattr(settings, "n_evals", settings.epochs))


def create_study(spec: StudySpec) -> optuna.Study:
    """Create study ``spec.name`` (or load it to resume) and make sure its slots 0..n_trials-1 exist.

    Idempotent: re-running a spec enqueues only the missing slots (new ones when n_trials grew, and the
    slots of failed trials). Any number of processes may call it at once: each checks and enqueues under the
    study lock (:func:`hpsearch.storages.locks.study_lock`), so every slot is enqueued once. Workers then join with
    :func:`open_study`. An existing study is checked before anything is written: a changed spec is refused
    and leaves the storage byte for byte as it was. The stored spec holds the storage URL without its password.
    """
    made = [] if is_database(spec.storage_url) else new_paths(spec.storage_url)
    try:
        storage = _storage(spec)
        with study_lock(storage, spec.name):  # one launcher at a time checks and enqueues the slots
            study = _load_or_create(spec, storage)
            _store_spec(spec, study)
            _name_metric(study, spec)
            _enqueue_missing(spec, study)
    except OSError:  # e.g. a full disk: leave no empty journal behind
        discard_unwritten(made)
        raise
    return study


def _startup(spec: StudySpec) -> int | None:
    """With a warm start, the adaptive sampler models as soon as the prior slots are done."""
    if not spec.priors:
        return None
    return len(spec.priors["configs"]) + spec.priors["startup_trials"]


def _load_or_create(spec: StudySpec, storage: BaseStorage) -> optuna.Study:
    sampler = make_sampler(spec.sampler, seed=spec.seed, startup=_startup(spec))
    pruner = _pruner(spec)
    try:  # load first: on a journal, create_study of an existing name appends a record before it fails
        return optuna.load_study(study_name=spec.name, storage=storage, sampler=sampler, pruner=pruner)
    except KeyError:
        return optuna.create_study(
            study_name=spec.name,
            storage=storage,
            direction=spec.direction,
            load_if_exists=True,  # (the study lock makes this race impossible; kept as a second guard)
            sampler=sampler,
            pruner=pruner,
        )


def _store_spec(spec: StudySpec, study: optuna.Study) -> None:
    stored = study.user_attrs.get("spec")
    if stored is None:
        study.set_user_attr("spec", {**spec.to_dict(), "storage": spec.storage and redact(spec.storage)})
        study.set_user_attr("created", _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
        if spec.priors:  # the warm start, where pages and exports find it
            study.set_user_attr("priors", spec.priors)
    else:
        _check_same(spec, stored)
        if stored.get("n_trials") != spec.n_trials:  # (an older study's URL loses its password here too)
            url = stored.get("storage")
            study.set_user_attr("spec", {**stored, "n_trials": spec.n_trials, "storage": url and redact(url)})


def _enqueue_missing(spec: StudySpec, study: optuna.Study) -> None:
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


def load_spec(storage: str, name: str) -> StudySpec:
    """The spec stored in study ``name`` of ``storage``, pointed at that storage."""
    opened = open_storage(storage, create=False)
    try:
        study = optuna.load_study(study_name=name, storage=opened)
    except KeyError:
        raise ValueError(f"study {name!r} is not in the storage; create it with `hpsearch run`") from None
    stored = study.user_attrs.get("spec")
    if stored is None:
        raise ValueError(f"study {name!r} was not created by hpsearch (no spec stored); use hpsearch run")
    return StudySpec.from_dict({**stored, "storage": storage})


def open_study(spec: StudySpec, *, sampler_seed: int) -> optuna.Study:
    """Join an existing study as a worker, with its own sampler seed."""
    return optuna.load_study(
        study_name=spec.name,
        storage=_storage(spec, create=False),
        sampler=make_sampler(spec.sampler, seed=sampler_seed, startup=_startup(spec)),
        pruner=_pruner(spec),
    )


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
