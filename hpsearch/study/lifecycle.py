"""A study's life: created (idempotent, its spec checked and stored), resumed only with the same spec, loaded by
workers with their own sampler seeds (see :mod:`hpsearch.study`)."""

from __future__ import annotations

import datetime as _dt
import logging
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage

from hpsearch.errors import MissingStorage
from hpsearch.objectives.registry import get_objective
from hpsearch.samplers.registry import make_pruner, make_sampler
from hpsearch.spec import StudySpec
from hpsearch.storages.journal import discard_unwritten, new_paths
from hpsearch.storages.locks import study_lock
from hpsearch.storages.opener import is_database, open_storage
from hpsearch.storages.urls import redact
from hpsearch.study.slots import enqueue_missing, requeue

__all__ = ["check_resume", "create_study", "load_spec", "open_study"]

log = logging.getLogger(__name__)

_SAME = ("space", "objective", "settings", "sampler", "pruner", "seed", "grid_points")


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
            enqueue_missing(spec, study)
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
