"""Convolutions on (H, C, W, N) memory (``netcore.hcwn``), computed a few output rows at a time.

Notation: ``src`` is a contiguous (Hs, C, Ws, N) array (padded input), the kernel is FH x FW, an output row y
of F channels is the (F, OW*N) matrix ``out[y]``, and ``W[f, c, i, j]`` is the book's (F, C, FH, FW) weight.

* ``stacked_forward`` (stride 1): the FH input rows under output row y, ``src[y:y+FH]``, are already one
  (FH*C, Ws*N) matrix. One GEMM with the kernel's FW columns stacked, ``P = Wst @ src[y:y+FH]``, Wst being
  (FW*F, FH*C), gives for every j the product of kernel column j with every input column; output column x
  takes block j of P at input column x + j, so ``out[y] = sum_j P[j-th F rows, shifted by j*N]``. No im2col
  copy: the GEMM reads the input in place and its result stays in the cache for the FW-1 shifted adds.
* ``stacked_weight_grad`` (stride 1): ``dW`` as one GEMM per output row and kernel column: the same input rows
  in place, times the output gradient transposed once to channels-innermost.
* ``copied_forward``, ``copied_weight_grad``, ``scattered_input_grad`` (any stride): the book's im2col, one
  chunk of output rows at a time (the chunk's windows copied into a cache-sized buffer), and its adjoint.

Chunks of rows are about ``CHUNK_BYTES`` of scratch, so each GEMM's operands and result are in the L2 cache:
thin products (16-64 output channels) run 1.5-2x faster there than on whole-layer arrays.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from netcore.hcwn import chunks, per_channel
from netcore.layer_base import Workspace

PER_COLUMN_MIN_F = 32  # output channels from which one GEMM per kernel column beats the stacked GEMM

__all__ = [
    "col_weights", "copied_forward", "copied_weight_grad", "scattered_input_grad", "stacked_forward",
    "stacked_weight_grad", "stacked_weights",
]


def stacked_weights(W: np.ndarray) -> np.ndarray:
    """(F, C, FH, FW) -> Wst (FW*F, FH*C) with ``Wst[j*F + f, i*C + c] = W[f, c, i, j]``."""
    f, c, fh, fw = W.shape
    return W.transpose(3, 0, 2, 1).reshape(fw * f, fh * c)


def col_weights(W: np.ndarray) -> np.ndarray:
    """(F, C, FH, FW) -> (F, FH*FW*C), columns ordered (i, j, c) as ``copied_forward``'s windows."""
    return W.transpose(0, 2, 3, 1).reshape(W.shape[0], -1)


def _row_windows(src: np.ndarray, row0: int, col0: int, k: int, fh: int, width: int) -> np.ndarray:
    """(k, FH*C, width*N) view: for output row y, the FH rows src[row0+y : row0+y+FH] from column col0."""
    s = src.strides
    return as_strided(src[row0:, :, col0:], (k, fh * src.shape[1], width * src.shape[3]), (s[0], s[1], s[3]))


def stacked_forward(src: np.ndarray, wst: np.ndarray, fw: int, out: np.ndarray, ws: Workspace, *, tag: str,
                    row0: int = 0, col0: int = 0, bias: np.ndarray | None = None) -> None:
    """Stride-1 correlation into ``out`` (OH, F, OW*N): out[y] = sum_ij W_ij @ src[row0+y+i, :, col0+x+j].
    ``tag`` names its scratch in ``ws`` (a layer's forward and input gradient keep one each). With F >= 32
    output channels each kernel column is its own GEMM over exactly the OW columns it needs (the stacked
    GEMM would also compute FW-1 unused columns per row: 29 % more work on 7x7 images)."""
    n = src.shape[3]
    oh, f, own = out.shape
    fh = wst.shape[1] // src.shape[1]
    width = own // n + fw - 1  # input columns one output row reads
    per_column = f >= PER_COLUMN_MIN_F
    row_bytes = (f * own if per_column else wst.shape[0] * width * n) * src.itemsize
    parts = chunks(oh, row_bytes)
    p = ws.get(f"{tag}_p", (parts[0].stop, *((f, own) if per_column else (wst.shape[0], width * n))), src.dtype)
    bias_block = None if bias is None else per_channel(bias, own)
    for rows in parts:
        k = rows.stop - rows.start
        win = _row_windows(src, row0 + rows.start, col0, k, fh, width)
        o = out[rows]
        if per_column:
            np.matmul(wst[:f], win[:, :, :own], out=o)
            for j in range(1, fw):
                o += np.matmul(wst[j * f : (j + 1) * f], win[:, :, j * n : j * n + own], out=p[:k])
        else:
            pk = np.matmul(wst, win, out=p[:k])
            if fw == 1:
                np.copyto(o, pk)
            else:
                np.add(pk[:, :f, :own], pk[:, f : 2 * f, n : n + own], out=o)
            for j in range(2, fw):
                o += pk[:, j * f : (j + 1) * f, j * n : j * n + own]
        if bias_block is not None:
            o += bias_block


def stacked_weight_grad(src: np.ndarray, d: np.ndarray, fh: int, fw: int, ws: Workspace) -> np.ndarray:
    """Stride 1: G (FW, FH*C, F), ``G[j, i*C + c, f] = sum_{y,x,n} src[y+i, c, x+j, n] * d[y, f, x*N+n]``.

    One GEMM per output row and kernel column, the input rows in place times the output gradient transposed
    once to (OH, OW*N, F): with the F channels innermost OpenBLAS reads neither operand transposed (measured
    12-25 % faster, transpose included, than one product of the output gradient with the transposed rows)."""
    n = src.shape[3]
    oh, f, own = d.shape
    width = own // n + fw - 1
    d_t = ws.get("d_t", (oh, own, f), d.dtype)
    np.copyto(d_t, d.transpose(0, 2, 1))
    g = np.zeros((fw, fh * src.shape[1], f), np.result_type(src.dtype, d.dtype))
    for rows in chunks(oh, fh * src.shape[1] * width * n * src.itemsize):
        win = _row_windows(src, rows.start, 0, rows.stop - rows.start, fh, width)
        for j in range(fw):
            g[j] += np.matmul(win[:, :, j * n : j * n + own], d_t[rows]).sum(axis=0)
    return g


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
