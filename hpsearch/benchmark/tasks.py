"""The registry of benchmark tasks, and of the grids (tabular benchmarks) their replays read.

A :class:`Task` is a search space plus the objective settings every trial of it uses (data, network,
epochs); it names the :class:`TableDef` whose grid covers its space, so the same task runs live (real
training) or in replay (look-ups in the table). Tasks:

* ``book``: the book's section 6.5 search (weight decay 10^U(-8,-4), lr 10^U(-6,-2), SGD, He init x 1) on
  500 of the embedded MNIST digits (400 train / 100 validation), 784-100x6-10, 50 epochs of batch 100;
* ``fashion``: the same search and trial on 500 images of the full Fashion-MNIST training set;
* ``lr-<optimizer>`` (sgd, momentum, adagrad, adam): the learning rate alone, lr 10^U(-6,-1), with weight
  decay 1e-6 and init scale 1 fixed (their grid values);
* ``wide``: lr x weight decay x init scale (10^[-0.5, 0.5]) x optimizer (the four above).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hpsearch.objectives.mlp import ObjectiveSettings
from hpsearch.registry import Registry
from hpsearch.space import ParamSpec, SearchSpace, book_space

__all__ = ["AXES", "TableDef", "Task", "TABLES", "TASKS", "DEFAULT_TASKS", "get_table_def", "get_task",
           "register_table", "register_task", "decades"]

AXES = ("lr", "weight_decay", "optimizer", "init_scale")  # the grid's axes, in storage order
LOG_AXES = ("lr", "weight_decay", "init_scale")  # snapped in log10 units


def decades(low_exp: float, high_exp: float, per_decade: int) -> tuple[float, ...]:
    """Grid values 10^e for e from ``low_exp`` to ``high_exp`` in steps of 1/``per_decade`` (12 significant
    digits, so values print and round-trip cleanly)."""
    n = int(round((high_exp - low_exp) * per_decade)) + 1
    return tuple(float(f"{10.0 ** e:.12g}") for e in np.linspace(low_exp, high_exp, n))


@dataclass(frozen=True)
class TableDef:
    """A grid of full learning curves: every (lr, weight_decay, optimizer, init_scale) cell trained with
    ``replicates`` training seeds under ``settings``. Built once by :func:`hpsearch.benchmark.table.build_table`."""

    name: str
    settings: ObjectiveSettings = field(default_factory=ObjectiveSettings)
    lr: tuple[float, ...] = decades(-6, -1, 3)
    weight_decay: tuple[float, ...] = decades(-8, -4, 1)
    optimizer: tuple[str, ...] = ("sgd", "momentum", "adagrad", "adam")
    init_scale: tuple[float, ...] = decades(-0.5, 0.5, 2)
    replicates: int = 2

    def __post_init__(self) -> None:
        for name in AXES:
            values = tuple(getattr(self, name))
            object.__setattr__(self, name, values)
            if not values or len(set(values)) != len(values):
                raise ValueError(f"table {self.name!r}: axis {name} needs distinct values, got {values!r}")
            if name in LOG_AXES and (min(values) <= 0 or list(values) != sorted(values)):
                raise ValueError(f"table {self.name!r}: axis {name} needs increasing positive values")
        if isinstance(self.replicates, bool) or not isinstance(self.replicates, int) or self.replicates < 1:
            raise ValueError(f"table {self.name!r}: replicates={self.replicates!r} must be an integer >= 1")

    def axes(self) -> dict[str, tuple[Any, ...]]:
        return {name: getattr(self, name) for name in AXES}

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(getattr(self, name)) for name in AXES)

    @property
    def n_cells(self) -> int:
        return int(np.prod(self.shape))

    def grid_space(self) -> SearchSpace:
        """The grid as a search space of categorical axes (exact values) for a ``grid`` study."""
        return SearchSpace(tuple(ParamSpec(name, kind="categorical", choices=getattr(self, name)) for name in AXES))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "settings": self.settings.to_dict(), "replicates": self.replicates,
                **{name: list(getattr(self, name)) for name in AXES}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TableDef:
        return cls(name=d["name"], settings=ObjectiveSettings.from_dict(d["settings"]), replicates=d["replicates"],
                   **{name: tuple(d[name]) for name in AXES})


@dataclass(frozen=True)
class Task:
    """One benchmark task: ``space`` searched with trials run under ``settings``; replays read ``table``."""

    name: str
    space: SearchSpace
    settings: ObjectiveSettings = field(default_factory=ObjectiveSettings)
    table: str = "book"
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "space": self.space.to_dict(), "settings": self.settings.to_dict(),
                "table": self.table, "description": self.description}


TABLES: Registry[TableDef] = Registry("table", TableDef)
TASKS: Registry[Task] = Registry("task", Task)


def register_table(defn: TableDef, *, replace: bool = False) -> TableDef:
    """Add ``defn`` to the table registry (re-registering a name needs ``replace=True``)."""
    return TABLES.add(defn, replace=replace)


def register_task(task: Task, *, replace: bool = False) -> Task:
    """Add ``task`` to the task registry (re-registering a name needs ``replace=True``)."""
    return TASKS.add(task, replace=replace)


def get_task(name: str | Task) -> Task:
    """The task called ``name`` (a Task passes through); the error lists the known names."""
    return TASKS.lookup(name)


def get_table_def(name: str | TableDef) -> TableDef:
    """The table definition called ``name`` (a TableDef passes through); the error lists the known names."""
    return TABLES.lookup(name)


def lr_space(optimizer: str, *, lr: tuple[float, float] = (1e-6, 1e-1)) -> SearchSpace:
    """The learning rate alone; weight decay 1e-6, init scale 1 and the optimizer fixed."""
    return SearchSpace((
        ParamSpec("lr", low=lr[0], high=lr[1], log=True),
        ParamSpec("weight_decay", fixed=1e-6),
        ParamSpec("init_scale", fixed=1.0),
        ParamSpec("optimizer", kind="categorical", fixed=optimizer),
    ))


def wide_task_space(optimizers: tuple[str, ...] = ("sgd", "momentum", "adagrad", "adam")) -> SearchSpace:
    """lr 10^[-6,-1], weight decay 10^[-8,-4], init scale 10^[-0.5,0.5], optimizer among ``optimizers``."""
    return SearchSpace((
        ParamSpec("lr", low=1e-6, high=1e-1, log=True),
        ParamSpec("weight_decay", low=1e-8, high=1e-4, log=True),
        ParamSpec("init_scale", low=10**-0.5, high=10**0.5, log=True),
        ParamSpec("optimizer", kind="categorical", choices=optimizers),
    ))


FASHION = ObjectiveSettings(dataset="fashion-mnist")

register_table(TableDef("book"))
register_table(TableDef("fashion", settings=FASHION, optimizer=("sgd",), init_scale=(1.0,)))

register_task(Task("book", book_space(), ObjectiveSettings(), "book",
                   "the book's section 6.5 search on 500 embedded MNIST digits"))
register_task(Task("fashion", book_space(), FASHION, "fashion",
                   "the book's search on 500 images of the full Fashion-MNIST training set"))
for _opt in ("sgd", "momentum", "adagrad", "adam"):
    register_task(Task(f"lr-{_opt}", lr_space(_opt), ObjectiveSettings(), "book",
                       f"learning rate alone, {_opt}, weight decay 1e-6, init scale 1"))
register_task(Task("wide", wide_task_space(), ObjectiveSettings(), "book",
                   "lr x weight decay x init scale x optimizer (sgd, momentum, adagrad, adam)"))

DEFAULT_TASKS: tuple[str, ...] = tuple(TASKS)
