"""Objective ``batch-norm``: training with and without batch norm at the book's 16 init scales (section 6.3.2).

Book semantics: the first ``n_train`` (1000) training images; a 784-100x5-10 ReLU net whose every weight
matrix has std ``w = logspace(0, -4, 16)[w_index]``, with BN between Affine and ReLU (``norm="batch_norm"``;
the book's per-activation statistics, eps 1e-6, running-stat momentum 0.9) or without (``norm="none"``);
SGD lr 0.01; batch 100 drawn with replacement; an evaluation after update i when i % (N/B) == 0 (so after
the first update), stopping after ``epochs`` (20) evaluations: 191 updates. The metric is TRAINING accuracy
on the ``n_train`` images, in inference mode (BN running statistics).

In the book the two nets of a scale share each batch; here every trial of a replicate ``seed`` draws the
same batches (``derived_rng(seed, "batches")``), and the nets are initialised independently per (scale,
norm) as in the book, or from one shared draw per replicate with ``shared_init`` (an option).
Curves: ``train_acc`` per evaluation. Value: the last training accuracy (maximize).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

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

__all__ = ["NORMS", "SCALES", "BatchNormSettings", "evaluate", "updates_for"]

SCALES = tuple(float(w) for w in np.logspace(0, -4, 16))
NORMS = ("batch_norm", "none")


@dataclass(frozen=True)
class BatchNormSettings(SettingsBase):
    dataset: str = "mnist-5k"
    n_train: int = 1000
    hidden: tuple[int, ...] = (100,) * 5
    batch_size: int = 100
    lr: float = 0.01
    epochs: int = 20  # evaluations
    shared_init: bool = False
    dtype: str = "float32"

    def semantics(self) -> list[tuple[str, str]]:
        every = book_eval_every(self.n_train, self.batch_size)
        return [
            ("data", f"{self.dataset}: the first {self.n_train} training images (book: 1000)"),
            ("network", f"784-{'-'.join(map(str, self.hidden))}-10 ReLU; BN between Affine and ReLU (book)"),
            ("init", "std w for every weight matrix, w = logspace(0, -4, 16); "
             + ("one shared draw per seed (option)" if self.shared_init else "independent per net (book)")),
            ("training", f"SGD lr {self.lr:g}, batch {self.batch_size} with replacement, the same batches for "
             f"every net of a seed; {updates_for(self)} updates"),
            ("evaluation", f"after update i when i % {every} == 0, {self.epochs} evaluations (book: 20); training "
             "accuracy in inference mode (BN running stats)"),
            ("dtype", f"{self.dtype} (book: float64 parameters)"),
        ]


def evaluate(params: Mapping[str, Any], settings: BatchNormSettings, *, seed: int, on_epoch=None) -> TrialResult:
    """One net of ``params`` (w_index, norm, seed); see the module docstring."""
    rep = replicate_seed(params, seed)
    k, norm = int(params["w_index"]), str(params["norm"])
    if norm not in NORMS:
        raise ValueError(f"batch-norm: norm={norm!r}; use one of {NORMS}")
    x, t, _, _ = train_test(settings.dataset, settings.n_train, settings.dtype)
    init_rng = derived_rng(rep, "init") if settings.shared_init else derived_rng(rep, "init", k, norm)
    net = build_mlp(x.shape[1], settings.hidden, 10, init="std", init_std=SCALES[k],
                    batch_norm=norm == "batch_norm", dtype=DTYPES[settings.dtype], rng=init_rng)
    acc: list[float] = []
    t0 = time.perf_counter()
    loop = book_loop(net, make_optimizer("sgd", lr=settings.lr), x, t, rng=derived_rng(rep, "batches"),
                     batch_size=settings.batch_size, updates=updates_for(settings),
                     every=book_eval_every(settings.n_train, settings.batch_size),
                     on_eval=lambda i: acc.append(float(net.accuracy(x, t))))
    return result(acc[-1] if acc else 0.0, {"train_acc": acc}, loop, best=max(acc, default=0.0),
                  seconds=time.perf_counter() - t0)


register(Objective("batch-norm", BatchNormSettings, evaluate, ("w_index", "norm", "seed"),
                   required=("w_index", "norm"), metric="final train_acc"))
