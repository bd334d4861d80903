"""Grid studies of an experiment: every (method, ..., seed) combination once, run by hpsearch's workers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hpsearch.samplers.planned import grid_size
from hpsearch.space import ParamSpec, SearchSpace
from hpsearch.spec import StudySpec

__all__ = ["grid_space", "grid_spec"]


def grid_space(axes: Mapping[str, Sequence[Any]], *,
               conditional: Mapping[str, tuple[str, Sequence[Any], Sequence[Any]]] | None = None) -> SearchSpace:
    """Categorical axes in the given order (the first varies slowest); ``conditional`` adds
    ``name -> (parent, parent values, choices)`` right after its parent; an axis of one value is fixed."""
    conditional = conditional or {}
    params: list[ParamSpec] = []
    for name, values in axes.items():
        values = tuple(values)
        params.append(ParamSpec(name, kind="categorical", fixed=values[0]) if len(values) == 1
                      else ParamSpec(name, kind="categorical", choices=values))
        for child, (parent, when, choices) in conditional.items():
            if parent == name:
                params.append(ParamSpec(child, kind="categorical", choices=tuple(choices), when=(parent, tuple(when))))
    return SearchSpace(tuple(params))


def grid_spec(name: str, objective: str, settings: Any, space: SearchSpace, *, out_dir: str = "runs",
              seed: int = 0) -> StudySpec:
    """A grid study that runs every point of ``space`` once (n_trials = the grid's size)."""
    return StudySpec(name=name, space=space, objective=objective, settings=settings, n_trials=grid_size(space, 2),
                     sampler="grid", seed=seed, out_dir=out_dir)
