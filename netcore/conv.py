"""Convolution (book ``common/layers.py`` ``Convolution``), on (H, C, W, N) memory (``netcore.hcwn``).

``Conv2D`` computes the book's ``im2col(x) @ W.reshape(FN, -1).T + b`` a few output rows at a time
(``netcore.conv_rows``): with stride 1 the input rows under an output row are already one matrix, so the
forward pass, the weight gradient and the input gradient (the "full" convolution of the output gradient with
the flipped filters) are GEMMs on the input in place, with no im2col copy and no padded copy (the input is
read as zero outside it); other strides, and layers whose
FH*C is too small for that, copy the windows of a cache-sized chunk of rows (the book's im2col, chunked) and
scatter their gradient back. Its output is an (N, FN, OH, OW) view of (OH, FN, OW, N) memory, which the
next conv, batch-norm and pooling layers read without a copy. ``MaxPool2D``, ``im2col`` and ``col2im`` are
re-exported from their modules.
"""

from __future__ import annotations

import numpy as np

from netcore.conv_copied import col_weights, copied_forward, copied_weight_grad, scattered_input_grad
from netcore.conv_rows import stacked_forward, stacked_weight_grad, stacked_weights
from netcore.hcwn import from_hcwn, to_hcwn
from netcore.im2col import col2im, conv_output_size, im2col
from netcore.layer_base import Workspace, init_grads
from netcore.pool import MaxPool2D

__all__ = ["Conv2D", "MaxPool2D", "col2im", "conv_output_size", "im2col"]

STACK_MIN_K = 16  # stride-1 GEMMs read FH*C input rows per output row: fewer, and copying windows is faster


class Conv2D:
    """Convolution (cross-correlation) with W (FN, C, FH, FW), b (FN,): (N, C, H, W) -> (N, FN, OH, OW).

    Same results as the book's ``im2col(x) @ W.reshape(FN, -1).T + b``. The output is an (N, FN, OH, OW) view
    of (OH, FN, OW, N) memory. ``need_input_grad = False`` skips dx (backward then returns None), e.g. for a
    first layer.
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
        self._out_shape: tuple[int, ...] = ()
        self._xp: np.ndarray | None = None  # the (padded) input as (H, C, W, N) memory, for the weight gradient
        self._ws = Workspace()

    def _stacked(self, rows: int) -> bool:
        return self.stride == 1 and self.params["W"].shape[3] > 1 and rows >= STACK_MIN_K

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        W, b = self.params["W"], self.params["b"]
        fn, c, fh, fw = W.shape
        if x.ndim != 4 or x.shape[1] != c:
            raise ValueError(f"Conv2D with {c} input channels needs (N, {c}, H, W) input, got shape {x.shape}")
        n, _, h, w = x.shape
        s, p = self.stride, self.pad
        oh, ow = conv_output_size(h, fh, s, p), conv_output_size(w, fw, s, p)
        dt = np.result_type(x.dtype, W.dtype)  # as the book's im2col(x) @ W: integer images give floats
        self._x_shape, self._out_shape = x.shape, (n, fn, oh, ow)
        if n == 0:  # an empty batch: empty output, and backward gives empty gradients
            self._xp = np.zeros((h + 2 * p, c, w + 2 * p, 0), dt)
            return np.zeros(self._out_shape, dt)
        xt = to_hcwn(x, dt)  # (H, C, W, N)
        out = np.empty((oh, fn, ow, n), dt)
        o3 = out.reshape(oh, fn, ow * n)
        if self._stacked(fh * c):  # reads the input in place, zero outside it: no padded copy
            stacked_forward(xt, stacked_weights(W), fw, o3, self._ws, tag="fwd", off=(-p, -p), bias=b)
        else:
            if p:
                xp = self._ws.get("x_pad", (h + 2 * p, c, w + 2 * p, n), dt, zeroed=True)
                xp[p : p + h, :, p : p + w, :] = xt  # the border stays zero across calls
                xt = xp
            copied_forward(xt, col_weights(W), fh, fw, s, o3, b, self._ws)
        self._xp = xt  # the input (padded on the copied path), for the weight gradient
        return from_hcwn(out)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        W = self.params["W"]
        fn, c, fh, fw = W.shape
        if dout.shape != self._out_shape:
            raise ValueError(f"Conv2D.backward needs dout of the forward output's shape {self._out_shape}, "
                             f"got {dout.shape}")
        oh, ow, n = dout.shape[2], dout.shape[3], dout.shape[0]
        if n == 0:
            self.grads["W"][...] = 0
            self.grads["b"][...] = 0
            return np.zeros(self._x_shape, self._xp.dtype) if self.need_input_grad else None  # type: ignore
        d = to_hcwn(dout, np.result_type(dout.dtype, self._xp.dtype)).reshape(oh, fn, ow * n)
        rows = d.reshape(oh * fn, ow * n)
        self.grads["b"][...] = np.matmul(rows, self._ws.ones(ow * n, d.dtype)).reshape(oh, fn).sum(axis=0)
        if self._stacked(fh * c):
            g = stacked_weight_grad(self._xp, d, fh, fw, self._ws, off=(-self.pad, -self.pad))  # (FW, FH*C, FN)
            self.grads["W"][...] = g.reshape(fw, fh, c, fn).transpose(3, 2, 1, 0)
        else:
            g = copied_weight_grad(self._xp, d, fh, fw, self.stride, self._ws)
            self.grads["W"][...] = g.reshape(fn, fh, fw, c).transpose(0, 3, 1, 2)
        if not self.need_input_grad:
            return None  # type: ignore[return-value]
        if self._stacked(fh * fn):
            return self._input_grad_full_conv(d)
        return self._input_grad_scatter(d)

    def _input_grad_full_conv(self, d: np.ndarray) -> np.ndarray:
        """Stride 1: dx is the correlation of the output gradient (read as zero outside it: no padded copy)
        with the flipped filters, their in and out channels swapped: dx[y] = sum_i Wf_i d[y + i - (FH-1-pad)]."""
        W = self.params["W"]
        fn, c, fh, fw = W.shape
        n, _, h, w = self._x_shape
        oh, ow = d.shape[0], d.shape[2] // n
        dx = np.empty((h, c, w, n), d.dtype)
        w_flip = stacked_weights(W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))  # (FW*C, FH*FN)
        off = (self.pad - fh + 1, self.pad - fw + 1)
        stacked_forward(d.reshape(oh, fn, ow, n), w_flip, fw, dx.reshape(h, c, w * n), self._ws, tag="dx", off=off)
        return from_hcwn(dx)

    def _input_grad_scatter(self, d: np.ndarray) -> np.ndarray:
        """Any stride: each window's gradient added back into the padded input (the adjoint of im2col)."""
        W = self.params["W"]
        n, c, h, w = self._x_shape
        fh, fw, p = W.shape[2], W.shape[3], self.pad
        dxp = np.zeros((h + 2 * p, c, w + 2 * p, n), d.dtype)
        scattered_input_grad(d, col_weights(W), fh, fw, self.stride, dxp, self._ws)
        return from_hcwn(dxp[p : p + h, :, p : p + w, :])
