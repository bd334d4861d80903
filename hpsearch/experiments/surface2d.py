"""Objective ``surface2d``: an optimizer's path on the book's 2-D bowl f(x, y) = x^2/20 + y^2 (section 6.1).

Book semantics (netcore.surface): start (-7, 2), 30 iterations, each records the point and then updates (30
points: the start and 29 updates), float64. The book's learning rates: SGD 0.95, Momentum 0.1, AdaGrad 1.5,
Adam 0.3 (other hyperparameters at their defaults); the book has no figure for RMSprop and Nesterov, whose
extra panels use the rates in ``EXTRA_LR`` (our choice, stated in the report). A ``lr`` parameter overrides.

Params: ``optimizer`` (and optionally ``lr``; a ``seed`` parameter is accepted and ignored: the path is
deterministic). Curves: ``x``, ``y`` and ``f`` per point, ``lr`` (one point). Value: f at the last point (minimize).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hpsearch.experiments.common import SettingsBase, result
from hpsearch.objectives.registry import Objective, register
from hpsearch.objectives.training import TrialResult
from netcore.optim import make_optimizer
from netcore.optim_base import check_lr
from netcore.surface import BOOK_HYPERPARAMS, BOOK_START, f, trajectory

__all__ = ["EXTRA_LR", "PANEL_ORDER", "SurfaceSettings", "book_lr", "evaluate"]

EXTRA_LR = {"rmsprop": 0.1, "nesterov": 0.1}  # not in the book: RMSprop/Nesterov panels (our choice)
PANEL_ORDER = ("sgd", "momentum", "adagrad", "adam", "rmsprop", "nesterov")


@dataclass(frozen=True)
class SurfaceSettings(SettingsBase):
    """``epochs`` = points of the path (the book: 30 iterations, one point each)."""

    epochs: int = 30
    start_x: float = BOOK_START[0]
    start_y: float = BOOK_START[1]

    def semantics(self) -> list[tuple[str, str]]:
        book = self.epochs == 30 and (self.start_x, self.start_y) == BOOK_START
        return [
            ("surface", "f(x, y) = x^2/20 + y^2, float64"),
            ("start, iterations", f"({self.start_x:g}, {self.start_y:g}), {self.epochs}" + (" (book)" if book else
                                                                                          " (option)")),
            ("points", "each iteration records the point, then updates (book)"),
            ("learning rates", "book: SGD 0.95, Momentum 0.1, AdaGrad 1.5, Adam 0.3; not in the book: "
             + ", ".join(f"{k} {v:g}" for k, v in EXTRA_LR.items())),
        ]


def book_lr(optimizer: str) -> float:
    """The learning rate of ``optimizer``'s panel (the book's, or ours for the extra panels)."""
    name = optimizer.lower()
    if name in BOOK_HYPERPARAMS:
        return BOOK_HYPERPARAMS[name]["lr"]
    if name in EXTRA_LR:
        return EXTRA_LR[name]
    raise ValueError(f"surface2d: no learning rate for {optimizer!r}; give an 'lr' parameter")


def evaluate(params: Mapping[str, Any], settings: SurfaceSettings, *, seed: int, on_epoch=None) -> TrialResult:
    """The path of ``params['optimizer']`` (lr from ``params['lr']`` or :func:`book_lr`)."""
    name = str(params["optimizer"])
    lr = float(params["lr"]) if "lr" in params else book_lr(name)
    t0 = time.perf_counter()
    points = trajectory(make_optimizer(name, lr=lr), (settings.start_x, settings.start_y), settings.epochs)
    xs, ys = points[:, 0], points[:, 1]
    values = f(xs, ys)
    curves = {"x": xs.tolist(), "y": ys.tolist(), "f": values.tolist(), "lr": [lr]}
    last = float(values[-1])
    return result(last if abs(last) < 1e300 else 1e300, curves, seconds=time.perf_counter() - t0)


register(Objective("surface2d", SurfaceSettings, evaluate, ("optimizer", "lr", "seed"), direction="minimize",
                   required=("optimizer",), metric="f at the last point", limits={"lr": check_lr}))
