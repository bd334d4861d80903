"""netcore.smoothing.smooth_curve against a hand-computed case (the Kaiser window from its formula)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from netcore.smoothing import smooth_curve


def _kaiser(m: int, beta: float) -> list[float]:
    """w[k] = I0(beta * sqrt(1 - (2k/(m-1) - 1)^2)) / I0(beta), I0 by its power series."""

    def i0(z: float) -> float:
        return sum((z / 2) ** (2 * j) / math.factorial(j) ** 2 for j in range(40))

    return [i0(beta * math.sqrt(1 - (2 * k / (m - 1) - 1) ** 2)) / i0(beta) for k in range(m)]


def test_by_hand_on_a_ramp_with_a_jump():
    x = [float(v) for v in range(12)]
    x[7] = 20.0
    w = _kaiser(11, 2.0)
    total = sum(w)
    # output 0 is centred on x[0]; its left neighbours mirror x[1..5] (x[0] is not repeated)
    left = [x[5], x[4], x[3], x[2], x[1], x[0], x[1], x[2], x[3], x[4], x[5]]
    # output 11 is centred on x[11]; its right neighbours repeat x[11], then x[10], ...
    right = [x[6], x[7], x[8], x[9], x[10], x[11], x[11], x[10], x[9], x[8], x[7]]
    middle = x[1:12]  # output 6 sees x[1..11] unpadded
    out = smooth_curve(x)
    assert out.shape == (12,)
    assert out[0] == pytest.approx(sum(a * b for a, b in zip(w, left, strict=True)) / total, rel=1e-12)
    assert out[11] == pytest.approx(sum(a * b for a, b in zip(w, right, strict=True)) / total, rel=1e-12)
    assert out[6] == pytest.approx(sum(a * b for a, b in zip(w, middle, strict=True)) / total, rel=1e-12)


def test_constant_and_linear_interiors_are_kept():
    assert np.allclose(smooth_curve(np.full(30, 2.5)), 2.5)
    ramp = np.arange(40.0)
    assert np.allclose(smooth_curve(ramp)[5:-5], ramp[5:-5])


def test_rejects_short_or_2d_input():
    with pytest.raises(ValueError, match="at least 11"):
        smooth_curve(np.ones(10))
    with pytest.raises(ValueError, match="1-D"):
        smooth_curve(np.ones((3, 11)))
