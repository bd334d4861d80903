"""Per-channel arithmetic on channels-last rows (N*H*W, C): NHWC memory seen as rows of C channels.

NumPy broadcasts a (C,) vector over (M, C) rows one short row at a time when C is small (16-64 channels), so
the layers view the same memory as (M/r, r*C) rows (``wide_shape``) and tile the vectors r times (``tiled``).
Column sums are GEMVs with a vector of ones (``Workspace.ones``), several times faster than ``sum(axis=0)``.
A chain of passes over an activation larger than the cache runs block by block (``blocks``), so that the
intermediate results of a block stay in the L2 cache instead of going to memory and back once per pass.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BLOCK", "WIDE_ROW", "blocks", "from_nhwc_rows", "nhwc_rows", "tiled", "wide_shape"]

WIDE_ROW = 1024  # target length of a wide row (numbers)
BLOCK = 32768  # numbers per block of a blocked chain of passes (128 KB of float32: a few fit in L2)


def nhwc_rows(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> its (N*H*W, C) channels-last rows: free for a view of NHWC memory, else one copy."""
    n, c, h, w = x.shape
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1)).reshape(n * h * w, c)


def from_nhwc_rows(rows: np.ndarray, n: int, h: int, w: int) -> np.ndarray:
    """(N*H*W, C) channels-last rows -> an (N, C, H, W) view of them."""
    return rows.reshape(n, h, w, -1).transpose(0, 3, 1, 2)


def wide_shape(m: int, c: int) -> tuple[int, int]:
    """(M/r, r*C) for (M, C) rows, r the largest divisor of M with r*C <= WIDE_ROW (at least 1)."""
    for r in range(max(WIDE_ROW // c, 1), 0, -1):
        if m % r == 0:
            return m // r, r * c
    return m, c  # unreachable: r = 1 divides m


def tiled(v: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A (C,) per-channel vector repeated along a wide row of ``shape`` (M/r, r*C)."""
    return np.tile(v, shape[1] // v.shape[0])


def blocks(shape: tuple[int, int]) -> list[slice]:
    """Slices of the rows of a wide (R, L) array into blocks of about BLOCK numbers (at least one row)."""
    step = max(1, BLOCK // shape[1])
    return [slice(i, min(i + step, shape[0])) for i in range(0, shape[0], step)]
