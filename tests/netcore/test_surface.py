"""netcore.surface: the 2-D bowl and the book's record-then-update trajectory protocol."""

from __future__ import annotations

import numpy as np
import pytest

from netcore.optim import OPTIMIZERS, SGD, make_optimizer
from netcore.surface import BOOK_HYPERPARAMS, contour_grid, f, grad_f, trajectory


def test_function_and_gradient() -> None:
    assert f(-7.0, 2.0) == pytest.approx(49 / 20 + 4)
    assert grad_f(-7.0, 2.0) == pytest.approx((-0.7, 4.0))
    # gradient vs central differences
    h = 1e-6
    gx = (f(3.0 + h, -1.5) - f(3.0 - h, -1.5)) / (2 * h)
    gy = (f(3.0, -1.5 + h) - f(3.0, -1.5 - h)) / (2 * h)
    assert (gx, gy) == pytest.approx(grad_f(3.0, -1.5), rel=1e-6)


def test_trajectory_shape_start_and_sgd_first_step_by_hand() -> None:
    pts = trajectory(SGD(lr=0.95))
    assert pts.shape == (30, 2) and pts.dtype == np.float64
    np.testing.assert_array_equal(pts[0], [-7.0, 2.0])
    # grad at start = (-0.7, 4.0): (-7 + 0.95*0.7, 2 - 0.95*4) = (-6.335, -1.8)
    np.testing.assert_allclose(pts[1], [-6.335, -1.8], atol=1e-12)
    # y zig-zags: its sign flips every step since |1 - 0.95*2| = 0.9 (< 1, so it shrinks)
    assert np.all(np.sign(pts[1:, 1]) == -np.sign(pts[:-1, 1]))


def test_record_then_update_counts_updates() -> None:
    class Counter:
        calls = 0

        def update(self, params: np.ndarray, grads: np.ndarray) -> None:
            Counter.calls += 1
            params -= 0.1 * grads

    pts = trajectory(Counter(), steps=5)
    assert pts.shape == (5, 2) and Counter.calls == 5  # the 5th update is applied but never recorded
    assert trajectory(SGD(), start=(1.0, 1.0), steps=1).tolist() == [[1.0, 1.0]]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_registered_optimizer_runs(name: str) -> None:
    hp = BOOK_HYPERPARAMS.get(name, {"lr": 0.1})
    pts = trajectory(make_optimizer(name, **hp))
    assert pts.shape == (30, 2) and np.all(np.isfinite(pts))
    np.testing.assert_array_equal(pts[0], [-7.0, 2.0])
    assert f(*pts[-1]) < f(*pts[0])  # every method makes progress towards the minimum


def test_adagrad_takes_a_big_y_step_first() -> None:
    # The book: AdaGrad moves y a lot at first, then is damped. The first step is ~ lr in every coordinate.
    pts = trajectory(make_optimizer("adagrad", **BOOK_HYPERPARAMS["adagrad"]))
    np.testing.assert_allclose(pts[1] - pts[0], [1.5, -1.5], rtol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [({"steps": 0}, "steps=0"), ({"steps": 2.5}, "steps=2.5"), ({"start": (1.0,)}, r"start=\(1.0,\)"),
     ({"start": (np.nan, 0.0)}, "start=")],
)
def test_trajectory_errors(kwargs, pattern) -> None:
    with pytest.raises(ValueError, match=pattern):
        trajectory(SGD(), **kwargs)


def test_contour_grid_thins_high_values() -> None:
    x, y, z = contour_grid(0.5)
    assert x.shape == y.shape == z.shape == (20, 40)
    assert x.min() == -10.0 and x.max() < 10.0 and y.min() == -5.0 and y.max() < 5.0
    assert z.max() <= 7.0 and np.any(z == 0.0)
    with pytest.raises(ValueError, match="step=0"):
        contour_grid(0)
