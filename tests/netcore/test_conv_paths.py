"""The fast paths of netcore's conv layers against the naive loops of test_conv.py: every path of Conv2D
(stride-1 GEMMs on the input rows, stacked or one per kernel column; chunked im2col copies; both input-gradient
paths), chunks of rows, buffers reused across calls of other shapes, (H, C, W, N), channels-last and
channels-first memory, the 2x2 pooling knockout, in-place ReLU; the float32 error of the rearranged
computations against float64, bounded."""

from __future__ import annotations

import numpy as np
import pytest

from netcore.batchnorm import BatchNorm2D
from netcore.conv import Conv2D, MaxPool2D
from netcore.gradcheck import check_layer, rel_error
from netcore.hcwn import chunks, from_hcwn
from netcore.layers import Relu
from tests.netcore.test_cnn import naive_bn2d
from tests.netcore.test_conv import naive_conv, naive_conv_backward, naive_pool


def nhwc(a: np.ndarray) -> np.ndarray:
    """The same (N, C, H, W) values as a view of channels-last memory."""
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def hcwn(a: np.ndarray) -> np.ndarray:
    """The same (N, C, H, W) values as a view of (H, C, W, N) memory (what the conv layers hand over)."""
    return from_hcwn(np.ascontiguousarray(a.transpose(2, 1, 3, 0)))


LAYOUTS = {"nchw": lambda a: a, "nhwc": nhwc, "hcwn": hcwn}

# (N, C, H, W), (FN, FH, FW), pad, stride. Forward and weight gradient: stride 1 with FH*C >= 16 works on the
# input rows in place (stacked GEMM for FN < 32, one GEMM per kernel column from 32), anything else copies
# windows. Input gradient: stride 1 with FH*FN >= 16 is the full convolution, anything else the scatter.
PATH_CASES = [
    ((2, 6, 6, 5), (4, 3, 3), 1, 1),  # stacked forward, scatter dx (FH*FN = 12)
    ((2, 8, 5, 5), (8, 3, 3), 0, 1),  # stacked, full-convolution dx, no padding
    ((1, 8, 4, 4), (8, 2, 2), 3, 1),  # stacked, full dx, pad > FH - 1: every window of a border row is padding
    ((2, 3, 5, 4), (9, 3, 2), 2, 1),  # copied forward (FH*C = 9), full dx (FH*FN = 27), non-square filter
    ((2, 2, 6, 6), (5, 3, 3), 1, 1),  # copied forward, scatter dx
    ((2, 6, 7, 6), (34, 3, 3), 1, 1),  # FN >= 32 but 'same' (input row as wide as the output row): stacked
    ((1, 40, 5, 5), (33, 3, 3), 0, 1),  # one GEMM per kernel column (FN >= 32, input row wider), stacked dx
    ((1, 33, 4, 5), (8, 3, 3), 2, 1),  # stacked forward; dx per kernel column (C >= 32, its input row wider)
    ((2, 6, 7, 7), (8, 3, 3), 1, 2),  # stride 2: copied windows and scatter
    ((2, 5, 8, 6), (4, 2, 3), 0, 3),  # stride 3, disjoint windows, some input columns never read
    ((2, 20, 4, 4), (6, 1, 1), 0, 1),  # 1x1 filters: copied (FW = 1)
    # stride 1 reads the input in place as zero outside it (no padded copy): spans of output rows and columns
    ((2, 8, 5, 3), (6, 3, 2), 2, 1),  # stacked, FW = 2 with pad 2: border columns that no kernel column reaches
    ((1, 6, 4, 8), (32, 2, 6), 2, 1),  # per kernel column, pad 2 > FH - 1: border rows with no tap inside
    ((2, 16, 2, 2), (8, 3, 3), 2, 1),  # an input smaller than the kernel
]


@pytest.mark.parametrize("x_shape, f, p, s", PATH_CASES)
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_conv_paths_match_loops(x_shape: tuple, f: tuple, p: int, s: int, layout: str, conv_add_path: str) -> None:
    rng = np.random.default_rng(20)
    x = rng.standard_normal(x_shape)
    W, b = rng.standard_normal((f[0], x_shape[1], f[1], f[2])), rng.standard_normal(f[0])
    layer = Conv2D(W, b, stride=s, pad=p)
    out = layer.forward(LAYOUTS[layout](x), train=True)
    np.testing.assert_allclose(out, naive_conv(x, W, b, s, p), rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(LAYOUTS[layout](dout))
    ref_dx, ref_dW, ref_db = naive_conv_backward(x, W, dout, s, p)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["W"], ref_dW, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["b"], ref_db, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, f, p", [((1, 6, 1, 2), (2, 3, 2), 1), ((1, 16, 1, 9), (4, 1, 3), 0),
                                            ((1, 1, 20, 5), (3, 16, 2), 0)])
def test_in_place_conv_of_one_image_of_one_row_or_channel(x_shape: tuple, f: tuple, p: int,
                                                          conv_add_path: str) -> None:
    # found by hypothesis: the (H, C, W, N) view of a single image with one row (or one channel) is no copy,
    # and NumPy reports arbitrary strides for its length-1 axes; the row windows read garbage with those
    rng = np.random.default_rng(28)
    x = rng.standard_normal(x_shape)
    W, b = rng.standard_normal((f[0], x_shape[1], f[1], f[2])), rng.standard_normal(f[0])
    layer = Conv2D(W, b, pad=p)
    out = layer.forward(x, train=True)
    np.testing.assert_allclose(out, naive_conv(x, W, b, 1, p), rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    ref_dx, ref_dW, _ = naive_conv_backward(x, W, dout, 1, p)
    np.testing.assert_allclose(layer.backward(dout), ref_dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["W"], ref_dW, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("chunk_bytes", [1, 3000], ids=["one-row-chunks", "few-row-chunks"])
@pytest.mark.parametrize("x_shape, f, p, s", PATH_CASES)
def test_conv_paths_in_chunks_of_rows_match_loops(
    x_shape: tuple, f: tuple, p: int, s: int, chunk_bytes: int, monkeypatch: pytest.MonkeyPatch, conv_add_path: str
) -> None:
    # the layers' scratch of a chunk is CHUNK_BYTES; small values split every layer into chunks of 1-3 rows
    # (the last one shorter), as a real-size layer is split
    monkeypatch.setattr("netcore.hcwn.CHUNK_BYTES", chunk_bytes)
    rng = np.random.default_rng(27)
    x = rng.standard_normal(x_shape)
    W, b = rng.standard_normal((f[0], x_shape[1], f[1], f[2])), rng.standard_normal(f[0])
    layer = Conv2D(W, b, stride=s, pad=p)
    for _ in range(2):  # a second call reuses the zero-bordered scratch of the first
        out = layer.forward(hcwn(x), train=True)
        np.testing.assert_allclose(out, naive_conv(x, W, b, s, p), rtol=1e-12, atol=1e-12)
        dout = rng.standard_normal(out.shape)
        ref_dx, ref_dW, ref_db = naive_conv_backward(x, W, dout, s, p)
        np.testing.assert_allclose(layer.backward(hcwn(dout)), ref_dx, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(layer.grads["W"], ref_dW, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(layer.grads["b"], ref_db, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, f, p, s", PATH_CASES[:8])
def test_conv_paths_gradient_check(x_shape: tuple, f: tuple, p: int, s: int) -> None:
    rng = np.random.default_rng(21)
    W, b = rng.standard_normal((f[0], x_shape[1], f[1], f[2])), rng.standard_normal(f[0])
    layer = Conv2D(W, b, stride=s, pad=p)
    result = check_layer(layer, rng.standard_normal(x_shape), rng=rng)
    assert max(c.rel_error for c in result.values()) < 1e-8, {k: c.rel_error for k, c in result.items()}


def test_reused_buffers_follow_shape_changes_and_keep_padding_zero() -> None:
    rng = np.random.default_rng(22)
    W, b = rng.standard_normal((3, 3, 3, 3)), rng.standard_normal(3)
    conv, pool, bn = Conv2D(W, b, pad=1), MaxPool2D(2, 2), BatchNorm2D(np.ones(3), np.zeros(3))
    for n, h in ((2, 6), (3, 4), (2, 6), (1, 8), (2, 6)):  # the buffers of one shape are reused, then replaced
        x = 5.0 + rng.standard_normal((n, 3, h, h))  # no zeros: a stale non-zero border would show
        out = conv.forward(x, train=True)
        np.testing.assert_allclose(out, naive_conv(x, W, b, 1, 1), rtol=1e-12, atol=1e-12)
        dout = rng.standard_normal(out.shape)
        ref_dx, ref_dW, _ = naive_conv_backward(x, W, dout, 1, 1)
        np.testing.assert_allclose(conv.backward(dout), ref_dx, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(conv.grads["W"], ref_dW, rtol=1e-12, atol=1e-12)
        y = bn.forward(out, train=True)
        dy = rng.standard_normal(y.shape)
        ref_y, ref_dy = naive_bn2d(out, np.ones(3), np.zeros(3), dy)[:2]
        np.testing.assert_allclose(y, ref_y, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(bn.backward(dy), ref_dy, rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(pool.forward(y, train=True), naive_pool(y, 2, 2, 2, 0)[0])


@pytest.mark.parametrize("layouts", [("hcwn", "hcwn"), ("hcwn", "nchw"), ("nchw", "hcwn"), ("nhwc", "nhwc")], ids=str)
@pytest.mark.parametrize("shape", [(2, 3, 6, 6), (2, 2, 5, 7), (3, 2, 11, 9)])
@pytest.mark.parametrize("chunk_bytes", [1 << 20, 1, 700])
def test_pool_knockout_with_relu_ties_in_any_layout(
    layouts: tuple[str, str], shape: tuple, chunk_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the knockout runs a block of output rows at a time: 1 byte gives one row per block, 700 two or three
    monkeypatch.setattr("netcore.hcwn.CHUNK_BYTES", chunk_bytes)
    rng = np.random.default_rng(23)
    x = np.maximum(rng.standard_normal(shape), 0.0)  # after a ReLU: many windows tie at zero
    x[0, 0, :2, :2] = 1.5  # a window of four equal maxima
    x[-1, -1, -2:, -2:] = 0.5  # and one in the last block
    layer = MaxPool2D(2, 2)
    out = layer.forward(LAYOUTS[layouts[0]](x), train=True)
    dout = rng.standard_normal(out.shape)
    ref_out, ref_dx = naive_pool(x, 2, 2, 2, 0, dout)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(layer.backward(LAYOUTS[layouts[1]](dout)), ref_dx)


def test_pool_knockout_falls_back_for_nan_in_a_later_block(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("netcore.hcwn.CHUNK_BYTES", 1)  # one output row per block
    rng = np.random.default_rng(31)
    x = rng.standard_normal((2, 2, 8, 6))
    x[1, 0, 5, 3] = np.nan  # output row 2 (the third block); NaN counts as the maximum
    layer = MaxPool2D(2, 2)
    out = layer.forward(x, train=True)
    dout = rng.standard_normal(out.shape)
    finite = x.copy()
    finite[1, 0, 5, 3] = 1e9  # the loop reference skips NaN: a huge number stands in for it
    ref_out, ref_dx = naive_pool(finite, 2, 2, 2, 0, dout)
    ref_out[1, 0, 2, 1] = np.nan
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(layer.backward(dout), ref_dx)  # that window's gradient goes to the NaN


def test_pool_knockout_falls_back_for_infinities() -> None:
    x = np.array([[[[np.inf, np.inf, -np.inf, -1.0], [2.0, np.inf, -np.inf, -np.inf]]]])
    layer = MaxPool2D(2, 2)
    out = layer.forward(x, train=True)
    np.testing.assert_array_equal(out, [[[[np.inf, -1.0]]]])
    np.testing.assert_array_equal(layer.backward(np.array([[[[1.0, 2.0]]]]))[0, 0], [[1, 0, 0, 2], [0, 0, 0, 0]])


def test_relu_inplace_overwrites_its_input_and_dout_with_the_same_results() -> None:
    rng = np.random.default_rng(24)
    x, dout = rng.standard_normal((3, 4, 5)), rng.standard_normal((3, 4, 5))
    ref = Relu()
    want_y, want_dx = ref.forward(x, train=True), ref.backward(dout)
    layer = Relu(inplace=True)
    x2, d2 = x.copy(), dout.copy()
    y = layer.forward(x2, train=True)
    assert y is x2
    np.testing.assert_array_equal(y, want_y)
    dx = layer.backward(d2)
    assert dx is d2
    np.testing.assert_array_equal(dx, want_dx)


def test_float32_error_of_the_rearranged_computations_is_bounded(conv_add_path: str) -> None:
    # float32 keeps ~7 digits; sums over K = C*FH*FW (conv) or M = N*H*W (batch norm) products lose a few more
    # (observed here: 1e-7 .. 9e-7)
    rng = np.random.default_rng(25)
    x = rng.standard_normal((8, 16, 12, 12))
    # stacked + full convolution (F < 32 and F >= 32); per kernel column (no padding) + full convolution;
    # stacked + scatter; copied, stride 2
    for fn, c, s, p in ((8, 16, 1, 1), (32, 16, 1, 1), (32, 16, 1, 0), (4, 16, 1, 1), (16, 1, 2, 1)):
        W, b = rng.standard_normal((fn, c, 3, 3)) * 0.1, rng.standard_normal(fn)
        c64 = Conv2D(W, b, stride=s, pad=p)
        c32 = Conv2D(W.astype(np.float32), b.astype(np.float32), stride=s, pad=p)
        xs = rng.standard_normal((8, c, 12, 12))
        out = c64.forward(xs, train=True)
        dout = rng.standard_normal(out.shape)
        assert rel_error(c32.forward(xs.astype(np.float32), train=True), out) < 2e-6
        assert rel_error(c32.backward(dout.astype(np.float32)), c64.backward(dout)) < 2e-6
        assert rel_error(c32.grads["W"], c64.grads["W"]) < 2e-6
    gamma, beta = rng.uniform(0.5, 1.5, 16), rng.standard_normal(16)
    b64, b32 = BatchNorm2D(gamma, beta), BatchNorm2D(gamma.astype(np.float32), beta.astype(np.float32))
    xb = 3.0 + 2.0 * x  # a mean far from zero: x - mu must not cancel badly
    assert rel_error(b32.forward(xb.astype(np.float32), train=True), b64.forward(xb, train=True)) < 2e-6
    dy = rng.standard_normal(xb.shape)
    assert rel_error(b32.backward(dy.astype(np.float32)), b64.backward(dy)) < 5e-6
    assert rel_error(b32.grads["gamma"], b64.grads["gamma"]) < 5e-6


@pytest.mark.parametrize("offset", [100.0, 1e3, 1e4])
def test_batchnorm2d_float32_error_grows_only_linearly_with_the_mean(offset: float) -> None:
    # The float32 layer computes x * gamma/std + (beta - mu * gamma/std) and dx through k * x + (cf - k * mu):
    # their rounding, like that of the float32 batch mean itself, is about eps * |mu| / std in x_hat units.
    # The variance takes two passes (mean, then squares of x - mu): E[x^2] - mu^2 would be off by eps * (mu/std)^2
    # (0.1 at an offset of 1e3). Reference: float64 on the same float32-rounded input.
    rng = np.random.default_rng(int(offset))
    x32 = (offset + rng.standard_normal((16, 8, 10, 10))).astype(np.float32)
    gamma, beta, dy = rng.uniform(0.5, 1.5, 8), rng.standard_normal(8), rng.standard_normal(x32.shape)
    b64, b32 = BatchNorm2D(gamma, beta), BatchNorm2D(gamma.astype(np.float32), beta.astype(np.float32))
    bound = 4 * np.finfo(np.float32).eps * (1 + offset)  # the input's std is 1
    assert rel_error(b32.forward(x32, train=True), b64.forward(x32.astype(np.float64), train=True)) < bound
    assert rel_error(b32.backward(dy.astype(np.float32)), b64.backward(dy)) < bound
    assert rel_error(b32.grads["gamma"], b64.grads["gamma"]) < bound
    assert b32.running_var is not None and np.all(np.abs(b32.running_var / b64.running_var - 1) < 1e-3)


@pytest.mark.parametrize("train", [True, False])
def test_batchnorm2d_in_several_cache_blocks_matches_naive(train: bool) -> None:
    shape = (6, 16, 30, 30)  # image rows of 16 x 30 x 6 float64: blocks of 11, 11 and 8 rows
    assert [b.stop - b.start for b in chunks(30, 4 * 16 * 30 * 6 * 8)] == [11, 11, 8]
    rng = np.random.default_rng(26)
    x, dout = hcwn(2.0 + rng.standard_normal(shape)), rng.standard_normal(shape)
    gamma, beta = rng.uniform(0.5, 1.5, 16), rng.standard_normal(16)
    layer = BatchNorm2D(gamma, beta)
    if not train:
        layer.forward(x, train=True)
        mu, var = layer.running_mean.copy(), layer.running_var.copy()
    out, dx = layer.forward(x, train=train), layer.backward(dout)
    if train:
        ref_out, ref_dx, ref_dg, ref_db = naive_bn2d(x, gamma, beta, dout)[:4]
    else:  # the running stats are constants: an affine map per channel
        scale = (gamma / np.sqrt(var + 1e-6))[None, :, None, None]
        ref_out = (x - mu[None, :, None, None]) * scale + beta[None, :, None, None]
        ref_dx, ref_db = dout * scale, dout.sum(axis=(0, 2, 3))
        ref_dg = np.sum(dout * (ref_out - beta[None, :, None, None]) / gamma[None, :, None, None], axis=(0, 2, 3))
    np.testing.assert_allclose(out, ref_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(layer.grads["gamma"], ref_dg, rtol=1e-10)
    np.testing.assert_allclose(layer.grads["beta"], ref_db, rtol=1e-10)


@pytest.mark.parametrize("x_dtype, w_dtype", [(np.uint8, np.float32), (np.int64, np.float64), (np.float32, np.float64)])
@pytest.mark.parametrize("s, fn", [(1, 20), (2, 4)])
def test_conv_and_batchnorm2d_promote_integer_and_mixed_inputs_as_numpy_does(
    x_dtype: type, w_dtype: type, s: int, fn: int
) -> None:
    # the book's layers compute im2col(x) @ W and (x - mu) / std: uint8 images with float weights give floats,
    # float32 inputs with float64 weights give float64, and the values are those of the promoted input
    rng = np.random.default_rng(28)
    x = (rng.random((3, 2, 6, 6)) * 200).astype(x_dtype)
    xf = x.astype(np.result_type(x_dtype, w_dtype))
    W, b = rng.standard_normal((fn, 2, 3, 3)).astype(w_dtype), rng.standard_normal(fn).astype(w_dtype)
    layer = Conv2D(W, b, stride=s, pad=1)
    out = layer.forward(x, train=True)
    assert out.dtype == xf.dtype
    np.testing.assert_allclose(out, naive_conv(xf.astype(np.float64), W, b, s, 1), rtol=1e-5, atol=1e-3)
    dout = rng.standard_normal(out.shape).astype(np.float32)
    ref_dx, ref_dW, _ = naive_conv_backward(xf.astype(np.float64), W.astype(np.float64), dout, s, 1)
    np.testing.assert_allclose(layer.backward(dout), ref_dx, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(layer.grads["W"], ref_dW, rtol=1e-4, atol=1e-1)
    bn = BatchNorm2D(np.ones(2, w_dtype), np.zeros(2, w_dtype))
    y = bn.forward(x, train=True)
    assert y.dtype == xf.dtype
    dy = rng.standard_normal(x.shape)
    ref_y, ref_dy = naive_bn2d(xf.astype(np.float64), np.ones(2), np.zeros(2), dy)[:2]
    np.testing.assert_allclose(y, ref_y, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(bn.backward(dy), ref_dy, rtol=1e-3, atol=1e-4)


def test_conv_empty_batch_and_bad_shapes_get_clear_answers() -> None:
    rng = np.random.default_rng(29)
    W, b = rng.standard_normal((20, 3, 3, 3)), rng.standard_normal(20)
    layer = Conv2D(W, b, pad=1)
    out = layer.forward(np.zeros((0, 3, 5, 5)), train=True)  # an empty batch: empty output and gradients
    assert out.shape == (0, 20, 5, 5)
    assert layer.backward(np.zeros((0, 20, 5, 5))).shape == (0, 3, 5, 5)
    assert not layer.grads["W"].any() and not layer.grads["b"].any()
    with pytest.raises(ValueError, match=r"needs \(N, 3, H, W\) input, got shape \(3, 5, 5\)"):
        layer.forward(np.zeros((3, 5, 5)), train=True)
    layer.forward(rng.standard_normal((2, 3, 9, 9)), train=True)
    with pytest.raises(ValueError, match=r"forward output's shape \(2, 20, 9, 9\), got \(2, 20, 8, 8\)"):
        layer.backward(np.zeros((2, 20, 8, 8)))  # a wrong dout once gave a silently wrong gradient
    bn = BatchNorm2D(np.ones(3), np.zeros(3))
    bn.forward(rng.standard_normal((2, 3, 4, 4)), train=True)
    with pytest.raises(ValueError, match=r"forward input's shape \(2, 3, 4, 4\), got \(2, 3, 4, 5\)"):
        bn.backward(np.zeros((2, 3, 4, 5)))
