"""What a training run is given and what it returns: :class:`TrainConfig` (the protocol, recorded), :class:`TrainData`
(the splits) and :class:`History` (curves, step losses, divergence); see :mod:`netcore.trainer`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from netcore.ema import check_decay
from netcore.layers import check_label_smoothing
from netcore.schedule import SCHEDULES, check_warmup

Callback = Callable[[int, "History"], bool | None]


@dataclass(frozen=True)
class TrainConfig:
    epochs: int
    batch_size: int = 100
    mode: Literal["book", "shuffle"] = "book"
    loss_record: Literal["post", "pre"] = "post"
    eval_train_n: int | None = None  # evaluate on this fixed prefix of the training set (None = all)
    eval_val_n: int | None = None  # evaluate on this fixed prefix of the validation set (None = all)
    eval_batch_size: int = 2000
    evals_per_epoch: int = 1  # shuffle mode: evaluations per epoch (the last at the epoch's end)
    lr_schedule: str = "constant"  # netcore.schedule.SCHEDULES
    warmup: float | None = None  # warmup-cosine's warm-up fraction of the updates (None: schedule.WARMUP)
    augment_shift: int = 0  # pixels of random shift (zero padding + random crop); 0 = off
    augment_flip: bool = False  # mirror each training image left-right with probability 1/2
    label_smoothing: float = 0.0  # in [0, 1); 0 = the book's one-hot targets
    ema_decay: float = 0.0  # in [0, 1); 0 = no weight averaging

    def __post_init__(self) -> None:
        if int(self.epochs) != self.epochs or self.epochs < 1:
            raise ValueError(f"epochs={self.epochs!r} must be an integer >= 1")
        if int(self.batch_size) != self.batch_size or self.batch_size < 1:
            raise ValueError(f"batch_size={self.batch_size!r} must be an integer >= 1")
        if self.mode not in ("book", "shuffle"):
            raise ValueError(f"mode={self.mode!r} is unknown: use 'book' or 'shuffle'")
        if self.loss_record not in ("post", "pre"):
            raise ValueError(f"loss_record={self.loss_record!r} is unknown: use 'post' or 'pre'")
        if int(self.evals_per_epoch) != self.evals_per_epoch or self.evals_per_epoch < 1:
            raise ValueError(f"evals_per_epoch={self.evals_per_epoch!r} must be an integer >= 1")
        if self.evals_per_epoch > 1 and self.mode != "shuffle":
            raise ValueError("evals_per_epoch > 1 needs mode='shuffle' (the book evaluates once per epoch)")
        if self.lr_schedule not in SCHEDULES:
            raise ValueError(f"lr_schedule={self.lr_schedule!r} is unknown: use one of {', '.join(SCHEDULES)}")
        if self.warmup is not None:
            if self.lr_schedule != "warmup-cosine":
                raise ValueError(f"warmup={self.warmup!r} needs lr_schedule='warmup-cosine' (or leave warmup None)")
            check_warmup(self.warmup)
        shift = self.augment_shift
        if isinstance(shift, bool) or int(shift) != shift or shift < 0:
            raise ValueError(f"augment_shift={self.augment_shift!r} must be an integer >= 0 (pixels; 0 = off)")
        if not isinstance(self.augment_flip, bool | np.bool_):
            raise ValueError(f"augment_flip={self.augment_flip!r} must be True or False")
        check_label_smoothing(self.label_smoothing)
        check_decay(self.ema_decay)
        for name in ("eval_train_n", "eval_val_n"):
            v = getattr(self, name)
            if v is not None and (int(v) != v or v < 1):
                raise ValueError(f"{name}={v!r} must be None or an integer >= 1")


@dataclass(frozen=True)
class TrainData:
    x_train: np.ndarray
    t_train: np.ndarray
    x_val: np.ndarray
    t_val: np.ndarray

    def __post_init__(self) -> None:
        if len(self.x_train) != len(self.t_train) or len(self.x_val) != len(self.t_val):
            raise ValueError(
                f"images and labels differ in count (train {len(self.x_train)}/{len(self.t_train)}, "
                f"val {len(self.x_val)}/{len(self.t_val)}): pass matching arrays"
            )
        if len(self.x_train) == 0 or len(self.x_val) == 0:
            raise ValueError("the training and validation sets must each hold at least one example")


@dataclass
class History:
    step_loss: list[float] = field(default_factory=list)
    epoch: list[int] = field(default_factory=list)
    step: list[int] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    updates: int = 0
    samples: int = 0
    seconds: float = 0.0
    diverged: bool = False
    diverged_step: int | None = None
    stopped: bool = False

    @property
    def final_val_acc(self) -> float:
        return self.val_acc[-1] if self.val_acc else float("nan")

    @property
    def best_val_acc(self) -> float:
        return max(self.val_acc) if self.val_acc else float("nan")
