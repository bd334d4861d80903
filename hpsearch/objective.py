"""The ``mlp`` objective: a plain function of (params, fixed settings, seed) -> TrialResult. No Optuna here.

``evaluate`` builds the book's multi-layer net from ``settings`` and ``params`` (optionally with batch norm
and dropout, both searchable), trains it with netcore's trainer and returns the final and best validation
accuracy, the per-evaluation curves, whether training diverged, the samples processed and the wall time.
Divergence is a result (``diverged=True``) with a finite score: the validation accuracy measured at the step
of divergence. :func:`train_trial` is the part every model family shares (the ``cnn`` objective uses it).

The data is the split :class:`hpsearch.settings.TrainingSettings` describes (by default the book's section
6.5 procedure: the first ``n_samples`` images shuffled once with ``split_seed``, the first ``val_fraction``
of them for validation), shared by the workers of a machine (:mod:`hpsearch.trial_data`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import numpy as np

from hpsearch.checks import check_types, non_negative, one_of, positive
from hpsearch.settings import DTYPES, TrainingSettings
from hpsearch.trial_data import load_data, load_test
from netcore.builders import ACTIVATIONS, build_mlp
from netcore.optim import make_optimizer
from netcore.optim_base import check_lr, check_unit
from netcore.trainer import History, TrainData, train

__all__ = [
    "CURVES", "PARAM_LIMITS", "PARAM_NAMES", "ObjectiveSettings", "TrialResult", "evaluate", "evaluate_on_test", "fit",
    "load_data", "load_test", "train_trial",
]

# params the objective understands -> (optimizers it applies to or None for all, netcore keyword)
_OPTIMIZER_KNOBS = {
    "momentum": (("momentum", "nesterov"), "momentum"),
    "beta1": (("adam",), "beta1"),
    "beta2": (("adam",), "beta2"),
    "rho": (("rmsprop",), "decay_rate"),
}
TRAINING_PARAMS = ("lr", "weight_decay", "init_scale", "optimizer", *_OPTIMIZER_KNOBS)
PARAM_NAMES = (*TRAINING_PARAMS, "batch_norm", "dropout")
# what netcore accepts, checked on the space when the spec is built (see hpsearch.checks); cnn shares them
PARAM_LIMITS = {"lr": check_lr, "weight_decay": non_negative("weight_decay"), "init_scale": positive("init_scale"),
                **{name: partial(check_unit, name) for name in (*_OPTIMIZER_KNOBS, "dropout")}}
CURVES = ("train_acc", "val_acc", "train_loss", "val_loss")

EpochHook = Callable[[int, float], bool | None]
Builder = Callable[[Mapping[str, Any], Any, TrainData, np.random.Generator], Any]


@dataclass(frozen=True)
class ObjectiveSettings(TrainingSettings):
    """The ``mlp`` objective's settings: :class:`TrainingSettings` plus the net's hidden widths and activation.

    The defaults are the book's section 6.5 trial: a 784-100x6-10 ReLU net with He init.
    """

    hidden: tuple[int, ...] = (100,) * 6
    activation: str = "relu"

    def __post_init__(self) -> None:
        check_types(self, "settings")
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError(f"settings: hidden={self.hidden!r} must list positive layer widths")
        one_of("settings: activation", ACTIVATIONS)(self.activation)
        super().__post_init__()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d


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
    (``eval_val_n``), the finished net is evaluated once more on all of it (not after divergence or pruning).
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
    if subsampled and not hist.diverged and not hist.stopped:
        value = net.evaluate(data.x_val, data.t_val, batch_size=settings.train_config().eval_batch_size)[0]
    return net, _result(hist, float(value), time.perf_counter() - t0)


def _build_mlp(values: Mapping[str, Any], settings: ObjectiveSettings, data: TrainData, rng: np.random.Generator):
    return build_mlp(
        data.x_train.shape[1],
        settings.hidden,
        10,
        activation=settings.activation,
        init=settings.init,
        init_scale=float(values.get("init_scale", 1.0)),
        weight_decay=float(values.get("weight_decay", 0.0)),
        batch_norm=bool(values.get("batch_norm", False)),
        dropout=dropout_ratio(values),
        dtype=DTYPES[settings.dtype],
        rng=rng,
    )


def fit(
    params: Mapping[str, Any],
    settings: ObjectiveSettings,
    *,
    seed: int,
    on_epoch: EpochHook | None = None,
    data: TrainData | None = None,
) -> tuple[Any, TrialResult]:
    """Train one multi-layer net (on ``data``, by default the study's split); returns (net, result)."""
    values = resolve(params, PARAM_NAMES)
    return train_trial(values, settings, build=_build_mlp, seed=seed, on_epoch=on_epoch, data=data)


def evaluate(
    params: Mapping[str, Any],
    settings: ObjectiveSettings,
    *,
    seed: int,
    on_epoch: EpochHook | None = None,
) -> TrialResult:
    """Train one network with ``params`` under ``settings``; ``seed`` seeds its init and batches.

    ``on_epoch(epoch, val_acc)`` runs after each evaluation; returning True stops training (pruning).
    """
    return fit(params, settings, seed=seed, on_epoch=on_epoch)[1]


def evaluate_on_test(params: Mapping[str, Any], settings: ObjectiveSettings, *, seed: int) -> tuple[TrialResult, float]:
    """Train exactly as :func:`evaluate`, then score once on the dataset's TEST split — data no search ever
    sees (selection uses the validation split of the training images). Returns (result, test accuracy)."""
    net, res = fit(params, settings, seed=seed)
    x_test, t_test = load_test(settings)
    return res, float(net.accuracy(x_test, t_test))


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
