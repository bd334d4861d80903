"""Windows of images as strided views, the book's ``im2col``/``col2im`` (``common/util.py``) built on them.

``im2col``/``col2im`` keep the book's layout: one row per (n, oh, ow), columns ordered (c, i, j), made of one
strided view and one copy. ``Conv2D`` does not use them (it works on (H, C, W, N) memory, ``netcore.conv_rows``);
they are the book's functions, and the reference its tests compare against.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["add_windows", "col2im", "conv_output_size", "im2col", "pad_nchw"]


def conv_output_size(size: int, filter_size: int, stride: int, pad: int) -> int:
    """``1 + (size + 2*pad - filter_size) // stride``; raises if no window fits."""
    if stride < 1 or pad < 0:
        raise ValueError(f"stride must be >= 1 and pad >= 0, got stride={stride}, pad={pad}")
    out = (size + 2 * pad - filter_size) // stride + 1
    if out < 1 or filter_size < 1:
        raise ValueError(f"a {filter_size}-wide window does not fit an input of {size} with pad {pad}")
    return out


def pad_nchw(x: np.ndarray, pad: int) -> np.ndarray:
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


def add_windows(img: np.ndarray, win: np.ndarray, stride: int) -> None:
    """Adjoint of the windows view: zeroed ``img`` (N, C, Hp, Wp) += each window of ``win`` (N,C,OH,OW,FH,FW)."""
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
    win = _windows(pad_nchw(x, pad), oh, ow, fh, fw, stride)  # (N, C, OH, OW, FH, FW)
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
    add_windows(img, win, stride)
    return img[:, :, pad : pad + h, pad : pad + w]
