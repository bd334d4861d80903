"""Search spaces as data: named parameters with bounds, scales, choices, fixed values and conditions.

A :class:`SearchSpace` is an ordered tuple of :class:`ParamSpec`. Order matters: it is the draw order of the
book's random search (weight decay before learning rate) and the order of a grid. A conditional parameter
(``when=("optimizer", ("momentum", "nesterov"))``) is active only when its parent, an earlier categorical
parameter, takes one of the listed values; conditions are written once here and every consumer (Optuna
suggestions, planned samples, grids, exports) asks :meth:`SearchSpace.active`.

Invalid spaces fail at construction with a ValueError naming the parameter and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from hpsearch.checks import check_param_data, short
from netcore.optim import OPTIMIZERS

__all__ = ["ParamSpec", "SearchSpace", "book_space", "wide_space", "suggest"]

KINDS = ("float", "int", "categorical")
_KEYS = ("name", "type", "kind", "low", "high", "log", "choices", "fixed", "when")  # of a parameter as data
_SCALARS = (str, int, float, bool, type(None))


def _fail(name: str, problem: str, fix: str) -> ValueError:
    return ValueError(f"search space: parameter {name!r}: {problem}; {fix}")


@dataclass(frozen=True)
class ParamSpec:
    """One hyperparameter. ``fixed`` (when not None) pins it to one value; ``when`` makes it conditional."""

    name: str
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()
    fixed: Any = None
    when: tuple[str, tuple[Any, ...]] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise _fail(str(self.name), "the name must be an identifier", "use letters, digits and '_'")
        if self.kind not in KINDS:
            raise _fail(self.name, f"kind {self.kind!r} is unknown", f"use one of {', '.join(KINDS)}")
        object.__setattr__(self, "choices", tuple(self.choices))
        if self.when is not None:
            parent, values = self.when
            object.__setattr__(self, "when", (str(parent), tuple(values)))
        if self.fixed is not None:
            self._check_fixed()
        elif self.kind == "categorical":
            self._check_choices()
        else:
            self._check_bounds()

    def _check_fixed(self) -> None:
        v = self.fixed
        if self.kind == "float" and not (isinstance(v, int | float) and math.isfinite(v)):
            raise _fail(self.name, f"fixed value {v!r} is not a finite number", "fix it to a float")
        if self.kind == "int" and (isinstance(v, bool) or not isinstance(v, int)):
            raise _fail(self.name, f"fixed value {v!r} is not an integer", "fix it to an int")
        if self.kind == "categorical" and not isinstance(v, _SCALARS):
            raise _fail(self.name, f"fixed value {v!r} is not a str/int/float/bool", "fix it to a plain value")

    def _check_choices(self) -> None:
        if not self.choices:
            raise _fail(self.name, "choices are empty", "give at least one choice (or fix the parameter)")
        bad = [c for c in self.choices if not isinstance(c, _SCALARS)]
        if bad:
            raise _fail(self.name, f"choice {bad[0]!r} is not a str/int/float/bool", "use plain values")
        if len(set(self.choices)) != len(self.choices):
            raise _fail(self.name, f"choices {list(self.choices)!r} repeat a value", "list each choice once")

    def _check_bounds(self) -> None:
        lo, hi = self.low, self.high
        if lo is None or hi is None:
            raise _fail(self.name, "low and high are required", "give both bounds (or fix the parameter)")
        numbers = (int,) if self.kind == "int" else (int, float)
        for label, v in (("low", lo), ("high", hi)):
            if isinstance(v, bool) or not isinstance(v, numbers) or not math.isfinite(v):
                raise _fail(self.name, f"{label}={v!r} is not a finite {self.kind}", f"give a {self.kind} bound")
        if self.log and lo <= 0:
            raise _fail(
                self.name,
                f"a log scale needs low > 0, got low={lo!r}",
                "use a positive lower bound (e.g. 1e-6) or log=False",
            )
        if lo >= hi:
            raise _fail(
                self.name, f"low={lo!r} must be < high={hi!r}", "swap or widen the bounds, or fix the parameter"
            )

    @property
    def is_fixed(self) -> bool:
        return self.fixed is not None

    def distribution(self) -> BaseDistribution:
        """The Optuna distribution (a fixed parameter is a single-value distribution)."""
        if self.kind == "categorical":
            return CategoricalDistribution([self.fixed] if self.is_fixed else list(self.choices))
        if self.kind == "int":
            if self.is_fixed:
                return IntDistribution(self.fixed, self.fixed)
            return IntDistribution(int(self.low), int(self.high), log=self.log)
        if self.is_fixed:
            return FloatDistribution(float(self.fixed), float(self.fixed))
        return FloatDistribution(float(self.low), float(self.high), log=self.log)

    def values(self) -> tuple[Any, ...]:
        """The values this parameter can take when it is categorical or fixed."""
        return (self.fixed,) if self.is_fixed else self.choices

    def describe(self) -> dict[str, Any]:
        """The export schema's description: {type, low, high, log, choices} (+ fixed, when)."""
        return {
            "type": self.kind,
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "choices": list(self.choices) if self.choices else None,
            "fixed": self.fixed,
            "when": [self.when[0], list(self.when[1])] if self.when else None,
        }

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **self.describe()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ParamSpec:
        check_param_data(d, _KEYS)
        when = d.get("when")
        return cls(
            name=d["name"],
            kind=d.get("type", d.get("kind", "float")),
            low=d.get("low"),
            high=d.get("high"),
            log=bool(d.get("log", False)),
            choices=tuple(d.get("choices") or ()),
            fixed=d.get("fixed"),
            when=(when[0], tuple(when[1])) if when else None,
        )


@dataclass(frozen=True)
class SearchSpace:
    """An ordered set of parameters; see the module docstring."""

    params: tuple[ParamSpec, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", tuple(self.params))
        if not self.params:
            raise ValueError("search space: no parameters; add at least one ParamSpec")
        seen: dict[str, ParamSpec] = {}
        for p in self.params:
            if p.name in seen:
                raise _fail(p.name, "the name appears twice", "give each parameter a distinct name")
            if p.when is not None:
                self._check_condition(p, seen)
            seen[p.name] = p
        opt = seen.get("optimizer")
        if opt is not None:
            unknown = [v for v in opt.values() if not isinstance(v, str) or v.lower() not in OPTIMIZERS]
            if unknown:
                raise _fail(
                    "optimizer", f"unknown optimizer {unknown[0]!r}", f"choose from {', '.join(OPTIMIZERS)}"
                )

    @staticmethod
    def _check_condition(p: ParamSpec, earlier: Mapping[str, ParamSpec]) -> None:
        parent_name, values = p.when  # type: ignore[misc]
        parent = earlier.get(parent_name)
        if parent is None or parent.kind != "categorical":
            raise _fail(p.name, f"its condition names {parent_name!r}", "name an EARLIER categorical parameter")
        if not values:
            raise _fail(p.name, "its condition lists no value", f"list values of {parent_name!r}")
        allowed = list(parent.choices) or list(parent.values())
        missing = [v for v in values if v not in allowed]
        if missing:
            raise _fail(
                p.name,
                f"its condition value {missing[0]!r} is not a choice of {parent_name!r}",
                f"use values among {allowed!r}",
            )

    # -- lookups ---------------------------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def __getitem__(self, name: str) -> ParamSpec:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"search space has no parameter {name!r}; known: {', '.join(self.names)}")

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __len__(self) -> int:
        return len(self.params)

    def is_active(self, p: ParamSpec, values: Mapping[str, Any]) -> bool:
        """Whether ``p`` applies given the values of the parameters before it."""
        if p.when is None:
            return True
        parent, allowed = p.when
        return parent in values and values[parent] in allowed

    def active(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` restricted to the parameters active under them, in space order."""
        out: dict[str, Any] = {}
        for p in self.params:
            if p.name in values and self.is_active(p, out):
                out[p.name] = values[p.name]
        return out

    def distributions(self) -> dict[str, BaseDistribution]:
        """Every parameter (conditional ones included) as an Optuna distribution."""
        return {p.name: p.distribution() for p in self.params}

    # -- derived spaces and plain data ------------------------------------------------------------------------
    def fix(self, **values: Any) -> SearchSpace:
        """A copy with the named parameters pinned to the given values."""
        unknown = [k for k in values if k not in self.names]
        if unknown:
            raise _fail(unknown[0], "is not in the space", f"fix one of {', '.join(self.names)}")
        return SearchSpace(
            tuple(replace(p, fixed=values[p.name]) if p.name in values else p for p in self.params)
        )

    def describe(self) -> dict[str, dict[str, Any]]:
        return {p.name: p.describe() for p in self.params}

    def to_dict(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.params]

    @classmethod
    def from_dict(cls, data: Iterable[Mapping[str, Any]]) -> SearchSpace:
        if not isinstance(data, list | tuple):
            raise ValueError(f"search space: {short(data)} is not a list of parameters; give a list of "
                             '{"name": ..., "low": ..., "high": ...} objects')
        return cls(tuple(ParamSpec.from_dict(d) for d in data))



def suggest(trial: optuna.trial.BaseTrial, space: SearchSpace) -> dict[str, Any]:
    """Ask ``trial`` for every active parameter of ``space`` (fixed ones included); returns the values."""
    values: dict[str, Any] = {}
    for p in space.params:
        if not space.is_active(p, values):
            continue
        if p.kind == "categorical":
            values[p.name] = trial.suggest_categorical(p.name, list(p.values()))
        elif p.kind == "int":
            lo, hi = (p.fixed, p.fixed) if p.is_fixed else (int(p.low), int(p.high))
            values[p.name] = trial.suggest_int(p.name, lo, hi, log=p.log and not p.is_fixed)
        else:
            lo, hi = (p.fixed, p.fixed) if p.is_fixed else (p.low, p.high)
            values[p.name] = trial.suggest_float(p.name, float(lo), float(hi), log=p.log and not p.is_fixed)
    return values


def book_space(
    *, lr: tuple[float, float] = (1e-6, 1e-2), weight_decay: tuple[float, float] = (1e-8, 1e-4)
) -> SearchSpace:
    """The book's §6.5 space: weight decay 10^U(-8,-4) then learning rate 10^U(-6,-2), drawn in that order."""
    return SearchSpace(
        (
            ParamSpec("weight_decay", low=weight_decay[0], high=weight_decay[1], log=True),
            ParamSpec("lr", low=lr[0], high=lr[1], log=True),
        )
    )


def wide_space(*, conditionals: bool = True) -> SearchSpace:
    """Learning rate, weight decay, init scale and optimizer, with each optimizer's own knobs if asked."""
    params = [
        ParamSpec("lr", low=1e-6, high=1e-2, log=True),
        ParamSpec("weight_decay", low=1e-8, high=1e-4, log=True),
        ParamSpec("init_scale", low=1e-2, high=1e1, log=True),
        ParamSpec("optimizer", kind="categorical", choices=tuple(OPTIMIZERS)),
    ]
    if conditionals:
        params += [
            ParamSpec("momentum", low=0.5, high=0.99, when=("optimizer", ("momentum", "nesterov"))),
            ParamSpec("beta1", low=0.8, high=0.99, when=("optimizer", ("adam",))),
            ParamSpec("beta2", low=0.9, high=0.9999, when=("optimizer", ("adam",))),
            ParamSpec("rho", low=0.9, high=0.999, when=("optimizer", ("rmsprop",))),
        ]
    return SearchSpace(tuple(params))
