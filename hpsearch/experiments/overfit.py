"""Objective ``overfit``: overfitting 300 images, and weight decay / dropout against it (sections 6.4.1-6.4.3).

Book semantics: the first ``n_train`` (300) training images, all test images; the 7-layer 784-100x6-10 ReLU
net with He init; SGD lr 0.01; batch 100 drawn with replacement; an evaluation after update i when i % 3 == 0
(so after the first update), stopping after ``epochs`` (201) evaluations: 601 updates. Train accuracy is
on the 300 images and test accuracy on the test set, both in inference mode.

Params: ``regularizer`` in none / weight_decay / dropout, with ``weight_decay`` (lambda; the book: 0.1) or
``dropout`` (the ratio; the book's code: 0.2, its figure caption: 0.15) as conditional parameters, and
``seed``. Dropout is the book's NON-inverted dropout (train: x * mask, test: x * (1 - ratio)) unless
``dropout_inverted``. The book runs its dropout figure through its Trainer for 301 evaluations (903
updates); here every regulariser shares one schedule (``epochs``), stated in the report.

Within a replicate ``seed`` every trial draws the same batches; nets are initialised independently per
regulariser (dropout masks come from the net's own stream). Curves: ``train_acc``, ``test_acc`` per
evaluation. Value: the last test accuracy (maximize).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from hpsearch.checks import non_negative
from hpsearch.experiments.common import (
    DTYPES,
    SettingsBase,
    book_eval_every,
    book_loop,
    derived_rng,
    replicate_seed,
    result,
    train_test,
    updates_for,
)
from hpsearch.objectives.registry import Objective, register
from hpsearch.objectives.training import TrialResult
from netcore.builders import build_mlp
from netcore.optim import make_optimizer
from netcore.optim_base import check_unit

__all__ = ["REGULARIZERS", "OverfitSettings", "evaluate", "label", "updates_for"]

REGULARIZERS = ("none", "weight_decay", "dropout")


@dataclass(frozen=True)
class OverfitSettings(SettingsBase):
    dataset: str = "mnist-5k"
    n_train: int = 300
    hidden: tuple[int, ...] = (100,) * 6
    batch_size: int = 100
    lr: float = 0.01
    epochs: int = 201  # evaluations
    eval_test_n: int | None = None  # None: the whole test set (book)
    dropout_inverted: bool = False
    dtype: str = "float32"

    def semantics(self) -> list[tuple[str, str]]:
        every = book_eval_every(self.n_train, self.batch_size)
        test = "the whole test set (book)" if self.eval_test_n is None else f"the first {self.eval_test_n} test images"
        return [
            ("data", f"{self.dataset}: the first {self.n_train} training images (book: 300); test on {test}"),
            ("network", f"784-{'-'.join(map(str, self.hidden))}-10 ReLU, He init (book: 7 layers)"),
            ("training", f"SGD lr {self.lr:g}, batch {self.batch_size} with replacement, the same batches for every "
             f"regulariser of a seed; {updates_for(self)} updates"),
            ("evaluation", f"after update i when i % {every} == 0, {self.epochs} evaluations (book: 201 for weight "
             "decay; its dropout figure uses 301 via the Trainer); inference mode"),
            ("dropout", "inverted (option)" if self.dropout_inverted
             else "non-inverted: train x*mask, test x*(1-ratio) (book)"),
            ("dtype", f"{self.dtype} (book: float64 parameters)"),
        ]


def label(params: Mapping[str, Any]) -> str:
    """A readable name of a regulariser setting, e.g. 'weight decay 0.1', 'dropout 0.15', 'none'."""
    reg = str(params.get("regularizer", "none"))
    if reg == "weight_decay":
        return f"weight decay {float(params['weight_decay']):g}"
    if reg == "dropout":
        return f"dropout {float(params['dropout']):g}"
    return "none"


def evaluate(params: Mapping[str, Any], settings: OverfitSettings, *, seed: int, on_epoch=None) -> TrialResult:
    """One net of ``params`` (regularizer, weight_decay | dropout, seed); see the module docstring."""
    rep = replicate_seed(params, seed)
    reg = str(params.get("regularizer", "none"))
    if reg not in REGULARIZERS:
        raise ValueError(f"overfit: regularizer={reg!r}; use one of {REGULARIZERS}")
    x, t, x_test, t_test = train_test(settings.dataset, settings.n_train, settings.dtype)
    if settings.eval_test_n is not None:
        x_test, t_test = x_test[: settings.eval_test_n], t_test[: settings.eval_test_n]
    net = build_mlp(x.shape[1], settings.hidden, 10,
                    weight_decay=float(params["weight_decay"]) if reg == "weight_decay" else 0.0,
                    dropout=float(params["dropout"]) if reg == "dropout" else None,
                    dropout_inverted=settings.dropout_inverted, dtype=DTYPES[settings.dtype],
                    rng=derived_rng(rep, "init", label(params)))
    train_acc: list[float] = []
    test_acc: list[float] = []

    def on_eval(i: int) -> None:
        train_acc.append(float(net.accuracy(x, t)))
        test_acc.append(float(net.accuracy(x_test, t_test)))

    t0 = time.perf_counter()
    loop = book_loop(net, make_optimizer("sgd", lr=settings.lr), x, t, rng=derived_rng(rep, "batches"),
                     batch_size=settings.batch_size, updates=updates_for(settings),
                     every=book_eval_every(settings.n_train, settings.batch_size), on_eval=on_eval)
    curves = {"train_acc": train_acc, "test_acc": test_acc}
    return result(test_acc[-1] if test_acc else 0.0, curves, loop, best=max(test_acc, default=0.0),
                  seconds=time.perf_counter() - t0)


register(Objective("overfit", OverfitSettings, evaluate, ("regularizer", "weight_decay", "dropout", "seed"),
                   required=("regularizer",), metric="final test_acc",
                   limits={"weight_decay": non_negative("weight_decay"), "dropout": partial(check_unit, "dropout")}))
