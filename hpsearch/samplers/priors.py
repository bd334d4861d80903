"""A warm start: what is known before a search begins, turned into its first slots.

A study's ``priors`` (a field of its spec, stored with it) is plain data::

    {"configs": [{"params": {...}, "source": "..."}, ...],   # tried first, in this order
     "box": {"lr": [1e-4, 1e-2], ...} or None,              # where the start-up trials are drawn
     "box_source": "..." or None,
     "startup_trials": 8}                                   # random start-up trials (in the box, or the space)

Slots ``0..len(configs)-1`` are the given configurations; the next ``startup_trials`` slots are drawn at
random (seeded by the study seed, so the same whatever the number of workers) from the space with its numeric
ranges narrowed to the box; the adaptive sampler (TPE) models from the slot after them on. The configurations
come from the user, from fixed good settings a script names (e.g. the book's recommendations), or from the
best finished trials of earlier studies of the same objective (:func:`from_studies`). Everything is checked
against the space when the spec is built: a configuration outside it is refused in one line.

:func:`startup_for_budget` scales the start-up to the budget: a tenth of the trials the budget is expected to
hold (3 to 10; Optuna's TPE uses 10 whatever the budget, and with Hyperband each bracket needs its own).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import optuna
from optuna.trial import TrialState

from hpsearch.samplers.planned import plan
from hpsearch.samplers.seeds import derive_seed
from hpsearch.space import SearchSpace

__all__ = ["PRIORS", "check_priors", "from_studies", "prior_slots", "startup_for_budget"]

PRIORS = 4  # seed purpose of the start-up draws (hpsearch.samplers.seeds uses 0-3)
_KEYS = {"configs", "box", "box_source", "startup_trials"}


def _fail(problem: str) -> ValueError:
    return ValueError(f"priors: {problem}")


def _check_value(space: SearchSpace, name: str, value: Any, where: str) -> None:
    if name not in space:
        raise _fail(f"{where} names {name!r}, which is not in the space; use names among {space.names}")
    p = space[name]
    if p.is_fixed:
        if value != p.fixed:
            raise _fail(f"{where} sets {name}={value!r} but the space fixes it to {p.fixed!r}; drop it")
        return
    if p.kind == "categorical":
        if value not in p.choices:
            raise _fail(f"{where} sets {name}={value!r}; choose one of {list(p.choices)}")
        return
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not p.low <= value <= p.high or (p.kind == "int" and int(value) != value):
        raise _fail(f"{where} sets {name}={value!r}, outside the space's [{p.low}, {p.high}]; widen the space "
                    "or change the value")


def check_priors(priors: Mapping[str, Any] | None, space: SearchSpace) -> dict[str, Any] | None:
    """``priors`` checked against ``space`` and completed with defaults (plain data, JSON-ready)."""
    if priors is None:
        return None
    if not isinstance(priors, Mapping):
        raise _fail(f"{priors!r} is not an object; give {{'configs': [...], 'box': {{...}}, 'startup_trials': n}}")
    unknown = sorted(set(priors) - _KEYS)
    if unknown:
        raise _fail(f"unknown key {unknown[0]!r}; use {sorted(_KEYS)}")
    configs = []
    for i, c in enumerate(priors.get("configs") or ()):
        if not isinstance(c, Mapping) or not isinstance(c.get("params"), Mapping):
            raise _fail(f"configs[{i}] is not {{'params': {{...}}, 'source': '...'}}")
        for name, value in c["params"].items():
            _check_value(space, name, value, f"configs[{i}]")
        configs.append({"params": dict(c["params"]), "source": str(c.get("source") or "user")})
    box = priors.get("box")
    if box is not None:
        if not isinstance(box, Mapping):
            raise _fail(f"box={box!r} is not {{param: [low, high]}}")
        for name, bounds in box.items():
            if not isinstance(bounds, list | tuple) or len(bounds) != 2:
                raise _fail(f"box[{name!r}]={bounds!r} is not [low, high]")
            for v in bounds:
                _check_value(space, name, v, f"box[{name!r}]")
            if space[name].kind == "categorical" or space[name].is_fixed:
                raise _fail(f"box[{name!r}]: only numeric, free parameters take a range")
            if bounds[0] > bounds[1]:
                raise _fail(f"box[{name!r}]={list(bounds)} has low > high; swap them")
        box = {name: [bounds[0], bounds[1]] for name, bounds in box.items()}
    n = priors.get("startup_trials", 0)
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 1000:
        raise _fail(f"startup_trials={n!r} must be an integer from 0 to 1000")
    return {"configs": configs, "box": box, "box_source": priors.get("box_source"), "startup_trials": n}


def _narrowed(space: SearchSpace, box: Mapping[str, list[float]] | None) -> SearchSpace:
    if not box:
        return space
    return SearchSpace(tuple(
        replace(p, low=box[p.name][0], high=box[p.name][1]) if p.name in box else p for p in space.params
    ))


def prior_slots(priors: Mapping[str, Any] | None, space: SearchSpace, *, seed: int) -> list[dict[str, Any]]:
    """The fixed parameters of the study's first slots: the configurations, then the start-up draws."""
    if not priors:
        return []
    slots = [dict(c["params"]) for c in priors["configs"]]
    n = priors.get("startup_trials", 0)
    if n:
        slots += plan(_narrowed(space, priors.get("box")), "random", seed=derive_seed(seed, PRIORS, 0), n=n)
    return slots


def from_studies(studies: Iterable[optuna.Study], space: SearchSpace, *, top: int = 2) -> list[dict[str, Any]]:
    """The ``top`` best COMPLETE trials of each study (in its direction) whose parameters fit ``space``, as
    prior configurations naming their source; trials that do not fit (another space) are skipped."""
    out: list[dict[str, Any]] = []
    for study in studies:
        sign = -1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else 1.0
        done = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if t.value is not None and math.isfinite(t.value)
                and not t.user_attrs.get("result", {}).get("diverged")]
        taken = 0
        for t in sorted(done, key=lambda t: (sign * t.value, t.number)):
            try:
                for name, value in t.params.items():
                    _check_value(space, name, value, "trial")
            except ValueError:
                continue
            out.append({"params": dict(t.params),
                        "source": f"study {study.study_name} trial {t.number} (value {t.value:.4f})"})
            taken += 1
            if taken == top:
                break
    return out


def startup_for_budget(time_budget: float | None, n_workers: int, first_rung: float) -> int:
    """Start-up trials for a budget: a tenth of the trials it is expected to hold, each stopped at its first
    rung or the next (``eta * first_rung`` seconds), clipped to 3..10; 10 (TPE's default) without a budget."""
    if time_budget is None:
        return 10
    expected = time_budget * max(n_workers, 1) / (3.0 * first_rung)
    return int(min(10, max(3, expected // 10)))
