"""Stride-1 convolutions on (H, C, W, N) memory (``netcore.hcwn``) on the input rows in place, a few output
rows at a time.

Notation: ``src`` is a C-contiguous (H, C, W, N) array, the kernel is FH x FW, an output row y of F channels
is the (F, OW*N) matrix ``out[y]``, and ``W[f, c, i, j]`` is the book's (F, C, FH, FW) weight.

* ``stacked_forward`` (stride 1): the FH input rows under output row y, ``src[y+r0 : y+r0+FH]``, are already
  one (FH*C, W*N) matrix. One GEMM with the kernel's FW columns stacked, ``P = Wst @ src[y+r0 : y+r0+FH]``,
  Wst being (FW*F, FH*C), gives for every j the product of kernel column j with every input column; output
  column x takes block j of P at input column x + j + c0, over the output columns where that is inside the
  input. Padding is the offset (r0, c0) = (-pad, -pad): the input is read as zero outside it, with no padded
  copy and no im2col copy; border output rows whose window sticks out use the taps inside, and the GEMM's
  result stays in the cache for the FW-1 shifted adds. Where ``netcore.blas`` finds NumPy's OpenBLAS, each
  kernel column's product is instead added by BLAS straight into the output columns it reaches (no scratch
  product, no shifted adds, the bias as the starting value).
* ``stacked_weight_grad`` (stride 1): ``dW`` as one GEMM per output row and kernel column: the same input rows
  in place, times the output gradient transposed to channels-innermost a chunk at a time.

Other strides, and layers whose FH*C is too small for this, copy windows instead (``netcore.conv_copied``).

Chunks of rows are about ``CHUNK_BYTES`` of scratch, so each GEMM's operands and result are in the L2 cache:
thin products (16-64 output channels) run 1.5-2x faster there than on whole-layer arrays.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from netcore import blas
from netcore.hcwn import chunks, per_channel
from netcore.layer_base import Workspace

PER_COLUMN_MIN_F = 32  # output channels from which one GEMM per kernel column beats a stacked GEMM with unused columns

__all__ = ["stacked_forward", "stacked_weight_grad", "stacked_weights"]


def stacked_weights(W: np.ndarray) -> np.ndarray:
    """(F, C, FH, FW) -> Wst (FW*F, FH*C) with ``Wst[j*F + f, i*C + c] = W[f, c, i, j]``."""
    f, c, fh, fw = W.shape
    return W.transpose(3, 0, 2, 1).reshape(fw * f, fh * c)


def _row_windows(src: np.ndarray, row0: int, k: int, fh: int) -> np.ndarray:
    """(k, FH*C, Ws*N) view: for output row y, the whole input rows src[row0+y : row0+y+FH] of C-contiguous
    ``src``. Its strides come from the shape: NumPy may report any stride for an axis of length 1 (a
    transposed view with N = 1 or H = 1 counts as contiguous), and the merged axes need the real ones."""
    if not src.flags.c_contiguous:
        raise ValueError("conv_rows needs C-contiguous (H, C, W, N) memory")
    _, c, w, n = src.shape
    it = src.itemsize
    return as_strided(src[row0:], (k, fh * c, w * n), (c * w * n * it, w * n * it, it))


def _group_windows(src: np.ndarray, groups: list[tuple[slice, int, int]], r0: int, fh: int):
    """Yield (rows, a, b, win) per row group of ``_row_groups``: win (k, (b-a)*C, W*N) holds input rows
    y + r0 + a .. y + r0 + b - 1 under each output row y (None when no tap is inside). One strided view serves
    every chunk of interior rows; a border row (always alone) is a reshaped slice."""
    _, c, w, n = src.shape
    inner = [rows for rows, a, b in groups if (a, b) == (0, fh)]
    base = inner[0].start if inner else 0
    view = _row_windows(src, base + r0, inner[-1].stop - base, fh) if inner else None
    for rows, a, b in groups:
        if b == a:
            yield rows, a, b, None
        elif (a, b) == (0, fh):
            yield rows, a, b, view[rows.start - base : rows.stop - base]
        else:
            y0 = rows.start + r0 + a
            yield rows, a, b, src[y0 : y0 + b - a].reshape(1, (b - a) * c, w * n)


def _span(n_out: int, n_in: int, off: int) -> tuple[int, int]:
    """Output positions x in [0, n_out) whose input position x + off lies in [0, n_in): (lo, hi), maybe empty."""
    lo = min(max(0, -off), n_out)
    return lo, max(lo, min(n_out, n_in - off))


def _row_groups(oh: int, h: int, fh: int, r0: int, row_bytes: int) -> list[tuple[slice, int, int]]:
    """(output rows, first tap, end tap): output row y reads input rows y + i + r0 for taps i in [lo, hi).
    Rows whose FH taps are all inside the input come in chunks of ~CHUNK_BYTES; the others one at a time."""
    lo, hi = _span(oh, h - fh + 1, r0)  # rows with every tap inside
    groups = [(slice(r.start + lo, r.stop + lo), 0, fh) for r in chunks(hi - lo, row_bytes)]
    for y in [*range(lo), *range(hi, oh)]:
        a, b = max(0, -r0 - y), min(fh, h - r0 - y)
        groups.append((slice(y, y + 1), a, max(a, b)))
    return groups


def _column_order(fw: int, ow: int, w: int, c0: int) -> list[tuple[int, int, int]]:
    """(j, lo, hi) per kernel column j: output columns [lo, hi) read input columns x + j + c0 inside [0, w);
    the widest span first (the centre column of a 'same' convolution covers every output column)."""
    spans = [(j, *_span(ow, w, j + c0)) for j in range(fw)]
    spans = [t for t in spans if t[2] > t[1]]
    return sorted(spans, key=lambda t: t[1] - t[2])


def stacked_forward(src: np.ndarray, wst: np.ndarray, fw: int, out: np.ndarray, ws: Workspace, *, tag: str,
                    off: tuple[int, int] = (0, 0), bias: np.ndarray | None = None) -> None:
    """Stride-1 correlation into ``out`` (OH, F, OW*N): out[y, :, x] = sum_ij W_ij @ src[y+i+r0, :, x+j+c0], the
    input read as zero outside its (H, W): ``off`` = (r0, c0) = (-pad, -pad) is a padded convolution with no
    padded copy. ``tag`` names its scratch in ``ws`` (a layer's forward and input gradient keep one each).
    The stacked GEMM runs over the W input columns, so a 'same' convolution (W = OW) wastes none and its
    M = FW*F rows run faster than FW GEMMs of F rows (DeepConvNet: 70.4 -> 67.6 ms per step). Where the input
    row is wider than the output row (no or little padding) and F >= 32, each kernel column is its own GEMM
    over exactly the output columns it reaches (stacked, the W - OW unused columns are 29 % more work on a
    64->64 7x7 layer without padding)."""
    if blas.available(src.dtype) and src.dtype == wst.dtype == out.dtype and out.flags.c_contiguous:
        _direct_forward(src, np.ascontiguousarray(wst), fw, out, off, bias)
        return
    h, c, w, n = src.shape
    oh, f, own = out.shape
    ow, (r0, c0) = own // n, off
    fh = wst.shape[1] // c
    per_column = f >= PER_COLUMN_MIN_F and w > ow
    row_bytes = (f * own if per_column else wst.shape[0] * w * n) * src.itemsize
    groups = _row_groups(oh, h, fh, r0, row_bytes)
    k_max = max(g[0].stop - g[0].start for g in groups)
    p = ws.get(f"{tag}_p", (k_max, *((f, own) if per_column else (wst.shape[0], w * n))), src.dtype)
    cols = _column_order(fw, ow, w, c0)
    bias_block = None if bias is None else per_channel(bias, own)
    for rows, a, b, win in _group_windows(src, groups, r0, fh):
        k, o = rows.stop - rows.start, out[rows]
        if win is None or not cols:  # no tap inside the input: only the bias
            o[...] = 0
        else:
            wk = wst[:, a * c : b * c]
            if per_column:
                _per_column(wk, win, f, cols, c0, n, o, p[:k])
            else:
                _shifted_sums(np.matmul(wk, win, out=p[:k]), f, cols, c0, n, o)
        if bias_block is not None:
            o += bias_block


def _direct_forward(src: np.ndarray, wst: np.ndarray, fw: int, out: np.ndarray, off: tuple[int, int],
                    bias: np.ndarray | None) -> None:
    """``stacked_forward`` with BLAS adding each kernel column's product straight into its span of the output
    row (``netcore.blas``): each chunk of output rows starts as the bias, then per row and kernel column one
    product of the weights' column block with the input rows in place, at addresses computed here from the
    arrays' shapes (all three C-contiguous), so no view is made per product."""
    if not src.flags.c_contiguous:
        raise ValueError("conv_rows needs C-contiguous (H, C, W, N) memory")
    h, c, w, n = src.shape
    oh, f, own = out.shape
    (r0, c0), it, ldw = off, src.itemsize, wst.shape[1]
    fh = ldw // c
    if wst.shape != (fw * f, fh * c) or own % n or not out.flags.writeable:  # the addresses below rely on these
        raise ValueError(f"conv_rows: weights {wst.shape} (FW*F, FH*C), output {out.shape} and input {src.shape} "
                         "do not fit")
    cols = _column_order(fw, own // n, w, c0)
    groups = _row_groups(oh, h, fh, r0, f * own * it)
    # every product below stays inside the three arrays (a raw address out of them would corrupt memory)
    if any(b > a and (rows.start + r0 + a < 0 or rows.stop - 1 + r0 + b > h) for rows, a, b in groups) or any(
            lo + j + c0 < 0 or hi + j + c0 > w or hi * n > own or not 0 <= j < fw for j, lo, hi in cols):
        raise AssertionError("conv_rows: a direct product would reach outside its arrays")
    start = 0 if bias is None else per_channel(bias, own)
    gemm = blas.raw_gemm_add(src.dtype)
    pw, ps, po = blas.address(wst), blas.address(src), blas.address(out)
    for rows, a, b in groups:
        out[rows] = start
        if b == a or f == 0:
            continue
        k = (b - a) * c
        for y in range(rows.start, rows.stop):
            p_in, p_out = ps + (y + r0 + a) * c * w * n * it, po + y * f * own * it
            for j, lo, hi in cols:
                gemm(f, (hi - lo) * n, k, pw + (j * f * ldw + a * c) * it, ldw, p_in + (lo + j + c0) * n * it, w * n,
                     p_out + lo * n * it, own)


def _zero_outside(o: np.ndarray, lo: int, hi: int, n: int) -> None:
    if lo:
        o[:, :, : lo * n] = 0
    if hi * n < o.shape[2]:
        o[:, :, hi * n :] = 0


def _per_column(wk: np.ndarray, win: np.ndarray, f: int, cols: list, c0: int, n: int, o: np.ndarray,
                p: np.ndarray) -> None:
    """out = sum_j W_j @ (input columns of kernel column j), one GEMM per kernel column into its span."""
    (j, lo, hi), rest = cols[0], cols[1:]
    np.matmul(wk[j * f : (j + 1) * f], win[:, :, (lo + j + c0) * n : (hi + j + c0) * n], out=o[:, :, lo * n : hi * n])
    _zero_outside(o, lo, hi, n)
    for j, lo, hi in rest:
        q = np.matmul(wk[j * f : (j + 1) * f], win[:, :, (lo + j + c0) * n : (hi + j + c0) * n],
                      out=p[:, :, : (hi - lo) * n])
        o[:, :, lo * n : hi * n] += q


def _shifted_sums(pk: np.ndarray, f: int, cols: list, c0: int, n: int, o: np.ndarray) -> None:
    """out = sum_j (block j of the stacked product, shifted by j + c0 columns), each over its span; the widest
    two blocks in one pass where the second's span lies inside the first's."""

    def block(j: int, lo: int, hi: int) -> np.ndarray:
        return pk[:, j * f : (j + 1) * f, (lo + j + c0) * n : (hi + j + c0) * n]

    (j, lo, hi), rest = cols[0], cols[1:]
    _zero_outside(o, lo, hi, n)
    if rest and lo <= rest[0][1] and rest[0][2] <= hi:
        j2, lo2, hi2 = rest.pop(0)
        np.add(block(j, lo2, hi2), block(j2, lo2, hi2), out=o[:, :, lo2 * n : hi2 * n])
        if lo < lo2:
            np.copyto(o[:, :, lo * n : lo2 * n], block(j, lo, lo2))
        if hi2 < hi:
            np.copyto(o[:, :, hi2 * n : hi * n], block(j, hi2, hi))
    else:
        np.copyto(o[:, :, lo * n : hi * n], block(j, lo, hi))
    for j, lo, hi in rest:
        o[:, :, lo * n : hi * n] += block(j, lo, hi)


def stacked_weight_grad(src: np.ndarray, d: np.ndarray, fh: int, fw: int, ws: Workspace, *,
                        off: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Stride 1: G (FW, FH*C, F), ``G[j, i*C + c, f] = sum_{y,x,n} src[y+i+r0, c, x+j+c0, n] * d[y, f, x*N+n]``
    (the input zero outside its (H, W), as ``stacked_forward``).

    One GEMM per output row and kernel column, the input rows in place times the output gradient transposed
    to (k, OW*N, F), a chunk of rows at a time in the cache: with the F channels innermost OpenBLAS reads
    neither operand transposed (measured 12-25 % faster, transpose included, than one product of the output
    gradient with the transposed rows)."""
    h, c, w, n = src.shape
    oh, f, own = d.shape
    r0, c0 = off
    groups = _row_groups(oh, h, fh, r0, (fh * c * w * n + own * f) * src.itemsize)
    k_max = max(r.stop - r.start for r, _, _ in groups)
    d_t = ws.get("d_t", (k_max, own, f), d.dtype)
    g = np.zeros((fw, fh * c, f), np.result_type(src.dtype, d.dtype))
    prod = ws.get("dw_prod", (k_max, fh * c, f), g.dtype)
    cols = _column_order(fw, own // n, w, c0)
    for rows, a, b, win in _group_windows(src, groups, r0, fh):
        if win is None:
            continue
        k = rows.stop - rows.start
        dk, pk = d_t[:k], prod[:k, : (b - a) * c]
        np.copyto(dk, d[rows].transpose(0, 2, 1))
        for j, lo, hi in cols:
            np.matmul(win[:, :, (lo + j + c0) * n : (hi + j + c0) * n], dk[:, lo * n : hi * n], out=pk)
            g[j, a * c : b * c] += pk[0] if k == 1 else pk.sum(axis=0)
    return g
