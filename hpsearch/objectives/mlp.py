"""The ``mlp`` objective: a plain function of (params, fixed settings, seed) -> TrialResult. No Optuna here.

``evaluate`` builds the book's multi-layer net from ``settings`` and ``params`` (optionally with batch norm
and dropout, both searchable), trains it with netcore's trainer and returns the final and best validation
accuracy, the per-evaluation curves, whether training diverged, the samples processed and the wall time.
Divergence is a result (``diverged=True``) with a finite score: the validation accuracy measured at the step
of divergence. The training every model family shares is :func:`hpsearch.objectives.training.train_trial`.

The data is the split :class:`hpsearch.objectives.settings.TrainingSettings` describes (by default the book's section
6.5 procedure: the first ``n_samples`` images shuffled once with ``split_seed``, the first ``val_fraction``
of them for validation), shared by the workers of a machine (:mod:`hpsearch.objectives.data`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from hpsearch.checks import check_net_size, check_types, one_of
from hpsearch.objectives.data import load_test
from hpsearch.objectives.settings import DTYPES, TrainingSettings
from hpsearch.objectives.training import TRAINING_PARAMS, EpochHook, TrialResult, dropout_ratio, resolve, train_trial
from netcore.builders import ACTIVATIONS, build_mlp
from netcore.trainer import TrainData

__all__ = ["PARAM_NAMES", "ObjectiveSettings", "evaluate", "evaluate_on_test", "fit"]

PARAM_NAMES = (*TRAINING_PARAMS, "batch_norm", "dropout")


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
        check_net_size(self.hidden, "settings")
        one_of("settings: activation", ACTIVATIONS)(self.activation)
        super().__post_init__()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d


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


