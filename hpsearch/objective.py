"""The objective: a plain function of (params, fixed settings, seed) -> TrialResult. No Optuna here.

``evaluate`` builds the book's multi-layer net from ``settings`` and ``params``, trains it with netcore's
trainer and returns the final and best validation accuracy, the per-epoch curves, whether training
diverged, the samples processed and the wall time. Divergence is a result (``diverged=True``) with a finite
score: the validation accuracy measured at the step of divergence.

The data is ``load_dataset(settings.dataset)``'s training set, split with the book's section 6.5 procedure
(``netcore.data.book_split``: the first ``n_samples`` images shuffled once, the first ``val_fraction`` of
them for validation). The split uses its own seed (``split_seed``) so that every trial of a study sees the
same data; it is cached per process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from netcore.builders import build_mlp
from netcore.data import book_split, load_dataset
from netcore.optim import make_optimizer
from netcore.trainer import History, TrainConfig, TrainData, train

__all__ = ["ObjectiveSettings", "TrialResult", "evaluate", "evaluate_on_test", "PARAM_NAMES", "CURVES"]

# params the objective understands -> (optimizers it applies to or None for all, netcore keyword)
_OPTIMIZER_KNOBS = {
    "momentum": (("momentum", "nesterov"), "momentum"),
    "beta1": (("adam",), "beta1"),
    "beta2": (("adam",), "beta2"),
    "rho": (("rmsprop",), "decay_rate"),
}
PARAM_NAMES = ("lr", "weight_decay", "init_scale", "optimizer", *_OPTIMIZER_KNOBS)
CURVES = ("train_acc", "val_acc", "train_loss", "val_loss")
_DTYPES = {"float32": np.float32, "float64": np.float64}

EpochHook = Callable[[int, float], bool | None]


@dataclass(frozen=True)
class ObjectiveSettings:
    """Everything a trial fixes: data, network shape, training budget, sampling mode and dtype.

    The defaults are the book's section 6.5 trial: 500 images (400 train / 100 validation), a 784-100x6-10
    ReLU net with He init, 50 epochs of batch 100 in book mode (batches drawn with replacement), float32.
    """

    dataset: str = "mnist-5k"
    n_samples: int = 500
    val_fraction: float = 0.2
    split_seed: int = 0
    hidden: tuple[int, ...] = (100,) * 6
    activation: str = "relu"
    init: str = "he"
    epochs: int = 50
    batch_size: int = 100
    mode: str = "book"
    dtype: str = "float32"
    eval_train_n: int | None = None
    eval_val_n: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.dtype not in _DTYPES:
            raise ValueError(f"settings: dtype={self.dtype!r} is unknown; use 'float32' or 'float64'")
        if isinstance(self.n_samples, bool) or not isinstance(self.n_samples, int) or self.n_samples < 2:
            raise ValueError(f"settings: n_samples={self.n_samples!r} must be an integer >= 2")
        if not 0.0 < self.val_fraction < 1.0 or int(self.n_samples * self.val_fraction) < 1:
            raise ValueError(
                f"settings: val_fraction={self.val_fraction!r} leaves no validation image out of "
                f"{self.n_samples}; use a fraction in (0, 1) such as 0.2"
            )
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError(f"settings: hidden={self.hidden!r} must list positive layer widths")
        self.train_config()  # validates epochs, batch_size, mode, eval sizes

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            mode=self.mode,  # type: ignore[arg-type]
            eval_train_n=self.eval_train_n,
            eval_val_n=self.eval_val_n,
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ObjectiveSettings:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"settings: unknown field {unknown[0]!r}; known fields are {sorted(known)}")
        return cls(**d)


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


_DATA_CACHE: dict[tuple, TrainData] = {}


def load_data(settings: ObjectiveSettings) -> TrainData:
    """The study's train/validation data (cached per process)."""
    key = (settings.dataset, settings.n_samples, settings.val_fraction, settings.split_seed, settings.dtype)
    if key not in _DATA_CACHE:
        ds = load_dataset(settings.dataset)
        rng = np.random.default_rng(settings.split_seed)
        x_tr, t_tr, x_va, t_va = book_split(
            ds.x_train, ds.t_train, n=settings.n_samples, val_fraction=settings.val_fraction, rng=rng
        )
        dt = _DTYPES[settings.dtype]
        _DATA_CACHE[key] = TrainData(x_tr.astype(dt), t_tr, x_va.astype(dt), t_va)
    return _DATA_CACHE[key]


def _resolve(params: Mapping[str, Any], settings: ObjectiveSettings) -> dict[str, Any]:
    unknown = sorted(set(params) - set(PARAM_NAMES))
    if unknown:
        raise ValueError(f"objective: parameter {unknown[0]!r} is unknown; use names among {PARAM_NAMES}")
    if "lr" not in params:
        raise ValueError("objective: no learning rate; put 'lr' in the space (fix it to pin one value)")
    return {"optimizer": "sgd", "init_scale": 1.0, "weight_decay": 0.0, **params}


def _optimizer(values: Mapping[str, Any]):
    name = str(values.get("optimizer", "sgd")).lower()
    knobs = {
        kw: float(values[p]) for p, (opts, kw) in _OPTIMIZER_KNOBS.items() if p in values and name in opts
    }
    return make_optimizer(name, lr=float(values["lr"]), **knobs)


def _train(
    params: Mapping[str, Any], settings: ObjectiveSettings, *, seed: int, on_epoch: EpochHook | None
) -> tuple[Any, TrialResult]:
    values = _resolve(params, settings)
    data = load_data(settings)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    net = build_mlp(
        data.x_train.shape[1],
        settings.hidden,
        10,
        activation=settings.activation,
        init=settings.init,
        init_scale=float(values.get("init_scale", 1.0)),
        weight_decay=float(values.get("weight_decay", 0.0)),
        dtype=_DTYPES[settings.dtype],
        rng=rng,
    )
    opt = _optimizer(values)
    callbacks = ()
    if on_epoch is not None:
        callbacks = (lambda epoch, h: on_epoch(epoch, h.val_acc[-1]),)
    hist = train(net, opt, data, settings.train_config(), rng=rng, callbacks=callbacks)
    return net, _result(hist, time.perf_counter() - t0)


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
    return _train(params, settings, seed=seed, on_epoch=on_epoch)[1]


def evaluate_on_test(params: Mapping[str, Any], settings: ObjectiveSettings, *, seed: int) -> tuple[TrialResult, float]:
    """Train exactly as :func:`evaluate`, then score once on the dataset's TEST split — data no search ever
    sees (selection uses the validation split of the training images). Returns (result, test accuracy)."""
    net, res = _train(params, settings, seed=seed, on_epoch=None)
    x_test, t_test = load_test(settings)
    return res, float(net.accuracy(x_test, t_test))


_TEST_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def load_test(settings: ObjectiveSettings) -> tuple[np.ndarray, np.ndarray]:
    """The dataset's test images (in the settings' dtype) and labels (cached per process)."""
    key = (settings.dataset, settings.dtype)
    if key not in _TEST_CACHE:
        ds = load_dataset(settings.dataset)
        _TEST_CACHE[key] = (ds.x_test.astype(_DTYPES[settings.dtype]), ds.t_test)
    return _TEST_CACHE[key]


def _result(hist: History, seconds: float) -> TrialResult:
    val = [float(v) for v in hist.val_acc]
    curves = {name: [float(v) for v in getattr(hist, name)] for name in CURVES}
    return TrialResult(
        value=val[-1] if val else 0.0,
        best_val_acc=max(val) if val else 0.0,
        diverged=bool(hist.diverged),
        stopped=bool(hist.stopped),
        epochs_run=len(val),
        samples=int(hist.samples),
        seconds=float(seconds),
        curves=curves,
        step=[int(s) for s in hist.step],
    )
