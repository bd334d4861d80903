"""Convolution and max pooling (book ``common/util.py`` im2col/col2im, ``Convolution``, ``Pooling``).

``im2col``/``col2im`` keep the book's layout: one row per (n, oh, ow), columns ordered (c, i, j). They are
built from one strided view and one copy. ``Conv2D`` computes the same convolution, but internally lays
the windows out as (i, j, c) over an NHWC copy of the input (the weight columns are permuted to match): the
copy then moves runs of ``FW*C`` contiguous numbers instead of ``FW``, several times faster when C > 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
from numpy.lib.stride_tricks import as_strided

from netcore.layers import init_grads

__all__ = ["Conv2D", "MaxPool2D", "col2im", "conv_output_size", "im2col"]

_EMPTY: Mapping[str, np.ndarray] = MappingProxyType({})


def conv_output_size(size: int, filter_size: int, stride: int, pad: int) -> int:
    """``1 + (size + 2*pad - filter_size) // stride``; raises if no window fits."""
    if stride < 1 or pad < 0:
        raise ValueError(f"stride must be >= 1 and pad >= 0, got stride={stride}, pad={pad}")
    out = (size + 2 * pad - filter_size) // stride + 1
    if out < 1 or filter_size < 1:
        raise ValueError(f"a {filter_size}-wide window does not fit an input of {size} with pad {pad}")
    return out


def _pad_nchw(x: np.ndarray, pad: int) -> np.ndarray:
    if pad == 0:
        return x
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=x.dtype)
    xp[:, :, pad : pad + h, pad : pad + w] = x
    return xp


def _windows(xp: np.ndarray, oh: int, ow: int, fh: int, fw: int, stride: int) -> np.ndarray:
    """Read-only view (N, C, OH, OW, FH, FW) of the windows of a padded (N, C, Hp, Wp) array (any strides)."""
    sn, sc, sh, sw = xp.strides
    shape = (xp.shape[0], xp.shape[1], oh, ow, fh, fw)
    return as_strided(xp, shape, (sn, sc, sh * stride, sw * stride, sh, sw), writeable=False)


def _add_windows(img: np.ndarray, win: np.ndarray, stride: int) -> None:
    """Adjoint of ``_windows``: zeroed ``img`` (N, C, Hp, Wp) += each window of ``win`` (N,C,OH,OW,FH,FW)."""
    _, _, oh, ow, fh, fw = win.shape
    if stride >= fh and stride >= fw:  # disjoint windows: one strided copy
        sn, sc, sh, sw = img.strides
        as_strided(img, win.shape, (sn, sc, sh * stride, sw * stride, sh, sw))[...] = win
        return
    for i in range(fh):  # overlapping windows: accumulate one kernel offset at a time
        for j in range(fw):
            img[:, :, i : i + stride * oh : stride, j : j + stride * ow : stride] += win[:, :, :, :, i, j]


def im2col(x: np.ndarray, fh: int, fw: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """(N, C, H, W) -> (N*OH*OW, C*FH*FW): rows ordered (n, oh, ow), columns (c, i, j); zero padding."""
    n, c, h, w = x.shape
    oh, ow = conv_output_size(h, fh, stride, pad), conv_output_size(w, fw, stride, pad)
    win = _windows(_pad_nchw(x, pad), oh, ow, fh, fw, stride)  # (N, C, OH, OW, FH, FW)
    col = np.empty((n * oh * ow, c * fh * fw), dtype=x.dtype)
    np.copyto(col.reshape(n, oh, ow, c, fh, fw), win.transpose(0, 2, 3, 1, 4, 5))
    return col


def col2im(
    col: np.ndarray, x_shape: tuple[int, int, int, int], fh: int, fw: int, stride: int = 1, pad: int = 0
) -> np.ndarray:
    """The exact adjoint of ``im2col``: scatter-add each row's window back into an (N, C, H, W) image."""
    n, c, h, w = x_shape
    oh, ow = conv_output_size(h, fh, stride, pad), conv_output_size(w, fw, stride, pad)
    img = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=col.dtype)
    win = col.reshape(n, oh, ow, c, fh, fw).transpose(0, 3, 1, 2, 4, 5)
    _add_windows(img, win, stride)
    return img[:, :, pad : pad + h, pad : pad + w]


class Conv2D:
    """Convolution (cross-correlation) with W (FN, C, FH, FW), b (FN,): (N, C, H, W) -> (N, FN, OH, OW).

    Same results as the book's ``im2col(x) @ W.reshape(FN, -1).T + b``. The output is an (N, FN, OH, OW) view
    of NHWC memory. ``need_input_grad = False`` skips dx (backward then returns None), e.g. for a first layer.
    """

    def __init__(
        self,
        W: np.ndarray,
        b: np.ndarray,
        stride: int = 1,
        pad: int = 0,
        *,
        grads: dict[str, np.ndarray] | None = None,
    ) -> None:
        if W.ndim != 4 or b.shape != (W.shape[0],):
            raise ValueError(f"Conv2D needs W (FN, C, FH, FW) and b (FN,), got W{W.shape} and b{b.shape}")
        if stride < 1 or pad < 0:
            raise ValueError(f"stride must be >= 1 and pad >= 0, got stride={stride}, pad={pad}")
        self.params = {"W": W, "b": b}
        self.grads = init_grads(self.params, grads)
        self.stride, self.pad = int(stride), int(pad)
        self.need_input_grad = True
        self._x_shape: tuple[int, ...] = ()
        self._col: np.ndarray | None = None  # (N*OH*OW, FH*FW*C)
        self._wk: np.ndarray | None = None  # (FN, FH*FW*C)

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        W, b = self.params["W"], self.params["b"]
        fn, c, fh, fw = W.shape
        n, xc, h, w = x.shape
        if xc != c:
            raise ValueError(f"Conv2D with {c} input channels got input {x.shape}")
        s, p = self.stride, self.pad
        oh, ow = conv_output_size(h, fh, s, p), conv_output_size(w, fw, s, p)
        if p:
            xt = np.zeros((n, h + 2 * p, w + 2 * p, c), dtype=x.dtype)
            xt[:, p : p + h, p : p + w, :] = x.transpose(0, 2, 3, 1)
        else:
            xt = np.ascontiguousarray(x.transpose(0, 2, 3, 1))  # free if x is already NHWC memory
        sn, sh, sw, sc = xt.strides
        win = as_strided(xt, (n, oh, ow, fh, fw, c), (sn, sh * s, sw * s, sh, sw, sc), writeable=False)
        col = np.empty((n * oh * ow, fh * fw * c), dtype=x.dtype)
        np.copyto(col.reshape(n, oh, ow, fh, fw, c), win)
        wk = W.transpose(0, 2, 3, 1).reshape(fn, -1)  # columns (i, j, c), a copy
        out = np.matmul(col, wk.T)  # (N*OH*OW, FN)
        out += b
        self._x_shape, self._col, self._wk = x.shape, col, wk
        return out.reshape(n, oh, ow, fn).transpose(0, 3, 1, 2)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        fn, c, fh, fw = self.params["W"].shape
        n, _, h, w = self._x_shape
        oh, ow = dout.shape[2], dout.shape[3]
        d2 = dout.transpose(0, 2, 3, 1).reshape(-1, fn)  # (N*OH*OW, FN); free if dout is NHWC memory
        np.sum(d2, axis=0, out=self.grads["b"])
        dwk = np.matmul(d2.T, self._col)  # (FN, FH*FW*C)
        self.grads["W"][...] = dwk.reshape(fn, fh, fw, c).transpose(0, 3, 1, 2)
        if not self.need_input_grad:
            return None  # type: ignore[return-value]
        dcol = np.matmul(d2, self._wk)  # (N*OH*OW, FH*FW*C)
        s, p = self.stride, self.pad
        dxt = np.zeros((n, h + 2 * p, w + 2 * p, c), dtype=dcol.dtype)
        win = dcol.reshape(n, oh, ow, fh, fw, c).transpose(0, 5, 1, 2, 3, 4)  # (N, C, OH, OW, FH, FW)
        _add_windows(dxt.transpose(0, 3, 1, 2), win, s)
        return dxt[:, p : p + h, p : p + w, :].transpose(0, 3, 1, 2)


class MaxPool2D:
    """Max pooling over (ph, pw) windows: (N, C, H, W) -> (N, C, OH, OW), OH = 1 + (H + 2*pad - ph)//stride.

    With pad=0 (every book network) this is the book's ``1 + (H - ph)//stride``; padding is with zeros, as
    the book's im2col pads. The first maximum of a window wins ties; NaN counts as the maximum (NumPy argmax
    semantics). Backward sends each output gradient to its window's argmax; overlapping windows accumulate.
    """

    params: Mapping[str, np.ndarray] = _EMPTY
    grads: Mapping[str, np.ndarray] = _EMPTY

    def __init__(self, ph: int, pw: int, stride: int = 2, pad: int = 0) -> None:
        if ph < 1 or pw < 1 or stride < 1 or pad < 0:
            raise ValueError(f"invalid pooling ph={ph}, pw={pw}, stride={stride}, pad={pad}")
        self.ph, self.pw, self.stride, self.pad = int(ph), int(pw), int(stride), int(pad)
        self._x_shape: tuple[int, ...] = ()
        self._argmax: np.ndarray | None = None  # (PH*PW, N, C, OH, OW) bool: is this offset the argmax

    def _slices(self, xp: np.ndarray, oh: int, ow: int) -> list[np.ndarray]:
        s = self.stride
        return [
            xp[:, :, i : i + s * oh : s, j : j + s * ow : s] for i in range(self.ph) for j in range(self.pw)
        ]

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        n, c, h, w = x.shape
        oh = conv_output_size(h, self.ph, self.stride, self.pad)
        ow = conv_output_size(w, self.pw, self.stride, self.pad)
        sl = self._slices(_pad_nchw(x, self.pad), oh, ow)  # one strided view per window offset
        out = sl[0].copy() if len(sl) == 1 else np.maximum(sl[0], sl[1])
        for v in sl[2:]:
            np.maximum(out, v, out=out)  # NaN propagates, as np.max does
        has_nan = bool(np.isnan(out).any())
        am = np.empty((len(sl),) + out.shape, dtype=bool)
        taken = np.zeros(out.shape, dtype=bool)
        for k, v in enumerate(sl):  # first offset equal to the max (or first NaN) wins
            eq = np.equal(v, out, out=am[k])
            if has_nan:
                eq |= np.isnan(v)
            eq &= ~taken
            taken |= eq
        self._x_shape, self._argmax = x.shape, am
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        n, c, h, w = self._x_shape
        p = self.pad
        oh, ow = dout.shape[2], dout.shape[3]
        dxp = np.zeros((n, c, h + 2 * p, w + 2 * p), dtype=dout.dtype)
        disjoint = self.stride >= self.ph and self.stride >= self.pw
        for k, dst in enumerate(self._slices(dxp, oh, ow)):
            if disjoint:
                np.multiply(dout, self._argmax[k], out=dst)
            else:
                dst += dout * self._argmax[k]
        return dxp[:, :, p : p + h, p : p + w]
