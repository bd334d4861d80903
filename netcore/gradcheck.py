"""Gradient checks by central differences (book ``common/gradient.py``, h = 1e-4).

Checks MUST run in float64: with float32 parameters a step of 1e-4 is lost in rounding (float32 keeps ~7
digits), so the differences measure noise. ``numerical_gradient`` refuses other dtypes unless told otherwise.
Each element costs two evaluations of ``f``: keep the checked arrays small.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "GradComparison", "check_layer", "check_network", "mean_abs_diff", "numerical_gradient", "rel_error",
]


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-4, *, require_float64: bool = True
) -> np.ndarray:
    """Central differences ``(f(x + h e_i) - f(x - h e_i)) / 2h`` for every element of ``x`` (any shape).

    ``x`` is perturbed IN PLACE one element at a time (so ``f`` may ignore its argument and read arrays that
    alias ``x``, e.g. a network's parameters) and restored exactly afterwards, even if ``f`` raises.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"x must be a numpy array perturbed in place, got {type(x).__name__}")
    if require_float64 and x.dtype != np.float64:
        raise TypeError(
            f"gradient checks need float64, got {x.dtype}: h={h} is lost in float32 rounding. "
            "Build the layer/network with float64 arrays (or pass require_float64=False knowingly)."
        )
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(*x.shape):
        old = x[idx]
        try:
            x[idx] = old + h
            f_plus = float(f(x))
            x[idx] = old - h
            f_minus = float(f(x))
        finally:
            x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2.0 * h)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Scale-aware max error ``max|a - b| / max(max|a|, max|b|)`` (0 when both are all zero)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    diff = float(np.max(np.abs(a - b), initial=0.0))
    return 0.0 if scale == 0.0 else diff / scale


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    """The statistic the book's gradient-check scripts print: ``mean|a - b|``."""
    return float(np.mean(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))


@dataclass(frozen=True)
class GradComparison:
    """Backprop (``analytic``) against central differences (``numerical``) for one array."""

    analytic: np.ndarray
    numerical: np.ndarray

    @property
    def rel_error(self) -> float:
        return rel_error(self.analytic, self.numerical)

    @property
    def mean_abs_diff(self) -> float:
        return mean_abs_diff(self.analytic, self.numerical)


def check_layer(
    layer: Any, x: np.ndarray, *, rng: np.random.Generator, train: bool = True, h: float = 1e-4
) -> dict[str, GradComparison]:
    """Check a layer's backward on the scalar ``L = sum(forward(x) * R)`` with a random float64 ``R``.

    Returns one comparison for ``"x"`` (dL/dx from backward) and one per key of ``layer.params``. The layer
    must be deterministic across forwards (give a Dropout a ``fixed_mask``); every array must be float64.
    """
    out = layer.forward(x, train=train)
    weights = rng.standard_normal(out.shape)
    dx = np.array(layer.backward(weights.copy()), dtype=np.float64)
    grads = {k: np.array(g, dtype=np.float64) for k, g in layer.grads.items()}

    def loss(_: np.ndarray) -> float:
        return float(np.sum(layer.forward(x, train=train) * weights))

    result = {"x": GradComparison(dx, numerical_gradient(loss, x, h))}
    for k, p in layer.params.items():
        result[k] = GradComparison(grads[k], numerical_gradient(loss, p, h))
    return result


def check_network(net: Any, x: np.ndarray, t: np.ndarray, *, h: float = 1e-4) -> GradComparison:
    """Check ``net.gradient(x, t)`` (fills the flat ``net.grads``) against central differences of
    ``net.loss(x, t, train=True)`` over the flat ``net.params`` (perturbed in place; float64 network).

    As in the book, dropout layers draw fresh masks per evaluation, which makes the check meaningless:
    fix their masks first.
    """
    params = net.params
    net.gradient(x, t)
    analytic = np.array(net.grads, dtype=np.float64)
    numerical = numerical_gradient(lambda _: net.loss(x, t, train=True), params, h)
    return GradComparison(analytic, numerical)
