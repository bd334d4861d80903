"""Max pooling (book ``common/layers.py`` ``Pooling``) over (N, C, H, W) arrays of any memory layout."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from netcore.im2col import conv_output_size, pad_nchw
from netcore.layer_base import EMPTY

__all__ = ["MaxPool2D"]


class MaxPool2D:
    """Max pooling over (ph, pw) windows: (N, C, H, W) -> (N, C, OH, OW), OH = 1 + (H + 2*pad - ph)//stride.

    With pad=0 (every book network) this is the book's ``1 + (H - ph)//stride``; padding is with zeros, as
    the book's im2col pads. The first maximum of a window wins ties; NaN counts as the maximum (NumPy argmax
    semantics). Backward sends each output gradient to its window's argmax; overlapping windows accumulate.
    """

    params: Mapping[str, np.ndarray] = EMPTY
    grads: Mapping[str, np.ndarray] = EMPTY

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
        sl = self._slices(pad_nchw(x, self.pad), oh, ow)  # one strided view per window offset
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
