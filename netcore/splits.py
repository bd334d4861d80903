"""The book's ways of taking part of a data set: a prefix of n samples, and section 6.5's validation split."""

from __future__ import annotations

import numpy as np

__all__ = ["book_split", "prefix"]


def prefix(x: np.ndarray, t: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``n`` samples, as the book takes ``x_train[:n]`` (e.g. 300, 500, 1000)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= len(x):
        raise ValueError(f"n={n!r} is invalid: pass an integer in [1, {len(x)}]")
    return x[:n], t[:n]


def book_split(
    x: np.ndarray,
    t: np.ndarray,
    *,
    n: int,
    val_fraction: float = 0.2,
    n_val: int | None = None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The book's section 6.5 split: the first ``n`` samples, shuffled once with ``rng``; the first
    ``int(n * val_fraction)`` (or exactly ``n_val``) become validation, the rest training.
    Returns (x_train, t_train, x_val, t_val).
    """
    if n_val is not None and (isinstance(n_val, bool) or not isinstance(n_val, int) or not 1 <= n_val < n):
        raise ValueError(f"n_val={n_val!r} is invalid: pass an integer in [1, {n - 1}] (or None)")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng={rng!r} is invalid: pass a numpy Generator, e.g. np.random.default_rng(0)")
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction={val_fraction!r} is invalid: pass a fraction in [0, 1), e.g. 0.2")
    x, t = prefix(x, t, n)
    perm = rng.permutation(n)
    x, t = x[perm], t[perm]
    if n_val is None:
        n_val = int(n * val_fraction)
    return x[n_val:], t[n_val:], x[:n_val], t[:n_val]
