"""The training loop itself: batches (book or shuffled), the learning-rate schedule, the recipe's augmentation and
weight average, evaluations, callbacks and the divergence stop; see :mod:`netcore.trainer`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from netcore.augment import augment_batch
from netcore.ema import WeightAverage
from netcore.schedule import WARMUP, lr_factor
from netcore.trainer.config import Callback, History, TrainConfig, TrainData


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
