"""A quiet, model-agnostic trainer with the book's protocol and a shuffled-epochs alternative.

Book mode (``mode="book"``), as the book's Trainer:
  * every step draws ``batch_size`` indices uniformly WITH replacement;
  * an "epoch" is ``iter_per_epoch = max(N // batch_size, 1)`` steps (the book divides as floats; with a
    non-integer N/B its float modulo fires only at exact multiples — we use integer division and say so);
  * an evaluation happens after update ``i`` whenever ``i % iter_per_epoch == 0`` (so after the very first
    update), ``epochs`` evaluations in all over ``epochs * iter_per_epoch`` updates;
  * the recorded step loss is the post-update minibatch loss in inference mode, weight-decay term included
    (``loss_record="pre"`` records the training-mode loss of the gradient pass instead: no extra forward,
    shifted by one update).
Shuffle mode (``mode="shuffle"``): each epoch walks one permutation in batches (the last may be smaller) and
evaluates at the end of the epoch. This is a protocol change from the book, recorded as such in the config.
``evals_per_epoch=k`` (shuffle mode) evaluates k times per epoch, after every ``ceil(steps/k)`` updates and at
the epoch's end, so a pruner can stop a run within its first fraction of an epoch on large data.
``lr_schedule`` (``netcore.schedule``: constant as the book, step, cosine or warmup-cosine, whose warm-up
fraction is ``warmup``) sets ``optimizer.lr`` to the base rate times the schedule's factor before each update;
the base rate is restored when training ends.

A modern training recipe, each part off by default (the defaults run the book's code and draw the same random
numbers, so its runs stay bit-identical), and recorded in the config:
  * ``augment_shift=s`` / ``augment_flip`` (``netcore.augment``; random crops of zero-padded images and
    horizontal flips, the CIFAR protocol of He et al. 2016): each training batch, never an evaluation, is
    shifted by up to s pixels and/or mirrored, its labels kept. The augmentation draws from its own
    Generator, ``np.random.default_rng(rng.integers(2**63))``, made at the start of ``train`` only when an
    augmentation is on (then that one draw shifts the batch draws that follow it).
  * ``label_smoothing=eps`` (Szegedy et al. 2016): ``net.loss_layer.label_smoothing`` is set to eps for the
    run and restored at its end, so the step losses are the smoothed loss; ``val_loss`` stays the plain
    cross-entropy of ``Network.evaluate``.
  * ``ema_decay=d`` (``netcore.ema``; Polyak & Juditsky 1992): an exponential moving average of the weights
    and batch-norm statistics, warm-started at the initial weights, updated after each update. Evaluations
    (train/val accuracy and val loss) use the averaged weights, swapped in and back out; step losses,
    callbacks and the divergence check see the live ones; when ``train`` returns the net holds the average.
  * ``lr_schedule="warmup-cosine"`` (Goyal et al. 2017; Loshchilov & Hutter 2017), above.

Divergence — a non-finite loss or parameter — stops training, is evaluated once more (a NaN network predicts
class 0, so the accuracy stays finite) and is reported in the history, never raised.

The optimizer may use ``net.grads`` as scratch (``update(..., overwrite_grads=True)``), so after a step, and in
a callback, ``net.grads`` holds no gradient: a callback that needs one calls ``net.gradient`` itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from netcore.augment import augment_batch
from netcore.ema import WeightAverage, check_decay
from netcore.layers import check_label_smoothing
from netcore.schedule import SCHEDULES, WARMUP, check_warmup, lr_factor

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


def take_rows(x: np.ndarray, idx: np.ndarray, buf: np.ndarray | None = None) -> np.ndarray:
    """``x[idx]`` for an index array whose entries are all in ``range(len(x))``, written into ``buf`` when its
    shape and dtype fit (else into a new array, which is returned for reuse at the next call).

    Reusing one batch buffer keeps the step's cache footprint still (~0.7 % of a bench-MLP step); mode "clip"
    spares the checking copy that ``np.take(out=...)`` makes in its default mode; indices out of range are
    the caller's bug and are clipped, not reported.
    """
    shape = (len(idx), *x.shape[1:])
    if buf is None or buf.shape != shape or buf.dtype != x.dtype:
        buf = np.empty(shape, dtype=x.dtype)
    return np.take(x, idx, axis=0, out=buf, mode="clip")


class _Run:
    """The state of one training run: evaluation, divergence and callbacks in one place."""

    def __init__(
        self,
        net,
        opt,
        data: TrainData,
        config: TrainConfig,
        callbacks: Sequence[Callback],
        aug_rng: np.random.Generator | None = None,
    ) -> None:
        self.net = net
        self.opt = opt
        self.config = config
        self.callbacks = tuple(callbacks)
        self.hist = History()
        dt = net.dtype
        self.x_train = np.ascontiguousarray(data.x_train, dtype=dt)
        self.t_train = np.asarray(data.t_train)
        self.x_val = np.ascontiguousarray(data.x_val, dtype=dt)
        self.t_val = np.asarray(data.t_val)
        self._loss_mark = 0
        self._xbuf: np.ndarray | None = None
        self.aug_rng = aug_rng  # None: no augmentation (train() makes one only when the config asks for it)
        self.ema = WeightAverage(net, config.ema_decay) if config.ema_decay > 0 else None

    def step(self, idx: np.ndarray, i: int) -> bool:
        """One update on the batch ``idx``; returns False when training diverged."""
        cfg = self.config
        xb = self._xbuf = take_rows(self.x_train, idx, self._xbuf)  # idx come from train(): in range
        if self.aug_rng is not None:
            xb = augment_batch(xb, self.aug_rng, shift=cfg.augment_shift, flip=cfg.augment_flip)
        tb = self.t_train[idx]
        loss = self.net.gradient(xb, tb)
        self.opt.update(self.net.params, self.net.grads, overwrite_grads=True)  # gradient() rewrites them
        if self.ema is not None:
            self.ema.update()
        if cfg.loss_record == "post":
            loss = self.net.loss(xb, tb, train=False)
        h = self.hist
        h.step_loss.append(loss)
        h.updates += 1
        h.samples += len(xb)
        if not np.isfinite(loss):
            self.diverge(i)
            return False
        return True

    def diverge(self, i: int) -> None:
        self.hist.diverged = True
        self.hist.diverged_step = i
        self.evaluate(i)

    def evaluate(self, i: int) -> bool:
        """Record one evaluation after update ``i``; returns True when training must stop."""
        cfg, h, net = self.config, self.hist, self.net
        if not h.diverged and not np.isfinite(net.params).all():
            self.diverge(i)
            return True
        ntr = cfg.eval_train_n or len(self.x_train)
        nva = cfg.eval_val_n or len(self.x_val)
        if self.ema is not None:
            self.ema.swap()  # evaluate the averaged weights
        tr_acc, _ = net.evaluate(self.x_train[:ntr], self.t_train[:ntr], batch_size=cfg.eval_batch_size)
        va_acc, va_loss = net.evaluate(self.x_val[:nva], self.t_val[:nva], batch_size=cfg.eval_batch_size)
        if self.ema is not None:
            self.ema.swap()  # back to the live weights
        recent = h.step_loss[self._loss_mark :]
        self._loss_mark = len(h.step_loss)
        h.epoch.append(len(h.epoch))
        h.step.append(i)
        h.train_acc.append(float(tr_acc))
        h.val_acc.append(float(va_acc))
        h.val_loss.append(float(va_loss))
        h.train_loss.append(float(np.mean(recent)) if recent else float("nan"))
        if h.diverged:
            return True
        stop = False
        for cb in self.callbacks:
            if cb(h.epoch[-1], h):
                stop = True
        h.stopped = stop
        return stop


def _schedule(optimizer, config: TrainConfig, total: int) -> Callable[[int], None]:
    """A per-update hook setting ``optimizer.lr`` from the schedule (a no-op for the book's constant rate)."""
    if config.lr_schedule == "constant":
        return lambda i: None
    base = optimizer.lr
    warmup = WARMUP if config.warmup is None else config.warmup

    def set_lr(i: int) -> None:
        optimizer.lr = base * lr_factor(config.lr_schedule, i, total, warmup=warmup)

    return set_lr


def _eval_points(steps: int, k: int) -> set[int]:
    """The in-epoch update indices (0-based) after which to evaluate: every ceil(steps/k), and the last."""
    every = -(-steps // k)
    return {j for j in range(every - 1, steps, every)} | {steps - 1}


def _loop(run: _Run, optimizer, config: TrainConfig, rng: np.random.Generator) -> None:
    """The updates and evaluations of book or shuffle mode (see the module docstring)."""
    n = len(run.x_train)
    b = config.batch_size
    if config.mode == "book":
        ipe = max(n // b, 1)
        set_lr = _schedule(optimizer, config, config.epochs * ipe)
        for i in range(config.epochs * ipe):
            set_lr(i)
            idx = rng.integers(0, n, size=b)
            if not run.step(idx, i):
                return
            if i % ipe == 0 and run.evaluate(i):
                return
        return
    steps = -(-n // b)
    set_lr = _schedule(optimizer, config, config.epochs * steps)
    points = _eval_points(steps, config.evals_per_epoch)
    i = -1
    for _ in range(config.epochs):
        perm = rng.permutation(n)
        for j, start in enumerate(range(0, n, b)):
            i += 1
            set_lr(i)
            if not run.step(perm[start : start + b], i) or (j in points and run.evaluate(i)):
                return


def train(
    net,
    optimizer,
    data: TrainData,
    config: TrainConfig,
    *,
    rng: np.random.Generator,
    callbacks: Sequence[Callback] = (),
) -> History:
    """Train ``net`` with ``optimizer`` on ``data`` following ``config``; see the module docstring."""
    loss_layer = net.loss_layer
    smoothing = getattr(loss_layer, "label_smoothing", None)
    if config.label_smoothing and smoothing is None:
        raise ValueError(f"label_smoothing={config.label_smoothing!r} needs a loss layer with label_smoothing "
                         f"(netcore's SoftmaxCrossEntropy), not {type(loss_layer).__name__}; or set it to 0")
    augmenting = config.augment_shift > 0 or config.augment_flip
    aug_rng = np.random.default_rng(rng.integers(2**63)) if augmenting else None  # a draw only when on
    run = _Run(net, optimizer, data, config, callbacks, aug_rng)
    base_lr = getattr(optimizer, "lr", None)
    t0 = time.perf_counter()
    if config.label_smoothing:
        loss_layer.label_smoothing = config.label_smoothing
    try:
        with np.errstate(all="ignore"):  # overflow on the way to divergence is a result, not a warning
            _loop(run, optimizer, config, rng)
    finally:
        if base_lr is not None:
            optimizer.lr = base_lr
        if config.label_smoothing:
            loss_layer.label_smoothing = smoothing
    if run.ema is not None:
        run.ema.swap()  # the net returned holds the averaged weights
    run.hist.seconds = time.perf_counter() - t0
    return run.hist
