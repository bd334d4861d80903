"""The book's 2-D test surface f(x, y) = x**2/20 + y**2 (section 6.1, optimizer_compare_naive).

The bowl is 20 times steeper along y than along x, so the gradient does not point at the minimum (0, 0):
plain SGD zig-zags. ``trajectory`` follows the book's protocol: starting at (-7, 2), each iteration
records the current point and then updates, so 30 iterations give 30 points (the start and 29 updates;
the 30th update is never recorded). Computation is in float64.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

__all__ = ["BOOK_HYPERPARAMS", "BOOK_START", "f", "grad_f", "trajectory", "contour_grid"]

BOOK_START: tuple[float, float] = (-7.0, 2.0)

# The book's figure settings (optimizer name -> hyperparameters); other hyperparameters at their defaults.
BOOK_HYPERPARAMS: dict[str, dict[str, float]] = {
    "sgd": {"lr": 0.95},
    "momentum": {"lr": 0.1},
    "adagrad": {"lr": 1.5},
    "adam": {"lr": 0.3},
}


class _Updater(Protocol):
    def update(self, params: np.ndarray, grads: np.ndarray) -> None: ...


def f(x: float | np.ndarray, y: float | np.ndarray) -> float | np.ndarray:
    """f(x, y) = x**2 / 20 + y**2 (scalars or arrays)."""
    return x**2 / 20.0 + y**2


def grad_f(x: float | np.ndarray, y: float | np.ndarray) -> tuple[float | np.ndarray, float | np.ndarray]:
    """The gradient of ``f``: (x / 10, 2 y)."""
    return x / 10.0, 2.0 * y


def trajectory(optimizer: _Updater, start: tuple[float, float] = BOOK_START, steps: int = 30) -> np.ndarray:
    """Points visited by ``optimizer`` on ``f``: an array (steps, 2), row 0 = ``start``.

    Each of the ``steps`` iterations records the point and then applies one update (so only
    ``steps - 1`` updates are visible). Pass a fresh optimizer: its state carries over between calls.
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps={steps!r} is invalid: pass an integer >= 1 (the book uses 30)")
    params = np.array(start, dtype=np.float64)
    if params.shape != (2,) or not np.all(np.isfinite(params)):
        raise ValueError(f"start={start!r} is invalid: pass two finite numbers (x, y), e.g. (-7.0, 2.0)")
    points = np.empty((steps, 2), dtype=np.float64)
    grads = np.empty(2, dtype=np.float64)
    for i in range(steps):
        points[i] = params
        grads[0], grads[1] = grad_f(params[0], params[1])
        optimizer.update(params, grads)
    return points


def contour_grid(step: float = 0.01, *, cutoff: float = 7.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The book's contour background: X, Y over [-10, 10) x [-5, 5) with ``step``; Z = f, with Z > cutoff
    set to 0 (the book thins the contour set that way)."""
    if not (step > 0 and np.isfinite(step)):
        raise ValueError(f"step={step!r} is invalid: pass a positive grid spacing such as 0.01")
    xs = np.arange(-10.0, 10.0, step)
    ys = np.arange(-5.0, 5.0, step)
    x_grid, y_grid = np.meshgrid(xs, ys)
    z = f(x_grid, y_grid)
    z[z > cutoff] = 0.0
    return x_grid, y_grid, z
