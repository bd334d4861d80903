"""The (H, C, W, N) memory layout of netcore's conv layers: image rows outermost, the batch innermost.

A layer still takes and returns (N, C, H, W) arrays; those of the conv layers are views of (H, C, W, N)
memory (``from_hcwn``), and ``to_hcwn`` gets that memory back for free (one copy for any other layout).
In this layout one image row of all channels, ``a[y]``, is a (C, W*N) matrix with contiguous rows, and the
FH rows under a 3x3 window, ``a[y:y+FH]``, are one (FH*C, W*N) matrix: a convolution needs no im2col copy
(``netcore.conv_rows``), per-channel sums run over rows of W*N numbers, and a 2x2 pooling compares runs of N.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CHUNK_BYTES", "chunks", "from_hcwn", "per_channel", "to_hcwn"]

CHUNK_BYTES = 1 << 20  # scratch per chunk of image rows: a chunk's arrays stay in the L2 cache


def to_hcwn(x: np.ndarray, dtype: np.dtype | None = None) -> np.ndarray:
    """(N, C, H, W) -> contiguous (H, C, W, N) memory of ``dtype`` (default x's): free for a view of such
    memory, else one copy."""
    return np.ascontiguousarray(x.transpose(2, 1, 3, 0), dtype=dtype)


def from_hcwn(a: np.ndarray) -> np.ndarray:
    """(H, C, W, N) memory -> an (N, C, H, W) view of it."""
    return a.transpose(3, 1, 0, 2)


def chunks(n_rows: int, row_bytes: int) -> list[slice]:
    """Slices of ``n_rows`` rows into chunks of about CHUNK_BYTES (at least one row each)."""
    step = max(1, CHUNK_BYTES // max(row_bytes, 1))
    return [slice(i, min(i + step, n_rows)) for i in range(0, n_rows, step)]


def per_channel(v: np.ndarray, length: int) -> np.ndarray:
    """A (C,) vector as a (C, length) block, each row one channel's value: broadcasting that block over image
    rows runs NumPy's same-shape inner loops (~1.4x faster here than broadcasting a (C, 1) column)."""
    return np.repeat(v[:, None], length, axis=1)
