"""netcore.conv: im2col/col2im layout and adjointness, Conv2D and MaxPool2D against naive Python loops
(forward and backward), float64 gradient checks, the grads-in-place contract."""

from __future__ import annotations

import numpy as np
import pytest

from netcore.conv import Conv2D, MaxPool2D, col2im, im2col
from netcore.gradcheck import check_layer

# (N, C, H, W), (FN, FH, FW), stride, pad: overlap, stride 2, pad 1/2, non-square images and filters
CONV_CASES = [
    ((2, 3, 5, 5), (4, 3, 3), 1, 0),
    ((2, 2, 7, 6), (3, 3, 2), 2, 1),
    ((1, 3, 6, 8), (2, 2, 3), 1, 1),
    ((2, 1, 5, 4), (3, 2, 2), 2, 0),
    ((1, 2, 4, 5), (2, 3, 3), 1, 2),
    ((2, 2, 8, 7), (2, 2, 2), 3, 1),  # stride > filter: gaps between windows
]
POOL_CASES = [  # (N, C, H, W), (PH, PW), stride, pad
    ((2, 3, 6, 6), (2, 2), 2, 0),
    ((2, 2, 5, 7), (2, 2), 2, 0),  # odd sizes: the last row/column is never pooled
    ((1, 2, 6, 5), (3, 2), 1, 0),  # overlapping windows accumulate
    ((2, 1, 7, 7), (3, 3), 2, 0),  # overlapping, stride 2
    ((1, 2, 5, 4), (2, 2), 2, 1),
]


def _pad(x: np.ndarray, p: int) -> np.ndarray:
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))


def naive_conv(x: np.ndarray, W: np.ndarray, b: np.ndarray, s: int, p: int) -> np.ndarray:
    n, _, h, w = x.shape
    fn, _, fh, fw = W.shape
    xp = _pad(x, p)
    oh, ow = (h + 2 * p - fh) // s + 1, (w + 2 * p - fw) // s + 1
    out = np.zeros((n, fn, oh, ow))
    for i_n in range(n):
        for f in range(fn):
            for i in range(oh):
                for j in range(ow):
                    out[i_n, f, i, j] = np.sum(xp[i_n, :, i * s : i * s + fh, j * s : j * s + fw] * W[f]) + b[f]
    return out


def naive_conv_backward(
    x: np.ndarray, W: np.ndarray, dout: np.ndarray, s: int, p: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, _, h, w = x.shape
    fn, _, fh, fw = W.shape
    xp = _pad(x, p)
    dxp, dW, db = np.zeros_like(xp), np.zeros_like(W), np.zeros(fn)
    for i_n in range(n):
        for f in range(fn):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    d = dout[i_n, f, i, j]
                    dW[f] += d * xp[i_n, :, i * s : i * s + fh, j * s : j * s + fw]
                    dxp[i_n, :, i * s : i * s + fh, j * s : j * s + fw] += d * W[f]
                    db[f] += d
    return dxp[:, :, p : p + h, p : p + w], dW, db


def naive_pool(
    x: np.ndarray, ph: int, pw: int, s: int, p: int, dout: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Forward (max per window, first maximum wins) and backward (to that first maximum) by loops."""
    n, c, h, w = x.shape
    xp = _pad(x, p)
    oh, ow = (h + 2 * p - ph) // s + 1, (w + 2 * p - pw) // s + 1
    out, dxp = np.zeros((n, c, oh, ow)), np.zeros_like(xp)
    for a in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    best, where = None, None
                    for di in range(ph):
                        for dj in range(pw):
                            v = xp[a, ch, i * s + di, j * s + dj]
                            if best is None or v > best:
                                best, where = v, (i * s + di, j * s + dj)
                    out[a, ch, i, j] = best
                    if dout is not None:
                        dxp[a, ch, where[0], where[1]] += dout[a, ch, i, j]
    return out, dxp[:, :, p : p + h, p : p + w]


# ---------------------------------------------------------------- im2col / col2im


def test_im2col_hand_made_example_row_and_column_order() -> None:
    x = np.arange(18.0).reshape(1, 2, 3, 3)  # channel 0: 0..8, channel 1: 9..17
    col = im2col(x, 2, 2, stride=1, pad=0)
    # rows (oh, ow) = (0,0), (0,1), (1,0), (1,1); columns (c, i, j)
    expected = [
        [0, 1, 3, 4, 9, 10, 12, 13],
        [1, 2, 4, 5, 10, 11, 13, 14],
        [3, 4, 6, 7, 12, 13, 15, 16],
        [4, 5, 7, 8, 13, 14, 16, 17],
    ]
    np.testing.assert_array_equal(col, expected)
    two = im2col(np.concatenate([x, x + 100]), 2, 2)  # rows ordered (n, oh, ow): image 1 follows image 0
    np.testing.assert_array_equal(two[4:], np.array(expected) + 100)


def test_im2col_hand_made_example_with_pad_and_stride() -> None:
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    col = im2col(x, 2, 2, stride=2, pad=1)  # zero padded to 4x4, windows at (0,0), (0,2), (2,0), (2,2)
    np.testing.assert_array_equal(col, [[0, 0, 0, 1], [0, 0, 2, 0], [0, 3, 0, 0], [4, 0, 0, 0]])


@pytest.mark.parametrize("x_shape, f, s, p", CONV_CASES)
def test_im2col_matches_loops_and_col2im_is_its_adjoint(
    x_shape: tuple[int, ...], f: tuple[int, int, int], s: int, p: int
) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape)
    _, fh, fw = f
    col = im2col(x, fh, fw, s, p)
    xp = _pad(x, p)
    rows = [xp[a, :, i : i + fh, j : j + fw].ravel()
            for a in range(x_shape[0])
            for i in range(0, xp.shape[2] - fh + 1, s)
            for j in range(0, xp.shape[3] - fw + 1, s)]
    np.testing.assert_array_equal(col, np.array(rows))
    c = rng.standard_normal(col.shape)
    back = col2im(c, x_shape, fh, fw, s, p)
    assert back.shape == x_shape
    assert np.sum(col * c) == pytest.approx(np.sum(x * back), rel=1e-12)


def test_im2col_float32_and_col2im_accumulates_overlaps() -> None:
    x = np.ones((1, 1, 3, 3), dtype=np.float32)
    col = im2col(x, 2, 2)
    assert col.dtype == np.float32 and col.flags.writeable
    counts = col2im(np.ones_like(col), x.shape, 2, 2)  # how many windows cover each pixel
    np.testing.assert_array_equal(counts[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


# ---------------------------------------------------------------- Conv2D


@pytest.mark.parametrize("x_shape, f, s, p", CONV_CASES)
def test_conv_forward_and_backward_match_loops(
    x_shape: tuple[int, ...], f: tuple[int, int, int], s: int, p: int
) -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal(x_shape)
    W, b = rng.standard_normal((f[0], x_shape[1], f[1], f[2])), rng.standard_normal(f[0])
    layer = Conv2D(W, b, stride=s, pad=p)
    out = layer.forward(x, train=True)
    np.testing.assert_allclose(out, naive_conv(x, W, b, s, p), rtol=1e-12, atol=1e-12)
    # and the book's formula through the public im2col, column order (c, i, j)
    book = im2col(x, f[1], f[2], s, p) @ W.reshape(f[0], -1).T + b
    np.testing.assert_allclose(out, book.reshape(x_shape[0], *out.shape[2:], f[0]).transpose(0, 3, 1, 2),
                               rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    ref_dx, ref_dW, ref_db = naive_conv_backward(x, W, dout, s, p)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["W"], ref_dW, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["b"], ref_db, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, f, s, p", CONV_CASES[:3])
def test_conv_gradient_check(
    x_shape: tuple[int, ...], f: tuple[int, int, int], s: int, p: int
) -> None:
    rng = np.random.default_rng(3)
    layer = Conv2D(rng.standard_normal((f[0], x_shape[1], f[1], f[2])), rng.standard_normal(f[0]), s, p)
    result = check_layer(layer, rng.standard_normal(x_shape), rng=rng)
    assert max(c.rel_error for c in result.values()) < 1e-8, {k: c.rel_error for k, c in result.items()}


def test_conv_chain_on_hcwn_memory_and_grads_views() -> None:
    rng = np.random.default_rng(4)
    flat, gflat = rng.standard_normal(3 * 2 * 3 * 3 + 3), np.full(3 * 2 * 3 * 3 + 3, np.nan)
    W, b = flat[:54].reshape(3, 2, 3, 3), flat[54:]
    conv1 = Conv2D(W, b, pad=1, grads={"W": gflat[:54].reshape(3, 2, 3, 3), "b": gflat[54:]})
    W2, b2 = rng.standard_normal((2, 3, 2, 2)), rng.standard_normal(2)
    conv2 = Conv2D(W2, b2, stride=2, pad=1)
    x = rng.standard_normal((2, 2, 5, 6))
    h = conv1.forward(x, train=True)  # an (N, C, H, W) view of (H, C, W, N) memory feeds the next conv
    out = conv2.forward(h, train=True)
    np.testing.assert_allclose(out, naive_conv(naive_conv(x, W, b, 1, 1), W2, b2, 2, 1), rtol=1e-12)
    dh = conv2.backward(np.ones_like(out))
    ref_dh = naive_conv_backward(np.asarray(h), W2, np.ones_like(out), 2, 1)[0]
    np.testing.assert_allclose(dh, ref_dh, rtol=1e-12)
    conv1.backward(dh)
    assert not np.isnan(gflat).any()
    np.testing.assert_allclose(conv1.grads["W"], naive_conv_backward(x, W, dh, 1, 1)[1], rtol=1e-12)


def test_conv_float32_need_input_grad_and_validation() -> None:
    rng = np.random.default_rng(5)
    W, b = rng.standard_normal((2, 1, 3, 3)).astype(np.float32), np.zeros(2, np.float32)
    layer = Conv2D(W, b)
    out = layer.forward(rng.standard_normal((2, 1, 5, 5)).astype(np.float32), train=True)
    assert out.dtype == np.float32 and layer.backward(np.ones_like(out)).dtype == np.float32
    layer.need_input_grad = False
    assert layer.backward(np.ones_like(out)) is None
    np.testing.assert_array_equal(layer.grads["b"], [18.0, 18.0])
    with pytest.raises(ValueError, match="input channels"):
        layer.forward(np.zeros((1, 2, 5, 5), np.float32), train=True)
    with pytest.raises(ValueError, match="does not fit"):
        layer.forward(np.zeros((1, 1, 2, 5), np.float32), train=True)


# ---------------------------------------------------------------- MaxPool2D


@pytest.mark.parametrize("x_shape, pf, s, p", POOL_CASES)
def test_pool_forward_and_backward_match_loops(
    x_shape: tuple[int, ...], pf: tuple[int, int], s: int, p: int
) -> None:
    rng = np.random.default_rng(6)
    x = rng.standard_normal(x_shape)
    layer = MaxPool2D(*pf, stride=s, pad=p)
    out = layer.forward(x, train=True)
    dout = rng.standard_normal(out.shape)
    ref_out, ref_dx = naive_pool(x, *pf, s, p, dout)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_allclose(layer.backward(dout), ref_dx, rtol=1e-15)


def test_pool_output_size_is_book_formula() -> None:
    layer = MaxPool2D(2, 2)  # stride 2 by default
    assert layer.forward(np.zeros((1, 1, 5, 7)), train=False).shape == (1, 1, 2, 3)  # 1 + (H - 2)//2
    assert MaxPool2D(3, 3, stride=1).forward(np.zeros((2, 3, 6, 6)), train=False).shape == (2, 3, 4, 4)


@pytest.mark.parametrize("x_shape, pf, s, p", POOL_CASES[:4])
def test_pool_gradient_check(
    x_shape: tuple[int, ...], pf: tuple[int, int], s: int, p: int
) -> None:
    rng = np.random.default_rng(7)
    x = rng.permutation(np.prod(x_shape)).reshape(x_shape) * 0.01  # distinct values 0.01 apart >> h: no ties
    result = check_layer(MaxPool2D(*pf, stride=s, pad=p), x.astype(np.float64), rng=rng)
    assert result["x"].rel_error < 1e-8


def test_pool_ties_first_maximum_wins() -> None:
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 2:, 2:] = [[1.0, 3.0], [3.0, 3.0]]
    layer = MaxPool2D(2, 2)
    layer.forward(x, train=True)
    dx = layer.backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    expected = np.zeros((4, 4))
    expected[0, 0], expected[0, 2], expected[2, 0], expected[2, 3] = 1.0, 2.0, 3.0, 4.0
    np.testing.assert_array_equal(dx[0, 0], expected)
    # overlapping windows: a shared maximum collects every window's gradient
    layer = MaxPool2D(2, 2, stride=1)
    layer.forward(np.array([[[[0.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 0.0]]]]), train=True)
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 2, 2)))[0, 0, 1, 1], 4.0)


def test_pool_nan_counts_as_the_maximum() -> None:
    x = np.array([[[[1.0, np.nan, 2.0, 0.0], [np.nan, 9.0, 1.0, 5.0]]]])
    layer = MaxPool2D(2, 2)
    out = layer.forward(x, train=True)
    assert np.isnan(out[0, 0, 0, 0]) and out[0, 0, 0, 1] == 5.0
    dx = layer.backward(np.array([[[[1.0, 1.0]]]]))
    np.testing.assert_array_equal(dx[0, 0], [[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])  # first NaN
