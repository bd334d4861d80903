"""A grid of learning curves to be built once (a tabular benchmark): its axes, fixed parameters and settings.

A :class:`TableDef` is data: the objective that trains a cell (``table-mlp``: the registered ``mlp`` trial,
``table-cnn``: the ``cnn`` trial, each followed by one score on the TEST split), the objective settings every
cell trains under, an ordered tuple of :class:`Axis` (a parameter name, its grid values and how an off-grid
value snaps to them), the parameters every cell fixes, the values a task's space may leave out (the
objective's defaults) and the number of training replicates per cell. The book's grids are
:func:`mlp_table`'s four axes (lr, weight decay, optimizer, init scale); other grids name their own.

Snapping (:meth:`Axis.snap`): a ``log`` axis takes the nearest grid value in log10 units, a ``linear`` axis
the nearest in plain units (outside the grid: its edge; an exact tie: the lower value); a ``categorical`` axis
takes only its own values.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hpsearch.objectives.mlp import ObjectiveSettings
from hpsearch.objectives.settings import TrainingSettings
from hpsearch.space import ParamSpec, SearchSpace

__all__ = ["Axis", "SCALES", "TableDef", "decades", "mlp_table"]

SCALES = ("log", "linear", "categorical")
SETTINGS_CLASSES = {"table-mlp": ObjectiveSettings}  # objective -> settings class; table-cnn added lazily


def decades(low_exp: float, high_exp: float, per_decade: int) -> tuple[float, ...]:
    """Grid values 10^e for e from ``low_exp`` to ``high_exp`` in steps of 1/``per_decade`` (12 significant
    digits, so values print and round-trip cleanly)."""
    n = int(round((high_exp - low_exp) * per_decade)) + 1
    return tuple(float(f"{10.0 ** e:.12g}") for e in np.linspace(low_exp, high_exp, n))


def _number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_)


@dataclass(frozen=True)
class Axis:
    """One grid axis: parameter ``name``, its distinct ``values`` (increasing for numeric scales) and ``scale``."""

    name: str
    values: tuple[Any, ...]
    scale: str = "categorical"

    def __post_init__(self) -> None:
        values = tuple(self.values)
        object.__setattr__(self, "values", values)
        if self.scale not in SCALES:
            raise ValueError(f"axis {self.name}: scale={self.scale!r} is unknown; use one of {', '.join(SCALES)}")
        if not values or len(set(values)) != len(values):
            raise ValueError(f"axis {self.name} needs distinct values, got {values!r}")
        if self.scale != "categorical":
            if not all(_number(v) for v in values) or list(values) != sorted(values):
                raise ValueError(f"axis {self.name} needs increasing numbers, got {values!r}")
            if self.scale == "log" and min(values) <= 0:
                raise ValueError(f"axis {self.name} needs increasing positive values on a log scale, got {values!r}")

    def snap(self, value: Any, table: str = "table") -> int:
        """The index of the grid value ``value`` snaps to (see the module docstring)."""
        if self.scale == "categorical":
            if value not in self.values:
                raise ValueError(f"{table}: {self.name}={value!r} is not on the grid {list(self.values)}")
            return self.values.index(value)
        if not _number(value) or not math.isfinite(float(value)):
            raise ValueError(f"{table}: {self.name}={value!r} is not a number on the grid {list(self.values)}")
        grid = np.asarray(self.values, dtype=float)
        if self.scale == "log":
            if not float(value) > 0:
                raise ValueError(f"{table}: {self.name}={value!r} cannot snap in log10 units")
            grid, value = np.log10(grid), math.log10(float(value))
        return int(np.argmin(np.abs(grid - float(value))))  # argmin: the first (lower) value on a tie

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "values": list(self.values), "scale": self.scale}


@dataclass(frozen=True)
class TableDef:
    """A grid of full learning curves: every cell of ``axes`` trained ``replicates`` times by ``objective``
    under ``settings``, with ``fixed`` parameters. ``defaults``: values for parameters a task's space lacks.
    Built once by :func:`hpsearch.benchmark.table.build_table`."""

    name: str
    settings: TrainingSettings = field(default_factory=ObjectiveSettings)
    axes: tuple[Axis, ...] = ()
    objective: str = "table-mlp"
    fixed: Mapping[str, Any] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    replicates: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "axes", tuple(self.axes))
        object.__setattr__(self, "fixed", dict(self.fixed))
        object.__setattr__(self, "defaults", dict(self.defaults))
        names = [a.name for a in self.axes]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"table {self.name!r}: give one or more axes with distinct names, got {names}")
        both = sorted(set(names) & set(self.fixed))
        if both:
            raise ValueError(f"table {self.name!r}: {both[0]!r} is both an axis and fixed; keep one")
        if isinstance(self.replicates, bool) or not isinstance(self.replicates, int) or self.replicates < 1:
            raise ValueError(f"table {self.name!r}: replicates={self.replicates!r} must be an integer >= 1")

    def __hash__(self) -> int:  # fixed/defaults are dicts: hash the JSON-like form
        return hash(repr(self.to_dict()))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.axes)

    def axis(self, name: str) -> Axis:
        for a in self.axes:
            if a.name == name:
                return a
        raise ValueError(f"table {self.name!r} has no axis {name!r}; its axes are {list(self.names)}")

    def values(self, name: str) -> tuple[Any, ...]:
        """The values a cell may hold for ``name``: an axis's values, a fixed value or a default (one each)."""
        if name in self.names:
            return self.axis(name).values
        for source in (self.fixed, self.defaults):
            if name in source:
                return (source[name],)
        raise ValueError(f"table {self.name!r} has no value for {name!r}; its axes are {list(self.names)}")

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(a.values) for a in self.axes)

    @property
    def n_cells(self) -> int:
        return int(np.prod(self.shape))

    def grid_space(self) -> SearchSpace:
        """The grid as a search space (categorical axes of exact values, the fixed parameters fixed) for a
        ``grid`` study."""
        return SearchSpace(tuple(ParamSpec(a.name, kind="categorical", choices=a.values) for a in self.axes)
                           + tuple(ParamSpec(k, kind="categorical", fixed=v) for k, v in self.fixed.items()))

    def task_space(self) -> SearchSpace:
        """The grid's box as a search space: numeric axes between their end values (log or linear), categorical
        axes with their values, the fixed parameters fixed."""
        params = []
        for a in self.axes:
            if a.scale == "categorical":
                params.append(ParamSpec(a.name, kind="categorical", choices=a.values))
            else:
                kind = "int" if all(isinstance(v, int) for v in a.values) else "float"
                params.append(ParamSpec(a.name, kind=kind, low=a.values[0], high=a.values[-1], log=a.scale == "log"))
        return SearchSpace(tuple(params) + tuple(ParamSpec(k, kind="categorical", fixed=v)
                                                 for k, v in self.fixed.items()))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "objective": self.objective, "settings": self.settings.to_dict(),
                "axes": [a.to_dict() for a in self.axes], "fixed": dict(self.fixed),
                "defaults": dict(self.defaults), "replicates": self.replicates}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TableDef:
        if "axes" not in d:  # format 1: the four MLP axes as top-level keys
            return mlp_table(d["name"], settings=ObjectiveSettings.from_dict(d["settings"]),
                             replicates=d["replicates"], **{k: tuple(d[k]) for k in MLP_AXES})
        objective = d.get("objective", "table-mlp")
        settings_cls = settings_class(objective)
        return cls(name=d["name"], settings=settings_cls.from_dict(d["settings"]), objective=objective,
                   axes=tuple(Axis(a["name"], tuple(a["values"]), a["scale"]) for a in d["axes"]),
                   fixed=d.get("fixed") or {}, defaults=d.get("defaults") or {}, replicates=d["replicates"])


def settings_class(objective: str) -> type:
    """The settings class of a table objective (``table-cnn`` is imported on first use)."""
    if objective not in SETTINGS_CLASSES and objective == "table-cnn":
        from hpsearch.objectives.cnn import CnnSettings

        SETTINGS_CLASSES["table-cnn"] = CnnSettings
    try:
        return SETTINGS_CLASSES[objective]
    except KeyError:
        raise ValueError(f"table objective {objective!r} is unknown; use one of table-mlp, table-cnn") from None


MLP_AXES = ("lr", "weight_decay", "optimizer", "init_scale")  # the book grids' axes, in storage order


def mlp_table(name: str, *, settings: ObjectiveSettings | None = None,
              lr: Sequence[float] = decades(-6, -1, 3), weight_decay: Sequence[float] = decades(-8, -4, 1),
              optimizer: Sequence[str] = ("sgd", "momentum", "adagrad", "adam"),
              init_scale: Sequence[float] = decades(-0.5, 0.5, 2), replicates: int = 2) -> TableDef:
    """A grid of the ``mlp`` trial over lr x weight decay x optimizer x init scale (the book's grids); a
    space without optimizer or init scale trains with the objective's sgd and 1."""
    return TableDef(name, settings=settings if settings is not None else ObjectiveSettings(),
                    axes=(Axis("lr", tuple(lr), "log"), Axis("weight_decay", tuple(weight_decay), "log"),
                          Axis("optimizer", tuple(optimizer)), Axis("init_scale", tuple(init_scale), "log")),
                    defaults={"optimizer": "sgd", "init_scale": 1.0}, replicates=replicates)
