"""The registry of objectives: the one place an objective name becomes a settings class and a function.

A study's spec names its objective (``StudySpec.objective``, default ``"mlp"``: the book's section 6.5 trial).
An objective is plain data plus a plain function:

* ``settings_cls``: a frozen dataclass with ``to_dict()`` / ``from_dict()`` and an ``epochs`` attribute (the
  number of evaluations, which pruners use as the maximum resource);
* ``evaluate(params, settings, *, seed, on_epoch=None) -> TrialResult`` — no Optuna inside;
* ``param_names``: the parameters it understands (a spec's space may use no others);
* ``direction``: ``"maximize"`` or ``"minimize"`` for its ``TrialResult.value``;
* ``required``: the parameters every space must hold (fixed or searched);
* ``limits``: parameter name -> a check raising ValueError for a value it cannot train with, applied to the
  space's fixed values, choices and bounds when a spec is built (:mod:`hpsearch.checks`);
* ``metric``: what ``TrialResult.value`` is, stored as the study's metric name (optuna-dashboard shows it);
* ``fit(params, settings, *, seed, on_epoch=None, data=None) -> (net, TrialResult)`` and
  ``test_split(settings) -> (x, t)`` (optional): what scoring a study's final pick on test needs
  (:mod:`hpsearch.final`).

Experiments (optimizer curves, batch norm, overfitting, ...) register their own objectives with
:func:`register`, in the module that defines them; :func:`get_objective` imports those modules lazily.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hpsearch.checks import Limit
from hpsearch.objectives.data import load_test
from hpsearch.objectives.mlp import PARAM_NAMES, ObjectiveSettings, evaluate, fit
from hpsearch.objectives.training import PARAM_LIMITS
from hpsearch.registry import Registry

__all__ = ["Objective", "OBJECTIVES", "register", "get_objective"]


@dataclass(frozen=True)
class Objective:
    name: str
    settings_cls: type
    evaluate: Callable
    param_names: tuple[str, ...]
    direction: str = "maximize"
    required: tuple[str, ...] = ()
    metric: str = "value"
    fit: Callable | None = None
    test_split: Callable | None = None
    limits: Mapping[str, Limit] = field(default_factory=dict)  # param -> check raising ValueError (hpsearch.checks)

    def __post_init__(self) -> None:
        if self.direction not in ("maximize", "minimize"):
            raise ValueError(f"objective {self.name!r}: direction={self.direction!r}; use maximize or minimize")


OBJECTIVES: Registry[Objective] = Registry("objective", Objective)

# objectives defined outside this module: name -> module that registers it on import
_LAZY: dict[str, str] = {}


def register(objective: Objective, *, replace: bool = False) -> Objective:
    """Add ``objective`` to the registry (a second registration of a name needs ``replace=True``)."""
    return OBJECTIVES.add(objective, replace=replace)


def lazy(name: str, module: str) -> None:
    """Declare that importing ``module`` registers objective ``name`` (keeps worker start-up light)."""
    _LAZY[name] = module


def get_objective(name: str) -> Objective:
    """The objective called ``name``; a clear error lists the known names."""
    if name not in OBJECTIVES and name in _LAZY:
        importlib.import_module(_LAZY[name])
    return OBJECTIVES.lookup(name, known=sorted({*OBJECTIVES, *_LAZY}))


register(Objective("mlp", ObjectiveSettings, evaluate, PARAM_NAMES, required=("lr",), metric="val_acc", fit=fit,
                   test_split=load_test, limits=PARAM_LIMITS))
lazy("cnn", "hpsearch.objectives.cnn")  # the conv-net family (imports netcore's conv layers only where needed)

# the book's chapter-6 experiments (hpsearch/experiments/): imported by the processes that need them
lazy("surface2d", "hpsearch.experiments.surface2d")
lazy("mnist-curves", "hpsearch.experiments.optimizer_curves")
lazy("activation-hist", "hpsearch.experiments.weight_init")
lazy("batch-norm", "hpsearch.experiments.batch_norm")
lazy("overfit", "hpsearch.experiments.overfit")
lazy("mlp-test", "hpsearch.experiments.fair")
lazy("table-mlp", "hpsearch.benchmark.scoring")  # mlp plus one test score: the tabular benchmark grids
lazy("table-cnn", "hpsearch.benchmark.scoring")  # cnn plus one test score: the real-size grid
