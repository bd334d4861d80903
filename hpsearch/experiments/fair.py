"""A fair optimizer comparison: the same tuning budget for every optimizer, then scores on held-out test data.

1. Tuning: for each optimizer and tuning seed, one study of the ``mlp`` objective (the book's section 6.5
   trial: training images split into train/validation, SGD-style budget of ``epochs``) over the learning rate
   on a log scale (optionally weight decay too, drawn first as in the book) with the optimizer fixed; every
   optimizer gets the same ``n_trials``, ``epochs``, sampler and ranges (:func:`tuning_spec`).
2. Selection: the best COMPLETE, non-diverged trial by validation accuracy (:func:`best_params`).
3. Scoring: the objective ``mlp-test`` trains a configuration exactly as in tuning and scores it ONCE on the
   dataset's test split (``hpsearch.objectives.mlp.evaluate_on_test``). A grid study over configuration x seed
   (:func:`test_spec`) scores every optimizer's defaults and its tuned configuration(s) on the same seeds.

Configurations are plain data in :class:`TestSettings` (``configs``: label, optimizer, kind "default" or
"tuned", tuning seed, params), so the export's meta holds them for the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from hpsearch.experiments.common import derived_rng
from hpsearch.experiments.grid import grid_space, grid_spec
from hpsearch.objectives.mlp import ObjectiveSettings, evaluate_on_test
from hpsearch.objectives.registry import Objective, register
from hpsearch.objectives.training import TrialResult
from hpsearch.space import ParamSpec, SearchSpace
from hpsearch.spec import StudySpec
from netcore.optim import optimizer_hyperparams

__all__ = ["TestSettings", "best_params", "default_config", "evaluate", "test_spec", "tuned_config",
           "tuning_space", "tuning_spec"]

_KNOBS = {"momentum": "momentum", "beta1": "beta1", "beta2": "beta2", "decay_rate": "rho"}


@dataclass(frozen=True)
class TestSettings:
    """The ``mlp`` settings every configuration trains with, and the table of configurations."""

    base: ObjectiveSettings = ObjectiveSettings()
    configs: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "configs", tuple(dict(c) for c in self.configs))
        labels = [c.get("label") for c in self.configs]
        if len(set(labels)) != len(labels) or None in labels:
            raise ValueError("settings: every configuration needs a distinct 'label'")

    @property
    def epochs(self) -> int:
        return self.base.epochs

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base.to_dict(), "configs": [dict(c) for c in self.configs]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TestSettings:
        unknown = sorted(set(d) - {"base", "configs"})
        if unknown:
            raise ValueError(f"settings: unknown field {unknown[0]!r}; known fields are ['base', 'configs']")
        base = d.get("base", {})
        return cls(base=base if isinstance(base, ObjectiveSettings) else ObjectiveSettings.from_dict(base),
                   configs=tuple(d.get("configs", ())))

    def config(self, label: str) -> Mapping[str, Any]:
        for c in self.configs:
            if c["label"] == label:
                return c
        raise ValueError(f"mlp-test: no configuration {label!r}; known: {[c['label'] for c in self.configs]}")


def default_config(optimizer: str) -> dict[str, Any]:
    """An optimizer at the book's defaults (every hyperparameter), as an ``mlp`` params dict."""
    hp = optimizer_hyperparams(optimizer)
    params: dict[str, Any] = {"optimizer": optimizer, "lr": hp["lr"], "weight_decay": 0.0}
    params.update({_KNOBS[k]: v for k, v in hp.items() if k in _KNOBS})
    return {"label": f"{optimizer}:default", "optimizer": optimizer, "kind": "default", "tuning_seed": None,
            "params": params}


def tuned_config(optimizer: str, tuning_seed: int, params: Mapping[str, Any]) -> dict[str, Any]:
    return {"label": f"{optimizer}:tuned:{tuning_seed}", "optimizer": optimizer, "kind": "tuned",
            "tuning_seed": int(tuning_seed), "params": {k: v for k, v in params.items()}}


def tuning_space(optimizer: str, *, lr: tuple[float, float] = (1e-5, 10.0),
                 weight_decay: tuple[float, float] | None = None) -> SearchSpace:
    """Learning rate on a log scale (and weight decay, drawn first, if a range is given), optimizer fixed;
    the optimizer's other hyperparameters stay at their defaults."""
    params = []
    if weight_decay is not None:
        params.append(ParamSpec("weight_decay", low=weight_decay[0], high=weight_decay[1], log=True))
    params.append(ParamSpec("lr", low=lr[0], high=lr[1], log=True))
    params.append(ParamSpec("optimizer", kind="categorical", fixed=optimizer))
    return SearchSpace(tuple(params))


def tuning_spec(name: str, optimizer: str, settings: ObjectiveSettings, *, n_trials: int, tuning_seed: int,
                sampler: str = "random", lr: tuple[float, float] = (1e-5, 10.0),
                weight_decay: tuple[float, float] | None = None, out_dir: str = "runs") -> StudySpec:
    """The tuning study of one optimizer (the same budget for every optimizer: same arguments)."""
    space = tuning_space(optimizer, lr=lr, weight_decay=weight_decay)
    return StudySpec(name=name, space=space, objective="mlp", settings=settings, n_trials=n_trials,
                     sampler=sampler, seed=int(tuning_seed), out_dir=out_dir)


def best_params(trials: pd.DataFrame) -> dict[str, Any]:
    """The parameters of the best COMPLETE, non-diverged trial of an exported trials table (lowest number
    on ties); falls back to diverged trials when every trial diverged."""
    ok = trials[(trials["state"] == "COMPLETE") & trials["value"].notna()]
    if ok.empty:
        raise ValueError("no COMPLETE trial to pick a configuration from")
    pool = ok[~ok["diverged"].astype(bool)] if (~ok["diverged"].astype(bool)).any() else ok
    best = pool.sort_values(["value", "number"], ascending=[False, True]).iloc[0]
    return {c[len("param_"):]: (v.item() if hasattr(v, "item") else v) for c, v in best.items()
            if str(c).startswith("param_") and pd.notna(v)}


def test_spec(name: str, settings: TestSettings, seeds: Sequence[int], *, out_dir: str = "runs") -> StudySpec:
    """The grid configuration x seed that scores every configuration on the test split."""
    space = grid_space({"config": [c["label"] for c in settings.configs], "seed": list(seeds)})
    return grid_spec(name, "mlp-test", settings, space, out_dir=out_dir)


def evaluate(params: Mapping[str, Any], settings: TestSettings, *, seed: int, on_epoch=None) -> TrialResult:
    """Train configuration ``params['config']`` with the training seed of replicate ``params['seed']`` and
    score it on the test split (value = test accuracy); the training curves are kept."""
    cfg = settings.config(str(params["config"]))
    rep = int(params.get("seed", seed))
    train_seed = int(derived_rng(rep, "test-run").integers(2**31))
    res, test_acc = evaluate_on_test(dict(cfg["params"]), settings.base, seed=train_seed)
    curves = {**res.curves, "test_acc": [test_acc]}
    return TrialResult(value=test_acc, best_val_acc=res.best_val_acc, diverged=res.diverged, stopped=False,
                       epochs_run=res.epochs_run, samples=res.samples, seconds=res.seconds, curves=curves,
                       step=res.step)


register(Objective("mlp-test", TestSettings, evaluate, ("config", "seed"), required=("config",),
                   metric="test_acc"))
