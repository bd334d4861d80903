"""Convolutions of any stride on (H, C, W, N) memory (``netcore.hcwn``) by copied windows: the book's im2col,
one chunk of output rows at a time (the chunk's windows copied into a cache-sized buffer from a padded input),
and its adjoint. ``Conv2D`` takes this path for strides > 1 and for layers whose FH*C is too small for the
in-place rows of ``netcore.conv_rows`` (first layers: one input channel).

Chunks of rows are about ``CHUNK_BYTES`` of scratch, so each GEMM's operands and result are in the L2 cache.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from netcore.hcwn import chunks, per_channel
from netcore.layer_base import Workspace

__all__ = ["col_weights", "copied_forward", "copied_weight_grad", "scattered_input_grad"]


def col_weights(W: np.ndarray) -> np.ndarray:
    """(F, C, FH, FW) -> (F, FH*FW*C), columns ordered (i, j, c) as ``copied_forward``'s windows."""
    return W.transpose(0, 2, 3, 1).reshape(W.shape[0], -1)


def _windows(src: np.ndarray, y0: int, k: int, fh: int, fw: int, stride: int, ow: int) -> np.ndarray:
    """(k, FH, FW, C, OW, N) view of the windows of output rows y0 .. y0+k-1 (any stride)."""
    s0, s1, s2, s3 = src.strides
    shape = (k, fh, fw, src.shape[1], ow, src.shape[3])
    return as_strided(src[stride * y0 :], shape, (stride * s0, s0, s2, s1, stride * s2, s3), writeable=False)


def _col_chunks(src: np.ndarray, fh: int, fw: int, stride: int, oh: int, ow: int, ws: Workspace):
    """Yield (rows, col) with col (k, FH*FW*C, OW*N) the im2col of that chunk of output rows."""
    c, n = src.shape[1], src.shape[3]
    kk = fh * fw * c
    parts = chunks(oh, kk * ow * n * src.itemsize)
    col = ws.get("col", (parts[0].stop, kk, ow * n), src.dtype)
    for rows in parts:
        k = rows.stop - rows.start
        np.copyto(col[:k].reshape(k, fh, fw, c, ow, n), _windows(src, rows.start, k, fh, fw, stride, ow))
        yield rows, col[:k]


def copied_forward(src: np.ndarray, wcol: np.ndarray, fh: int, fw: int, stride: int, out: np.ndarray,
                   bias: np.ndarray, ws: Workspace) -> None:
    """Any stride: out (OH, F, OW*N) = wcol @ im2col, chunk by chunk, plus the bias."""
    oh, _, own = out.shape
    bias_block = per_channel(bias, own)
    for rows, col in _col_chunks(src, fh, fw, stride, oh, own // src.shape[3], ws):
        o = np.matmul(wcol, col, out=out[rows])
        o += bias_block


def copied_weight_grad(src: np.ndarray, d: np.ndarray, fh: int, fw: int, stride: int,
                       ws: Workspace) -> np.ndarray:
    """Any stride: (F, FH*FW*C) = sum over output rows of d[y] @ im2col[y]^T."""
    oh, f, own = d.shape
    g = np.zeros((f, fh * fw * src.shape[1]), d.dtype)
    for rows, col in _col_chunks(src, fh, fw, stride, oh, own // src.shape[3], ws):
        g += np.matmul(d[rows], col.transpose(0, 2, 1)).sum(axis=0)
    return g


def scattered_input_grad(d: np.ndarray, wcol: np.ndarray, fh: int, fw: int, stride: int, dxp: np.ndarray,
                         ws: Workspace) -> None:
    """Any stride: the adjoint of ``copied_forward``'s windows; adds into the zeroed padded ``dxp`` (Hp, C, Wp, N)."""
    oh, _, own = d.shape
    c, n = dxp.shape[1], dxp.shape[3]
    ow, kk = own // n, fh * fw * c
    parts = chunks(oh, kk * own * d.itemsize)
    dcol = ws.get("dcol", (parts[0].stop, fh, fw, c, ow, n), d.dtype)
    wt = np.ascontiguousarray(wcol.T)  # (FH*FW*C, F)
    s0, s1, s2, s3 = dxp.strides
    for rows in parts:
        k = rows.stop - rows.start
        np.matmul(wt, d[rows], out=dcol[:k].reshape(k, kk, own))
        for i in range(fh):  # within one offset (i, j) no two windows share an element: one += each
            for j in range(fw):
                start = dxp[stride * rows.start + i :, :, j:]
                dst = as_strided(start, (k, c, ow, n), (stride * s0, s1, stride * s2, s3))
                dst += dcol[:k, i, j]
