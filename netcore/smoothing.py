"""The book's curve smoothing (``smooth_curve`` of its utilities), used for the loss curves of section 6.1.

The curve is mirror-padded by ``pad = 10`` points at each end, convolved ('valid') with a normalised Kaiser
window of length 11 and beta 2, and ``5`` points are dropped at each end, so the output has the input's
length and each output point is centred on its input point. The padding is not symmetric between the two
ends (this is the book's choice): on the left it is x[10], ..., x[1] (x[0] is not repeated); on the right
it is x[n-1], ..., x[n-10] (x[n-1] is repeated).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["WINDOW_LENGTH", "KAISER_BETA", "smooth_curve"]

WINDOW_LENGTH = 11
KAISER_BETA = 2.0


def smooth_curve(x: ArrayLike) -> np.ndarray:
    """The book's smoothed copy of a 1-D curve (float64, same length); needs at least 11 points."""
    values = np.asarray(x, dtype=np.float64)
    if values.ndim != 1 or len(values) < WINDOW_LENGTH:
        raise ValueError(
            f"smooth_curve needs a 1-D curve of at least {WINDOW_LENGTH} points, got shape {values.shape}"
        )
    pad = WINDOW_LENGTH - 1
    padded = np.concatenate([values[pad:0:-1], values, values[-1 : -pad - 1 : -1]])
    window = np.kaiser(WINDOW_LENGTH, KAISER_BETA)
    smoothed = np.convolve(window / window.sum(), padded, mode="valid")
    half = WINDOW_LENGTH // 2
    return smoothed[half : len(smoothed) - half]
