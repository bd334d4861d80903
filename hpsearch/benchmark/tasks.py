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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hpsearch.benchmark.grid import TableDef, decades, mlp_table
from hpsearch.objectives.mlp import ObjectiveSettings
from hpsearch.objectives.settings import TrainingSettings
from hpsearch.registry import Registry
from hpsearch.space import ParamSpec, SearchSpace, book_space

__all__ = ["TableDef", "Task", "TABLES", "TASKS", "DEFAULT_TASKS", "get_table_def", "get_task", "register_table",
           "register_task", "decades"]


@dataclass(frozen=True)
class Task:
    """One benchmark task: ``space`` searched with trials of ``objective`` run under ``settings``; replays read
    ``table``. ``priors``: configurations a warm-started method tries first (``{"params", "source"}`` each);
    ``target``: the validation score time-to-target counts to (None: the reference method's median final best).
    """

    name: str
    space: SearchSpace
    settings: TrainingSettings = field(default_factory=ObjectiveSettings)
    table: str = "book"
    description: str = ""
    objective: str = "mlp"
    priors: tuple[Mapping[str, Any], ...] = ()
    target: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "priors", tuple(dict(p) for p in self.priors))
        if self.target is not None and not 0.0 < float(self.target) <= 1.0:
            raise ValueError(f"task {self.name!r}: target={self.target!r} must be a validation score in (0, 1]")

    def __hash__(self) -> int:
        return hash((self.name, self.table, self.objective))

    @property
    def evals_per_epoch(self) -> int:
        """Evaluations a trial reports per epoch (a replay's and a pruner's resource unit)."""
        return getattr(self.settings, "n_evals", self.settings.epochs) // self.settings.epochs

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "space": self.space.to_dict(), "settings": self.settings.to_dict(),
                "table": self.table, "description": self.description, "objective": self.objective,
                "priors": [dict(p) for p in self.priors], "target": self.target}


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

register_table(mlp_table("book"))
register_table(mlp_table("fashion", settings=FASHION, optimizer=("sgd",), init_scale=(1.0,)))

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
