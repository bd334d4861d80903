"""What every network-training objective shares: its result type, its parameters, and one trial's training.

:func:`train_trial` builds a net with the objective's builder, trains it with netcore's trainer (an epoch
callback reports each evaluation, and may stop training: pruning) and scores it on the whole validation
split. Divergence is a result (``diverged=True``) with a finite score: the validation accuracy measured at
the step of divergence. The ``mlp`` and ``cnn`` objectives are this plus a builder. No Optuna here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import numpy as np

from hpsearch.checks import non_negative, positive
from hpsearch.objectives.data import load_data
from hpsearch.objectives.settings import TrainingSettings
from netcore.optim import make_optimizer
from netcore.optim_base import check_lr, check_unit
from netcore.trainer import History, TrainData, train

__all__ = [
    "CURVES", "PARAM_LIMITS", "TRAINING_PARAMS", "EpochHook", "TrialResult", "dropout_ratio", "resolve",
    "train_trial",
]

# params the objective understands -> (optimizers it applies to or None for all, netcore keyword)
_OPTIMIZER_KNOBS = {
    "momentum": (("momentum", "nesterov"), "momentum"),
    "beta1": (("adam",), "beta1"),
    "beta2": (("adam",), "beta2"),
    "rho": (("rmsprop",), "decay_rate"),
}
TRAINING_PARAMS = ("lr", "weight_decay", "init_scale", "optimizer", *_OPTIMIZER_KNOBS)
# what netcore accepts, checked on the space when the spec is built (see hpsearch.checks); cnn shares them
PARAM_LIMITS = {"lr": check_lr, "weight_decay": non_negative("weight_decay"), "init_scale": positive("init_scale"),
                **{name: partial(check_unit, name) for name in (*_OPTIMIZER_KNOBS, "dropout")}}
CURVES = ("train_acc", "val_acc", "train_loss", "val_loss")

EpochHook = Callable[[int, float], bool | None]
Builder = Callable[[Mapping[str, Any], Any, TrainData, np.random.Generator], Any]


@dataclass(frozen=True)
class TrialResult:
    """What one trial produced. ``value`` is the final validation accuracy (finite even when diverged)."""

    value: float
    best_val_acc: float
    diverged: bool
    stopped: bool
    epochs_run: int
    samples: int
    seconds: float
    curves: dict[str, list[float]]
    step: list[int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def resolve(params: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """``params`` checked against ``names``, with the defaults every model family shares filled in."""
    unknown = sorted(set(params) - set(names))
    if unknown:
        raise ValueError(f"objective: parameter {unknown[0]!r} is unknown; use names among {names}")
    if "lr" not in params:
        raise ValueError("objective: no learning rate; put 'lr' in the space (fix it to pin one value)")
    return {"optimizer": "sgd", "init_scale": 1.0, "weight_decay": 0.0, **params}


def dropout_ratio(values: Mapping[str, Any]) -> float | None:
    """The ``dropout`` parameter as netcore takes it: None (no dropout layer) for a missing or zero ratio."""
    ratio = float(values.get("dropout", 0.0) or 0.0)
    return ratio if ratio > 0.0 else None


def _optimizer(values: Mapping[str, Any]):
    name = str(values.get("optimizer", "sgd")).lower()
    knobs = {
        kw: float(values[p]) for p, (opts, kw) in _OPTIMIZER_KNOBS.items() if p in values and name in opts
    }
    return make_optimizer(name, lr=float(values["lr"]), **knobs)


def train_trial(
    values: Mapping[str, Any],
    settings: TrainingSettings,
    *,
    build: Builder,
    seed: int,
    on_epoch: EpochHook | None,
    data: TrainData | None = None,
) -> tuple[Any, TrialResult]:
    """Build a net with ``build(values, settings, data, rng)``, train it, and score it.

    The score is the accuracy on the whole validation split: when the evaluations used a subsample
    (``eval_val_n``) or the settings score with test-time flip averaging (``tta_flip``, which the evaluations
    during training leave out: the pruners compare plain curves), the finished net is evaluated once more on
    all of it (not after divergence or pruning); the net returned keeps ``flip_average`` set.
    """
    data = load_data(settings) if data is None else data
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    net = build(values, settings, data, rng)
    callbacks = ()
    if on_epoch is not None:
        callbacks = (lambda epoch, h: on_epoch(epoch, h.val_acc[-1]),)
    hist = train(net, _optimizer(values), data, settings.train_config(), rng=rng, callbacks=callbacks)
    value = hist.val_acc[-1] if hist.val_acc else 0.0
    subsampled = settings.eval_val_n is not None and settings.eval_val_n < len(data.x_val)
    net.flip_average = bool(getattr(settings, "tta_flip", False))  # the score and a later test score, not the curves
    if (subsampled or net.flip_average) and not hist.diverged and not hist.stopped:
        value = net.evaluate(data.x_val, data.t_val, batch_size=settings.train_config().eval_batch_size)[0]
    return net, _result(hist, float(value), time.perf_counter() - t0)


def _result(hist: History, value: float, seconds: float) -> TrialResult:
    val = [float(v) for v in hist.val_acc]
    curves = {name: [float(v) for v in getattr(hist, name)] for name in CURVES}
    return TrialResult(
        value=float(value),
        best_val_acc=max(val) if val else 0.0,
        diverged=bool(hist.diverged),
        stopped=bool(hist.stopped),
        epochs_run=len(val),
        samples=int(hist.samples),
        seconds=float(seconds),
        curves=curves,
        step=[int(s) for s in hist.step],
    )
