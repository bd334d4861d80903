"""What every network-training trial fixes: the data split, the training protocol, the dtype.

:class:`TrainingSettings` is the part shared by the model families (the ``mlp`` objective's
:class:`hpsearch.objectives.mlp.ObjectiveSettings`, the ``cnn`` objective's
:class:`hpsearch.objectives.cnn.CnnSettings`).
Its defaults are the book's section 6.5 trial: the first 500 training images, 400 train / 100 validation,
50 epochs of batch 100 in book mode, float32.

The full-size protocol sets ``n_samples=None`` (the whole training set), ``n_val`` (a fixed held-out count,
e.g. 10,000 of Fashion-MNIST's 60,000), ``mode="shuffle"``, several ``evals_per_epoch`` on a fixed
validation subsample (``eval_val_n``), and optionally an ``lr_schedule``. Whatever the subsample, a trial's
score is its accuracy on the whole validation split, measured once at its end.

The modern training recipe of :class:`netcore.trainer.TrainConfig` (not the book's; each off by default, so
the book's trials are unchanged, and settings stored before these fields existed load with them off):
``augment_shift`` / ``augment_flip`` (random shifts and flips of the training images), ``label_smoothing``,
``ema_decay`` (the net is evaluated and scored with its averaged weights), ``warmup`` (the warm-up fraction
of ``lr_schedule="warmup-cosine"``; None: netcore's default 0.05) and ``tta_flip`` (the trial's score and the
final pick's test score average each image's class probabilities with its mirror's; the evaluations during
training stay plain).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from hpsearch.checks import check_types, one_of
from netcore.builders import INIT_RULES
from netcore.trainer import TrainConfig

__all__ = ["DTYPES", "TrainingSettings"]

DTYPES = {"float32": np.float32, "float64": np.float64}


def _count(value: Any, low: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value >= low


@dataclass(frozen=True)
class TrainingSettings:
    dataset: str = "mnist-5k"
    n_samples: int | None = 500  # None: the whole training set
    val_fraction: float = 0.2
    n_val: int | None = None  # a fixed number of validation images (instead of val_fraction)
    split_seed: int = 0
    init: str = "he"
    epochs: int = 50
    batch_size: int = 100
    mode: str = "book"
    dtype: str = "float32"
    eval_train_n: int | None = None
    eval_val_n: int | None = None
    evals_per_epoch: int = 1
    lr_schedule: str = "constant"
    warmup: float | None = None
    augment_shift: int = 0
    augment_flip: bool = False
    label_smoothing: float = 0.0
    ema_decay: float = 0.0
    tta_flip: bool = False  # score each image by the mean probabilities of it and its mirror (Network.flip_average)

    def __post_init__(self) -> None:
        check_types(self, "settings")  # every field against its annotation (hpsearch.checks)
        one_of("settings: init", INIT_RULES)(self.init)
        if self.dtype not in DTYPES:
            raise ValueError(f"settings: dtype={self.dtype!r} is unknown; use 'float32' or 'float64'")
        if self.n_samples is not None and not _count(self.n_samples, 2):
            raise ValueError(f"settings: n_samples={self.n_samples!r} must be an integer >= 2 (or None: all)")
        if self.n_val is not None:
            if not _count(self.n_val, 1) or (self.n_samples is not None and self.n_val >= self.n_samples):
                raise ValueError(
                    f"settings: n_val={self.n_val!r} must be an integer >= 1 and below n_samples={self.n_samples}"
                )
        elif not 0.0 < self.val_fraction < 1.0 or (
            self.n_samples is not None and int(self.n_samples * self.val_fraction) < 1
        ):
            raise ValueError(
                f"settings: val_fraction={self.val_fraction!r} leaves no validation image out of "
                f"{self.n_samples}; use a fraction in (0, 1) such as 0.2"
            )
        try:
            self.train_config()  # validates epochs, batch_size, mode, eval sizes, schedule and the recipe
        except ValueError as exc:
            raise ValueError(f"settings: {exc}") from None

    @property
    def n_evals(self) -> int:
        """Evaluations in a full run: the pruners' maximum resource."""
        return self.epochs * (self.evals_per_epoch if self.mode == "shuffle" else 1)

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            mode=self.mode,  # type: ignore[arg-type]
            eval_train_n=self.eval_train_n,
            eval_val_n=self.eval_val_n,
            evals_per_epoch=self.evals_per_epoch,
            lr_schedule=self.lr_schedule,
            warmup=self.warmup,
            augment_shift=self.augment_shift,
            augment_flip=self.augment_flip,
            label_smoothing=self.label_smoothing,
            ema_decay=self.ema_decay,
        )

    def data_key(self) -> dict[str, Any]:
        """What identifies the train/validation split these settings train on."""
        return {
            "dataset": self.dataset, "n_samples": self.n_samples, "val_fraction": self.val_fraction,
            "n_val": self.n_val, "split_seed": self.split_seed, "dtype": self.dtype,
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TrainingSettings:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"settings: unknown field {unknown[0]!r}; known fields are {sorted(known)}")
        return cls(**d)
