"""The ``cnn`` objective: a family of netcore conv nets searched beside the ``mlp`` objective.

A net is 1-3 blocks of conv (k x k, "same" padding) -> [batch norm over channels] -> ReLU -> 2x2 max-pool,
then dense -> ReLU -> [dropout] -> output (:func:`netcore.build_cnn`). Searchable, besides the training
parameters every objective shares (lr, weight decay, init scale, optimizer and its knobs): ``blocks``,
``filters1..3`` (each block's filters, active only up to ``blocks``), ``kernel_size``, ``batch_norm``,
``dropout`` (0 = no dropout layer) and ``dense`` (the dense layer's width). :func:`cnn_space` is a ready
space over all of them; a space may fix any of them (``space.fix(blocks=2)``).

:class:`CnnSettings` defaults to the full-size protocol (every training image, shuffled epochs); the images
are the flat study split seen as (N, 1, 28, 28) views, so no copy is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpsearch.checks import one_of, whole
from hpsearch.objectives.data import load_data, load_test
from hpsearch.objectives.registry import Objective, register
from hpsearch.objectives.settings import DTYPES, TrainingSettings
from hpsearch.objectives.training import (
    PARAM_LIMITS,
    TRAINING_PARAMS,
    EpochHook,
    TrialResult,
    dropout_ratio,
    resolve,
    train_trial,
)
from hpsearch.space import ParamSpec, SearchSpace
from netcore.builders import build_cnn
from netcore.trainer import TrainData

__all__ = ["CNN_PARAMS", "CnnSettings", "cnn_space", "evaluate", "fit", "test_split"]

CNN_PARAMS = (
    *TRAINING_PARAMS, "blocks", "filters1", "filters2", "filters3", "kernel_size", "batch_norm", "dropout", "dense"
)
_DEFAULTS = {"blocks": 2, "filters1": 32, "filters2": 64, "filters3": 128, "kernel_size": 3, "batch_norm": True,
             "dense": 128}


@dataclass(frozen=True)
class CnnSettings(TrainingSettings):
    """:class:`TrainingSettings` with the full-size protocol's defaults: all images, shuffled epochs."""

    n_samples: int | None = None
    mode: str = "shuffle"
    epochs: int = 10


def cnn_space(*, optimizers: tuple[str, ...] = ("momentum", "adam", "rmsprop")) -> SearchSpace:
    """Training parameters on log scales and the architecture of :func:`netcore.build_cnn`."""
    return SearchSpace(
        (
            ParamSpec("lr", low=1e-4, high=3e-1, log=True),
            ParamSpec("weight_decay", low=1e-8, high=1e-3, log=True),
            ParamSpec("init_scale", low=0.3, high=3.0, log=True),
            ParamSpec("optimizer", kind="categorical", choices=optimizers),
            ParamSpec("blocks", kind="categorical", choices=(1, 2, 3)),
            ParamSpec("filters1", kind="int", low=8, high=64, log=True),
            ParamSpec("filters2", kind="int", low=16, high=128, log=True, when=("blocks", (2, 3))),
            ParamSpec("filters3", kind="int", low=16, high=128, log=True, when=("blocks", (3,))),
            ParamSpec("kernel_size", kind="categorical", choices=(3, 5)),
            ParamSpec("batch_norm", kind="categorical", choices=(True, False)),
            ParamSpec("dropout", low=0.0, high=0.5),
            ParamSpec("dense", kind="int", low=32, high=512, log=True),
        )
    )


def _kernel(value: object) -> None:
    whole("kernel_size", 1, MAX_KERNEL, "larger kernels on 28x28 images mostly see the padding")(value)
    if int(value) % 2 == 0:  # type: ignore[call-overload]
        raise ValueError(f"kernel_size={value!r} is invalid: kernel_size must be odd ('same' padding k//2)")


MAX_FILTERS, MAX_DENSE, MAX_KERNEL = 512, 4096, 15
# the architecture, checked when a spec is built (exit 2 from the CLI, nothing written), not when a trial trains
ARCH_LIMITS = {
    "blocks": one_of("blocks", (1, 2, 3)),
    **{f"filters{k}": whole(f"filters{k}", 1, MAX_FILTERS, "one conv layer of 512 filters already holds 321 MB "
                            "of activations per batch of 100 images in float64") for k in (1, 2, 3)},
    "kernel_size": _kernel,
    "dense": whole("dense", 1, MAX_DENSE, "4096 units after 128 filters of 7x7 are already 25.7 million weights, "
                   "205 MB in float64"),
    "batch_norm": one_of("batch_norm", (True, False)),
}


def _images(data: TrainData) -> TrainData:
    """The flat (N, 784) split as (N, 1, 28, 28) views."""
    side = int(round(np.sqrt(data.x_train.shape[1])))
    if side * side != data.x_train.shape[1]:
        raise ValueError(f"cnn: images of {data.x_train.shape[1]} pixels are not square; use a 28x28 dataset")
    shape = (-1, 1, side, side)
    return TrainData(data.x_train.reshape(shape), data.t_train, data.x_val.reshape(shape), data.t_val)


def _build(values: Mapping[str, Any], settings: CnnSettings, data: TrainData, rng: np.random.Generator):
    v = {**_DEFAULTS, **values}
    blocks = int(v["blocks"])
    return build_cnn(
        data.x_train.shape[1:],
        filters=tuple(int(v[f"filters{k + 1}"]) for k in range(blocks)),
        kernel_size=int(v["kernel_size"]),
        batch_norm=bool(v["batch_norm"]),
        dense=int(v["dense"]),
        dropout=dropout_ratio(v),
        init=settings.init,
        init_scale=float(v.get("init_scale", 1.0)),
        weight_decay=float(v.get("weight_decay", 0.0)),
        dtype=DTYPES[settings.dtype],
        rng=rng,
    )


def fit(
    params: Mapping[str, Any], settings: CnnSettings, *, seed: int, on_epoch: EpochHook | None = None,
    data: TrainData | None = None,
) -> tuple[Any, TrialResult]:
    """Train one conv net (on ``data``, by default the study's split); returns (net, result)."""
    data = _images(load_data(settings) if data is None else data)
    return train_trial(resolve(params, CNN_PARAMS), settings, build=_build, seed=seed, on_epoch=on_epoch, data=data)


def evaluate(
    params: Mapping[str, Any], settings: CnnSettings, *, seed: int, on_epoch: EpochHook | None = None
) -> TrialResult:
    """The objective: train one conv net with ``params``; see :func:`hpsearch.objectives.mlp.evaluate`."""
    return fit(params, settings, seed=seed, on_epoch=on_epoch)[1]


def test_split(settings: CnnSettings) -> tuple[np.ndarray, np.ndarray]:
    """The dataset's test images as (N, 1, 28, 28) and labels: read only to score a study's final pick."""
    x, t = load_test(settings)
    side = int(round(np.sqrt(x.shape[1])))
    return x.reshape(-1, 1, side, side), t


register(Objective("cnn", CnnSettings, evaluate, CNN_PARAMS, required=("lr",), metric="val_acc", fit=fit,
                   test_split=test_split, limits={**PARAM_LIMITS, **ARCH_LIMITS}))
