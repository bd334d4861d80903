"""Planned trials (the random, QMC and grid samplers): pure functions of (space, study seed, slot).

A study of ``n_trials`` has slots 0..n-1. Every slot gets its training seed from (study seed, slot)
(:mod:`hpsearch.samplers.seeds`); with the random, QMC and grid samplers it also gets its parameters from a
plan computed here, so slot k runs the same
trial whatever the number of workers, and a stale re-run of slot k reproduces it. Plans are prefix-stable:
the first n entries of a plan of n' > n slots equal the plan of n slots (a study can be resumed with more
trials).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from hpsearch.samplers.seeds import PARAMS, QMC, derive_seed
from hpsearch.space import ParamSpec, SearchSpace

__all__ = ["PLANNED", "plan", "grid_size"]

PLANNED = ("random", "qmc", "grid")


# -- mapping a unit coordinate to a parameter value -------------------------------------------------------------
def _from_unit(p: ParamSpec, u: float) -> Any:
    if p.is_fixed:
        return p.fixed
    if p.kind == "categorical":
        return p.choices[min(int(u * len(p.choices)), len(p.choices) - 1)]
    if p.log:
        lo, hi = math.log10(p.low), math.log10(p.high)
        x = 10.0 ** (lo + u * (hi - lo))
    else:
        x = p.low + u * (p.high - p.low)
    if p.kind == "int":
        return int(min(max(math.floor(x) if not p.log else round(x), p.low), p.high))
    return float(min(max(x, p.low), p.high))


def _random_one(space: SearchSpace, rng: np.random.Generator) -> dict[str, Any]:
    """The book's draws, in space order: 10**U(log lo, log hi) for log scales, U(lo, hi) otherwise."""
    out: dict[str, Any] = {}
    for p in space.params:
        if not space.is_active(p, out):
            continue
        if p.is_fixed:
            out[p.name] = p.fixed
        elif p.kind == "categorical":
            out[p.name] = p.choices[int(rng.integers(len(p.choices)))]
        elif p.kind == "int" and not p.log:
            out[p.name] = int(rng.integers(int(p.low), int(p.high) + 1))
        elif p.kind == "int":
            out[p.name] = _from_unit(p, float(rng.uniform()))
        elif p.log:
            out[p.name] = float(10.0 ** rng.uniform(math.log10(p.low), math.log10(p.high)))
        else:
            out[p.name] = float(rng.uniform(p.low, p.high))
    return out


def _random_plan(space: SearchSpace, seed: int, n: int) -> list[dict[str, Any]]:
    return [_random_one(space, np.random.default_rng(derive_seed(seed, PARAMS, k))) for k in range(n)]


def _qmc_plan(space: SearchSpace, seed: int, n: int) -> list[dict[str, Any]]:
    """Scrambled Sobol points (one dimension per non-fixed parameter), slot k = point k of the sequence."""
    from scipy.stats import qmc  # imported here: scipy.stats is slow to import and workers never need it

    free = [p for p in space.params if not p.is_fixed]
    if not free:
        return [{p.name: p.fixed for p in space.params}] * n
    engine = qmc.Sobol(d=len(free), scramble=True, rng=np.random.default_rng(derive_seed(seed, QMC, 0)))
    points = engine.random_base2(max(0, math.ceil(math.log2(max(n, 1)))))[:n]
    plans = []
    for row in points:
        coords = dict(zip((p.name for p in free), row, strict=True))
        out: dict[str, Any] = {}
        for p in space.params:
            if space.is_active(p, out):
                out[p.name] = p.fixed if p.is_fixed else _from_unit(p, float(coords[p.name]))
        plans.append(out)
    return plans


def _axis(p: ParamSpec, points: int) -> list[Any]:
    if p.is_fixed:
        return [p.fixed]
    if p.kind == "categorical":
        return list(p.choices)
    if p.kind == "int":
        span = int(p.high) - int(p.low) + 1
        if span <= points:
            return list(range(int(p.low), int(p.high) + 1))
    grid = np.geomspace(p.low, p.high, points) if p.log else np.linspace(p.low, p.high, points)
    if p.kind == "int":
        return sorted({int(round(v)) for v in grid})
    return [float(v) for v in grid]


def _grid_plan(space: SearchSpace, points: int) -> list[dict[str, Any]]:
    """The cartesian grid in a fixed order (first parameter slowest); inactive children are not crossed."""
    partial: list[dict[str, Any]] = [{}]
    for p in space.params:
        nxt = []
        for base in partial:
            if space.is_active(p, base):
                nxt += [{**base, p.name: v} for v in _axis(p, points)]
            else:
                nxt.append(base)
        partial = nxt
    return partial


def grid_size(space: SearchSpace, points: int) -> int:
    """How many points the grid of ``space`` has with ``points`` values per float axis."""
    return len(_grid_plan(space, points))


def plan(space: SearchSpace, sampler: str, *, seed: int, n: int, grid_points: int = 5) -> list[dict[str, Any]]:
    """The parameters of slots 0..n-1 for a planned sampler (random, qmc, grid)."""
    if sampler == "random":
        return _random_plan(space, seed, n)
    if sampler == "qmc":
        return _qmc_plan(space, seed, n)
    if sampler == "grid":
        return list(itertools.islice(_grid_plan(space, grid_points), n))
    raise ValueError(f"sampler {sampler!r} is not planned: planned samplers are {', '.join(PLANNED)}")
