"""Convolution (book ``common/layers.py`` ``Convolution``), on channels-last memory.

``Conv2D`` computes the book's ``im2col(x) @ W.reshape(FN, -1).T + b``, but lays the windows out as (i, j, c)
over NHWC memory (the weight columns permuted to match), so the im2col copy moves runs of ``FW*C`` contiguous
numbers, and the GEMM's (N*OH*OW, FN) result is the next layer's NHWC input without a transpose. For stride 1
and FN <= C the input gradient is the "full" convolution of the output gradient with the flipped filters: one
more im2col and GEMM instead of scattering FH*FW overlapping windows back. The im2col buffers are reused across
calls (``Workspace``). ``MaxPool2D``, ``im2col`` and ``col2im`` are re-exported from their modules.
"""

from __future__ import annotations

import numpy as np

from netcore.channels import from_nhwc_rows, nhwc_rows, tiled, wide_shape
from netcore.im2col import add_windows, col2im, conv_output_size, im2col, nhwc_windows
from netcore.layer_base import Workspace, init_grads
from netcore.pool import MaxPool2D

__all__ = ["Conv2D", "MaxPool2D", "col2im", "conv_output_size", "im2col"]


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
        self._col: np.ndarray | None = None  # (N*OH*OW, FH*FW*C), a workspace array
        self._ws = Workspace()

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        W, b = self.params["W"], self.params["b"]
        fn, c, fh, fw = W.shape
        n, xc, h, w = x.shape
        if xc != c:
            raise ValueError(f"Conv2D with {c} input channels got input {x.shape}")
        s, p = self.stride, self.pad
        oh, ow = conv_output_size(h, fh, s, p), conv_output_size(w, fw, s, p)
        xt = x.transpose(0, 2, 3, 1)  # NHWC; a view, of any strides
        if p:
            xp = self._ws.get("x_pad", (n, h + 2 * p, w + 2 * p, c), x.dtype, zeroed=True)
            xp[:, p : p + h, p : p + w, :] = xt  # the border stays zero across calls
            xt = xp
        col = self._ws.get("col", (n * oh * ow, fh * fw * c), x.dtype)
        np.copyto(col.reshape(n, oh, ow, fh, fw, c), nhwc_windows(xt, oh, ow, fh, fw, s))
        out = np.matmul(col, W.transpose(2, 3, 1, 0).reshape(-1, fn))  # (N*OH*OW, FN); W columns (i, j, c)
        ws = wide_shape(*out.shape)
        out_wide = out.reshape(ws)  # a view: + b over rows of ~1024 numbers, not of FN
        out_wide += tiled(b, ws)
        self._x_shape, self._col = x.shape, col
        return from_nhwc_rows(out, n, oh, ow)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        W = self.params["W"]
        fn, c, fh, fw = W.shape
        n, oh, ow = dout.shape[0], dout.shape[2], dout.shape[3]
        d2 = nhwc_rows(dout)  # (N*OH*OW, FN)
        np.matmul(self._ws.ones(d2.shape[0], d2.dtype), d2, out=self.grads["b"])  # column sums as a GEMV
        dwk = np.matmul(d2.T, self._col)  # (FN, FH*FW*C), columns (i, j, c)
        self.grads["W"][...] = dwk.reshape(fn, fh, fw, c).transpose(0, 3, 1, 2)
        if not self.need_input_grad:
            return None  # type: ignore[return-value]
        if self.stride == 1 and fn <= c:  # else the flipped-filter im2col would copy more than it saves
            return self._input_grad_full_conv(d2.reshape(n, oh, ow, fn))
        return self._input_grad_scatter(d2)

    def _input_grad_full_conv(self, dt: np.ndarray) -> np.ndarray:
        """Stride 1: dx[y, x] = sum_ij dout_pad[y + p + i, x + p + j] @ W[:, :, FH-1-i, FW-1-j], dout_pad being
        dout with FH-1 (FW-1) zero rows (columns) on each side."""
        W = self.params["W"]
        fn, c, fh, fw = W.shape
        n, h, w = self._x_shape[0], self._x_shape[2], self._x_shape[3]
        oh, ow, p = dt.shape[1], dt.shape[2], self.pad
        dp = self._ws.get("dout_pad", (n, oh + 2 * fh - 2, ow + 2 * fw - 2, fn), dt.dtype, zeroed=True)
        dp[:, fh - 1 : fh - 1 + oh, fw - 1 : fw - 1 + ow, :] = dt
        dcol = self._ws.get("dcol", (n * h * w, fh * fw * fn), dt.dtype)
        np.copyto(dcol.reshape(n, h, w, fh, fw, fn), nhwc_windows(dp, h, w, fh, fw, 1, start=(p, p)))
        w_flip = W[:, :, ::-1, ::-1].transpose(2, 3, 0, 1).reshape(-1, c)  # rows (i, j, f)
        return from_nhwc_rows(np.matmul(dcol, w_flip), n, h, w)

    def _input_grad_scatter(self, d2: np.ndarray) -> np.ndarray:
        """Any stride: dcol = dout @ W, each row's window added back into the padded input."""
        W = self.params["W"]
        fn, c, fh, fw = W.shape
        n, _, h, w = self._x_shape
        s, p = self.stride, self.pad
        oh, ow = conv_output_size(h, fh, s, p), conv_output_size(w, fw, s, p)
        dcol = self._ws.get("dcol", (d2.shape[0], fh * fw * c), d2.dtype)
        np.matmul(d2, W.transpose(0, 2, 3, 1).reshape(fn, -1), out=dcol)  # (N*OH*OW, FH*FW*C)
        dxt = np.zeros((n, h + 2 * p, w + 2 * p, c), dtype=dcol.dtype)
        win = dcol.reshape(n, oh, ow, fh, fw, c).transpose(0, 5, 1, 2, 3, 4)  # (N, C, OH, OW, FH, FW)
        add_windows(dxt.transpose(0, 3, 1, 2), win, s)
        return dxt[:, p : p + h, p : p + w, :].transpose(0, 3, 1, 2)
