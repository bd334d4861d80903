"""Elementwise and loss functions of the network core (book ``common/functions.py`` semantics).

Every function keeps the floating dtype of its input (float32 stays float32); integer inputs become float64.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "LOG_DELTA", "accuracy", "cross_entropy", "labels_to_indices", "sigmoid", "softmax", "softmax_transposed",
]

LOG_DELTA = 1e-7
"""The book's ``delta`` inside ``log(y + delta)`` of the cross entropy."""


def sigmoid(x: ArrayLike) -> np.ndarray:
    """``1 / (1 + exp(-x))``, computed without overflow: ``exp(-|x|)`` never exceeds 1.

    Equal to the book's formula up to rounding for finite x, and no overflow warning for large ``-x``.
    """
    x = np.asarray(x)
    z = np.exp(-np.abs(x))  # in (0, 1]
    out = np.where(x >= 0, 1.0, z)  # numerator: 1 for x >= 0, exp(x) for x < 0
    out /= 1.0 + z
    return out


def softmax(x: ArrayLike) -> np.ndarray:
    """Softmax over the last axis: subtract the row max, exponentiate once, divide by the row sum."""
    x = np.asarray(x)
    return np.ascontiguousarray(softmax_transposed(x).T).reshape(x.shape)


def softmax_transposed(x: ArrayLike) -> np.ndarray:
    """The softmax of the rows of ``x`` (..., C), returned transposed as a new C-ordered (C, R) array, R the
    number of rows: NumPy reduces and broadcasts along a short last axis one row at a time (slow for C = 10
    classes), whereas along axis 0 each step is one vectorised loop over all rows."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    # np.array copies always: with one row the transposed view is contiguous already and ascontiguousarray
    # would hand back the caller's memory, which the in-place steps below would overwrite
    t = np.array(x.reshape(-1, x.shape[-1]).T, order="C")
    t -= t.max(axis=0)
    np.exp(t, out=t)
    t /= t.sum(axis=0)
    return t


def labels_to_indices(t: ArrayLike, n_rows: int, n_classes: int) -> np.ndarray:
    """Class indices of shape (n_rows,) from index labels or one-hot rows (argmax, as the book does).

    ``t`` is one-hot when it has ``n_rows * n_classes`` elements (the book's ``t.size == y.size`` rule);
    otherwise it must hold ``n_rows`` integer labels (any shape, e.g. (N,) or (N, 1)).
    """
    t = np.asarray(t)
    if t.size == n_rows * n_classes and n_classes != 1:
        return t.reshape(n_rows, n_classes).argmax(axis=1)
    if t.size != n_rows:
        raise ValueError(
            f"labels of shape {t.shape} do not match {n_rows} rows of {n_classes} classes: "
            "pass N integer labels or an (N, C) one-hot array"
        )
    if t.dtype.kind not in "iu":  # signed or unsigned integers (not bool)
        raise TypeError(f"index labels must be integers, got dtype {t.dtype}; cast them with astype(int)")
    return t.reshape(n_rows)


def cross_entropy(y: ArrayLike, t: ArrayLike) -> float:
    """Book cross entropy ``-mean_n log(y[n, t_n] + 1e-7)`` of probabilities ``y`` (N, C).

    A 1-D ``y`` is a batch of one. ``t`` holds class indices or one-hot rows (converted by argmax).
    """
    y = np.asarray(y)
    if y.ndim == 1:
        y = y.reshape(1, -1)
    if y.ndim != 2:
        raise ValueError(f"cross_entropy expects probabilities of shape (N, C) or (C,), got {y.shape}")
    n, c = y.shape
    idx = labels_to_indices(t, n, c)
    picked = y[np.arange(n), idx]
    return float(-np.sum(np.log(picked + LOG_DELTA)) / n)


def accuracy(scores: ArrayLike, t: ArrayLike) -> float:
    """Fraction of rows whose argmax equals the label (index or one-hot ``t``).

    NumPy argmax semantics: a NaN counts as the maximum (its first occurrence wins), so a row of NaN logits
    predicts class 0, as in the book.
    """
    scores = np.asarray(scores)
    if scores.ndim == 1:
        scores = scores.reshape(1, -1)
    n, c = scores.shape
    if n == 0:
        raise ValueError("accuracy of an empty batch is undefined")
    idx = labels_to_indices(t, n, c)
    return float(np.count_nonzero(scores.argmax(axis=1) == idx) / n)
