"""Objective ``mnist-curves``: the book's loss-curve comparisons on MNIST (sections 6.1.8 and 6.2.4).

One trial trains one 784-100x4-10 network (``hidden``) for ``epochs`` iterations (the book: 2000) of batch 128
drawn WITH replacement from the training images (the book: all 60,000), records the post-update minibatch
loss after every update, and scores the trained network once on the test set.

* optimizer comparison (2.2): ``optimizer`` varies, ``init="he"``, each optimizer at its defaults (``lr``
  unset; the book: SGD 0.01, Momentum 0.01/0.9, AdaGrad 0.01, Adam 0.001/0.9/0.999);
* init comparison (2.4): ``optimizer="sgd"`` (lr 0.01), ``init`` in std=0.01 / xavier / he, ReLU throughout.

Within a replicate ``seed`` every trial draws the same batches (``derived_rng(seed, "batches")``). Networks
are initialised independently per method, as in the book (``derived_rng(seed, "init", optimizer, init)``),
or from one shared draw per replicate with ``shared_init=True`` (common random numbers; an option).

Curves: ``loss`` (one per update), ``loss_smooth`` (netcore.smoothing.smooth_curve of it, the book's plot;
present with >= 11 points) and ``test_acc`` (one point). Value: mean recorded loss over the second half of
the iterations (minimize); a diverged run scores its largest finite loss.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpsearch.experiments.common import DTYPES, SettingsBase, book_loop, derived_rng, replicate_seed, result, train_test
from hpsearch.objectives.registry import Objective, register
from hpsearch.objectives.training import TrialResult
from netcore.builders import build_mlp
from netcore.optim import make_optimizer, optimizer_hyperparams
from netcore.optim_base import check_lr
from netcore.smoothing import WINDOW_LENGTH, smooth_curve

__all__ = ["INITS", "CurveSettings", "evaluate"]

# init label -> (netcore init rule, std for the "std" rule)
INITS = {"std=0.01": ("std", 0.01), "xavier": ("xavier", 0.01), "he": ("he", 0.01)}


@dataclass(frozen=True)
class CurveSettings(SettingsBase):
    dataset: str = "mnist-5k"
    n_train: int | None = None  # None: every training image (the book: all 60,000 of MNIST)
    hidden: tuple[int, ...] = (100,) * 4
    activation: str = "relu"
    batch_size: int = 128
    epochs: int = 2000  # iterations = points of the loss curve
    lr: float | None = None  # None: each optimizer's default learning rate (the book)
    loss_record: str = "post"
    shared_init: bool = False
    dtype: str = "float32"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.loss_record not in ("post", "pre"):
            raise ValueError(f"settings: loss_record={self.loss_record!r}; use 'post' (book) or 'pre'")

    def semantics(self) -> list[tuple[str, str]]:
        n = "all training images" if self.n_train is None else f"the first {self.n_train} training images"
        return [
            ("data", f"{self.dataset}: {n} (book: all 60,000 MNIST images)"),
            ("network", f"784-{'-'.join(map(str, self.hidden))}-10 {self.activation}, no weight decay"),
            ("minibatches", f"{self.batch_size} drawn with replacement, {self.epochs} iterations (book: 128, 2000); "
             "the same batches for every method of a seed"),
            ("recorded loss", "after the update, same batch (book)" if self.loss_record == "post"
             else "from the gradient pass, before the update (option: shifted by one update)"),
            ("initialisation", "one shared draw per seed (option)" if self.shared_init
             else "independent per method (book)"),
            ("learning rate", "each optimizer's default (book 2.2)" if self.lr is None
             else f"{self.lr:g} for every net (book 2.4: SGD 0.01)"),
            ("smoothing", "the book's smooth_curve: Kaiser window 11, beta 2, mirror padding"),
            ("dtype", f"{self.dtype} (book: float64 parameters)"),
        ]


def _init_rng(params: Mapping[str, Any], settings: CurveSettings, seed: int) -> np.random.Generator:
    if settings.shared_init:
        return derived_rng(seed, "init")
    return derived_rng(seed, "init", str(params.get("optimizer", "sgd")), str(params.get("init", "he")))


def evaluate(params: Mapping[str, Any], settings: CurveSettings, *, seed: int, on_epoch=None) -> TrialResult:
    """Train one network of ``params`` (optimizer, init, seed, optional lr); see the module docstring."""
    rep = replicate_seed(params, seed)
    name = str(params.get("optimizer", "sgd"))
    rule, std = INITS[str(params.get("init", "he"))]
    x, t, x_test, t_test = train_test(settings.dataset, settings.n_train, settings.dtype)
    t0 = time.perf_counter()
    net = build_mlp(x.shape[1], settings.hidden, 10, activation=settings.activation, init=rule, init_std=std,
                    dtype=DTYPES[settings.dtype], rng=_init_rng(params, settings, rep))
    lr = params.get("lr", settings.lr)
    opt = make_optimizer(name, lr=float(lr) if lr is not None else optimizer_hyperparams(name)["lr"])
    loop = book_loop(net, opt, x, t, rng=derived_rng(rep, "batches"), batch_size=settings.batch_size,
                     updates=settings.epochs, loss_record=settings.loss_record)
    test_acc = float(net.accuracy(x_test, t_test))
    losses = np.asarray(loop.losses)
    finite = losses[np.isfinite(losses)]
    curves: dict[str, list[float]] = {"loss": loop.losses, "test_acc": [test_acc]}
    if len(losses) >= WINDOW_LENGTH and not loop.diverged:
        curves["loss_smooth"] = smooth_curve(losses).tolist()
    if loop.diverged:
        value = float(finite.max()) if finite.size else 1e300
    else:
        value = float(np.mean(losses[len(losses) // 2 :]))
    return result(value if math.isfinite(value) else 1e300, curves, loop, best=test_acc,
                  seconds=time.perf_counter() - t0)


register(Objective("mnist-curves", CurveSettings, evaluate, ("optimizer", "init", "lr", "seed"),
                   direction="minimize", metric="mean loss, second half", limits={"lr": check_lr}))
