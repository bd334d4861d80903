"""StudySpec: what to search, on which data, how long, with which sampler and pruner, where to store it.

A spec is plain data (``to_dict`` / ``from_dict`` round-trip through JSON). It is validated when built:
every problem is a one-line ValueError naming the bad value and the fix. The spec is stored in the study
(user attribute ``spec``) so a worker on another machine needs only the storage URL and the study name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from hpsearch.checks import check_limits, check_types, short
from hpsearch.objectives.mlp import ObjectiveSettings
from hpsearch.objectives.registry import get_objective
from hpsearch.samplers.planned import grid_size
from hpsearch.samplers.priors import check_priors
from hpsearch.samplers.registry import check_sampler, pruner_name
from hpsearch.space import SearchSpace, book_space
from hpsearch.storages.opener import MAX_NAME, check_name, resolve, study_dir
from netcore.data import DATASETS

__all__ = ["StudySpec"]


MAX_TRIALS = 100_000  # a planned sampler computes every slot's point up front (in each worker)
MAX_SEED = 2**32 - 1  # the largest seed Optuna's samplers (numpy RandomState) accept


def _int(name: str, value: Any, *, low: int, fix: str, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise ValueError(f"spec: {name}={short(value)} is invalid; {fix}")


@dataclass(frozen=True)
class StudySpec:
    """One study. ``storage=None`` means the journal file ``<out_dir>/<name>/journal.log``."""

    name: str
    space: SearchSpace = field(default_factory=book_space)
    objective: str = "mlp"
    settings: ObjectiveSettings = field(default_factory=ObjectiveSettings)
    n_trials: int = 100
    sampler: str = "random"
    pruner: str = "none"
    seed: int = 0
    storage: str | None = None
    out_dir: str = "runs"
    grid_points: int = 5
    heartbeat_interval: int = 10
    grace_period: int = 60
    parent: str | None = None
    priors: dict | None = None  # a warm start: hpsearch.samplers.priors

    def __post_init__(self) -> None:
        check_types(self, "spec")
        try:
            check_name(self.name)
        except ValueError:
            raise ValueError(
                f"spec: name={short(self.name)} is invalid; use at most {MAX_NAME} letters, digits, '_', '-' or '.'"
                " (it names a folder)"
            ) from None
        if not isinstance(self.space, SearchSpace):
            raise ValueError(f"spec: space={self.space!r} is not a SearchSpace; build one with hpsearch.space")
        try:
            obj = get_objective(self.objective)
        except ValueError as exc:
            raise ValueError(f"spec: {exc}") from None
        if not isinstance(self.settings, obj.settings_cls):
            raise ValueError(
                f"spec: settings is not a {obj.settings_cls.__name__} (objective {self.objective!r}); build one"
                f" with {obj.settings_cls.__module__}"
            )
        dataset = getattr(self.settings, "dataset", None)
        if isinstance(dataset, str) and dataset not in DATASETS:
            raise ValueError(f"spec: dataset {dataset!r} is unknown; use one of {', '.join(DATASETS)}")
        unknown = [n for n in self.space.names if n not in obj.param_names]
        if unknown:
            raise ValueError(
                f"spec: parameter {unknown[0]!r} is unknown to the objective {self.objective!r}; use names "
                f"among {obj.param_names}"
            )
        for name in obj.required:
            if name not in self.space:
                raise ValueError(
                    f"spec: the space has no {name!r}, which objective {self.objective!r} needs; add it (or fix "
                    f"one value with space.fix({name}=...))"
                )
        check_limits(self.space, obj.limits, "spec")
        _int("n_trials", self.n_trials, low=1, high=MAX_TRIALS,
             fix=f"give a positive integer such as 100, at most {MAX_TRIALS:,} (split a larger search into studies)")
        _int("seed", self.seed, low=0, high=MAX_SEED, fix=f"give an integer from 0 to {MAX_SEED} (2**32 - 1)")
        _int("grid_points", self.grid_points, low=2, fix="give an integer >= 2 (values per float axis)")
        _int("heartbeat_interval", self.heartbeat_interval, low=1, fix="give whole seconds >= 1, e.g. 10")
        _int("grace_period", self.grace_period, low=1, fix="give whole seconds, e.g. 60")
        if self.grace_period <= self.heartbeat_interval:
            raise ValueError(
                f"spec: grace_period={self.grace_period} must exceed heartbeat_interval="
                f"{self.heartbeat_interval}; use e.g. 6x the heartbeat interval"
            )
        try:
            check_sampler(self.sampler)
            object.__setattr__(self, "pruner", pruner_name(self.pruner))
            resolve(self.storage, self.name, self.out_dir)
        except ValueError as exc:
            raise ValueError(f"spec: {exc}") from None
        try:
            object.__setattr__(self, "priors", check_priors(self.priors, self.space))
        except ValueError as exc:
            raise ValueError(f"spec: {exc}") from None
        if self.priors and self.n_trials < len(self.priors["configs"]):
            raise ValueError(f"spec: n_trials={self.n_trials} is below the {len(self.priors['configs'])} prior "
                             "configurations; raise n_trials or give fewer configurations")
        if self.sampler == "grid":
            size = grid_size(self.space, self.grid_points)
            if self.n_trials > size:
                raise ValueError(
                    f"spec: n_trials={self.n_trials} exceeds the grid's {size} points; "
                    f"set n_trials <= {size} or raise grid_points"
                )

    @property
    def direction(self) -> str:
        """``maximize`` or ``minimize``, as the objective says."""
        return get_objective(self.objective).direction

    @property
    def storage_url(self) -> str:
        """The storage string workers open (a journal file path or a database URL)."""
        return resolve(self.storage, self.name, self.out_dir)

    @property
    def run_dir(self) -> Path:
        """``<out_dir>/<name>``: exports and reports go there."""
        return study_dir(self.out_dir, self.name)

    def replace(self, **changes: Any) -> StudySpec:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.to_dict() if hasattr(v, "to_dict") else v
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> StudySpec:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"spec: unknown field {unknown[0]!r}; known fields are {sorted(known)}")
        if "name" not in d:
            raise ValueError("spec: the field 'name' is missing; give the study a name")
        data = dict(d)
        if "space" in data:
            data["space"] = SearchSpace.from_dict(data["space"])
        if "settings" in data:
            objective = data.get("objective", "mlp")
            if not isinstance(objective, str):
                raise ValueError(f"spec: objective={short(objective)} is a {type(objective).__name__}; give a name")
            if not isinstance(data["settings"], Mapping):
                raise ValueError(f"spec: settings={short(data['settings'])} is not an object; give {{field: value}}")
            try:
                settings_cls = get_objective(objective).settings_cls
            except ValueError as exc:
                raise ValueError(f"spec: {exc}") from None
            data["settings"] = settings_cls.from_dict(data["settings"])
        return cls(**data)
