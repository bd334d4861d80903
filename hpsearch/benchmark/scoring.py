"""The objectives that build grid tables: a registered trial, then one score on the TEST split.

``table-mlp`` trains the ``mlp`` trial and ``table-cnn`` the ``cnn`` trial, each exactly as a study's trial
(same seed, same curves), then scores the trained net once on the dataset's test split, stored as the curve
``test_acc`` (NaN at every evaluation but the last; NaN throughout for a trial stopped early). The curve
``seconds`` holds the seconds the trial had spent at each evaluation (since it started, its net built), the
cost a cost-aware pruner replays. The worker's ``on_epoch`` hook is passed on, so a table's build stops at the
next evaluation when asked (Ctrl-C) and resumes that cell later.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from hpsearch.objectives import cnn, mlp
from hpsearch.objectives.data import load_test
from hpsearch.objectives.registry import Objective, register
from hpsearch.objectives.training import PARAM_LIMITS, TrialResult

__all__ = ["evaluate_cnn_with_test", "evaluate_with_test"]


def _with_test(fit: Callable, test_split: Callable, params: Mapping[str, Any], settings: Any, *, seed: int,
               on_epoch: Callable | None) -> TrialResult:
    spent: list[float] = []
    t0 = time.perf_counter()

    def hook(epoch: int, val_acc: float) -> bool | None:
        spent.append(round(time.perf_counter() - t0, 3))
        return on_epoch(epoch, val_acc) if on_epoch is not None else None

    net, res = fit(params, settings, seed=seed, on_epoch=hook)
    n = max(len(res.curves.get("val_acc", [])), 1)
    test = math.nan
    if not (res.stopped and not res.diverged):  # a trial stopped early (a timing probe) is not scored
        x, t = test_split(settings)
        test = float(net.accuracy(x, t))
    return replace(res, curves={**res.curves, "test_acc": [math.nan] * (n - 1) + [test], "seconds": spent})


def evaluate_with_test(params: Mapping[str, Any], settings: mlp.ObjectiveSettings, *, seed: int,
                       on_epoch: Callable | None = None) -> TrialResult:
    """The ``mlp`` trial, then one score on the test split (see the module docstring)."""
    return _with_test(mlp.fit, load_test, params, settings, seed=seed, on_epoch=on_epoch)


def evaluate_cnn_with_test(params: Mapping[str, Any], settings: cnn.CnnSettings, *, seed: int,
                           on_epoch: Callable | None = None) -> TrialResult:
    """The ``cnn`` trial, then one score on the test split (see the module docstring)."""
    return _with_test(cnn.fit, cnn.test_split, params, settings, seed=seed, on_epoch=on_epoch)


register(Objective("table-mlp", mlp.ObjectiveSettings, evaluate_with_test, mlp.PARAM_NAMES, required=("lr",),
                   metric="val_acc", limits=PARAM_LIMITS))
register(Objective("table-cnn", cnn.CnnSettings, evaluate_cnn_with_test, cnn.CNN_PARAMS, required=("lr",),
                   metric="val_acc", limits={**PARAM_LIMITS, **cnn.ARCH_LIMITS}))
