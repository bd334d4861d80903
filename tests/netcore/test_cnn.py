"""netcore.BatchNorm2D and netcore.build_cnn: per-channel batch norm against a naive per-channel formulation
(the book's step-by-step forward and backward) and float64 central differences; the cnn builder's layout,
init, validation, an end-to-end float64 gradient check and a short training run that lowers the loss."""

from __future__ import annotations

import numpy as np
import pytest

from netcore.batchnorm import BatchNorm2D
from netcore.builders import build_cnn
from netcore.conv import Conv2D, MaxPool2D
from netcore.gradcheck import check_layer, check_network
from netcore.layers import Affine, Dropout, Relu
from netcore.optim import make_optimizer

EPS = 1e-6


def naive_bn2d(x, gamma, beta, dout):
    """The book's BatchNormalization, forward and backward step by step, one channel at a time over (N, H, W)."""
    out, dx = np.empty_like(x), np.empty_like(x)
    dgamma, dbeta = np.empty_like(gamma), np.empty_like(beta)
    mus, vars_ = np.empty_like(gamma), np.empty_like(gamma)
    for c in range(x.shape[1]):
        xc_all = x[:, c].ravel()
        m = xc_all.size
        mu = xc_all.mean()
        xc = xc_all - mu
        var = np.mean(xc**2)
        std = np.sqrt(var + EPS)
        xn = xc / std
        out[:, c] = (gamma[c] * xn + beta[c]).reshape(x[:, c].shape)
        d = dout[:, c].ravel()
        dbeta[c], dgamma[c] = d.sum(), np.sum(xn * d)
        dxn = gamma[c] * d
        dxc = dxn / std
        dstd = -np.sum(dxn * xc / (std * std))
        dvar = 0.5 * dstd / std
        dxc += (2.0 / m) * xc * dvar
        dmu = np.sum(dxc)
        dx[:, c] = (dxc - dmu / m).reshape(x[:, c].shape)
        mus[c], vars_[c] = mu, var
    return out, dx, dgamma, dbeta, mus, vars_


@pytest.mark.parametrize("layout", ["nchw", "nhwc", "hcwn"], ids=lambda v: f"{v}-input")
def test_batchnorm2d_matches_naive_per_channel_formulation(layout: str) -> None:
    rng = np.random.default_rng(1)
    x = 1.5 * rng.standard_normal((4, 3, 5, 6)) + rng.standard_normal((1, 3, 1, 1))
    if layout == "nhwc":  # an (N, C, H, W) view of channels-last memory
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    elif layout == "hcwn":  # what Conv2D hands over: an (N, C, H, W) view of (H, C, W, N) memory
        x = np.ascontiguousarray(x.transpose(2, 1, 3, 0)).transpose(3, 1, 0, 2)
    gamma, beta = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    dout = rng.standard_normal(x.shape)
    layer = BatchNorm2D(gamma, beta)
    out = layer.forward(x, train=True)
    dx = layer.backward(dout)
    ref_out, ref_dx, ref_dg, ref_db, mu, var = naive_bn2d(x, gamma, beta, dout)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, ref_dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["gamma"], ref_dg, rtol=1e-12)
    np.testing.assert_allclose(layer.grads["beta"], ref_db, rtol=1e-12)
    np.testing.assert_allclose(layer.running_mean, 0.1 * mu, rtol=1e-12)  # from the lazily created zeros
    np.testing.assert_allclose(layer.running_var, 0.1 * var, rtol=1e-12)
    assert out.shape == x.shape and dx.shape == x.shape


def test_batchnorm2d_test_mode_uses_running_stats_per_channel() -> None:
    rng = np.random.default_rng(2)
    gamma, beta = rng.uniform(0.5, 1.5, 2), rng.standard_normal(2)
    layer = BatchNorm2D(gamma, beta, momentum=0.8)
    rm, rv = np.zeros(2), np.zeros(2)
    for _ in range(3):
        x = rng.standard_normal((3, 2, 4, 4)) * 2.0 + 1.0
        layer.forward(x, train=True)
        rm = 0.8 * rm + 0.2 * x.mean(axis=(0, 2, 3))
        rv = 0.8 * rv + 0.2 * x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(layer.running_mean, rm, rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, rv, rtol=1e-12)
    x = rng.standard_normal((2, 2, 3, 3))
    before = layer.running_mean.copy(), layer.running_var.copy()
    want = gamma[None, :, None, None] * (x - rm[None, :, None, None]) / np.sqrt(rv[None, :, None, None] + EPS)
    np.testing.assert_allclose(layer.forward(x, train=False), want + beta[None, :, None, None], rtol=1e-12)
    np.testing.assert_array_equal(layer.running_mean, before[0])  # test mode leaves the running stats
    np.testing.assert_array_equal(layer.running_var, before[1])


@pytest.mark.parametrize("train", [True, False])
def test_batchnorm2d_gradient_check(train: bool) -> None:
    rng = np.random.default_rng(3)
    layer = BatchNorm2D(rng.uniform(0.5, 1.5, 3), rng.standard_normal(3))
    for _ in range(5):  # running stats away from zero for the test-mode check
        layer.forward(rng.standard_normal((4, 3, 3, 3)), train=True)
    result = check_layer(layer, 2.0 * rng.standard_normal((2, 3, 3, 4)) + 0.5, rng=rng, train=train)
    errors = {k: c.rel_error for k, c in result.items()}
    assert max(errors.values()) < 1e-7, errors


def test_batchnorm2d_float32_and_validation() -> None:
    layer = BatchNorm2D(np.ones(2, np.float32), np.zeros(2, np.float32))
    x = np.random.default_rng(4).standard_normal((2, 2, 3, 3)).astype(np.float32)
    out = layer.forward(x, train=True)
    assert out.dtype == np.float32 and layer.backward(out).dtype == np.float32
    with pytest.raises(ValueError, match="2 features"):
        layer.forward(np.zeros((2, 3, 3, 3), np.float32), train=True)
    with pytest.raises(ValueError, match="N, C, H, W"):
        layer.forward(np.zeros((2, 2), np.float32), train=True)
    with pytest.raises(ValueError, match="1-D gamma"):
        BatchNorm2D(np.ones((2, 1)), np.zeros((2, 1)))


# ---------------------------------------------------------------- build_cnn


def test_build_cnn_layout_names_and_init() -> None:
    net = build_cnn(rng=np.random.default_rng(5))  # (1, 28, 28), filters (32, 64), k 3, BN, dense 128
    kinds = [type(layer) for layer in net.layers]
    block = [Conv2D, BatchNorm2D, Relu, MaxPool2D]
    assert kinds == block * 2 + [Affine, Relu, Affine]
    p = net.named_params
    assert p["W1"].shape == (32, 1, 3, 3) and p["W2"].shape == (64, 32, 3, 3)
    assert p["W3"].shape == (64 * 7 * 7, 128) and p["W4"].shape == (128, 10)
    assert p["gamma2"].shape == (64,) and np.all(p["gamma2"] == 1.0) and np.all(p["beta1"] == 0.0)
    assert p["W2"].std() == pytest.approx(np.sqrt(2 / (32 * 9)), rel=0.03)  # He, conv fan-in C*k*k
    assert p["W3"].std() == pytest.approx(np.sqrt(2 / 3136), rel=0.03)
    assert net.dtype == np.float32 and not np.any(p["b3"])
    assert net.layers[0].pad == 1 and net.layers[0].stride == 1
    x = np.random.default_rng(6).random((3, 1, 28, 28)).astype(np.float32)
    assert net.predict(x).shape == (3, 10)
    small = build_cnn((3, 9, 9), filters=(4, 5, 6), kernel_size=5, batch_norm=False, dense=7, dropout=0.2,
                      output_size=3, init="xavier", init_scale=0.5, rng=np.random.default_rng(7))
    assert [type(layer) for layer in small.layers] == [Conv2D, Relu, MaxPool2D] * 3 + [Affine, Relu, Dropout, Affine]
    assert small.named_params["W4"].shape == (6, 7) and small.layers[0].pad == 2  # 9 -> 4 -> 2 -> 1
    assert "gamma1" not in small.named_params


def test_build_cnn_weight_decay_covers_conv_and_affine_weights() -> None:
    net = build_cnn((1, 8, 8), filters=(2,), dense=3, weight_decay=0.5, dtype=np.float64,
                    rng=np.random.default_rng(8))
    total = sum(np.sum(net.named_params[f"W{i}"] ** 2) for i in (1, 2, 3))
    x, t = np.random.default_rng(9).random((2, 1, 8, 8)), np.array([0, 1])
    net_loss = net.loss(x, t)
    net.weight_decay = 0.0
    assert net_loss - net.loss(x, t) == pytest.approx(0.25 * total, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [dict(filters=(2, 3), batch_norm=True, weight_decay=0.1, dropout=0.3),
     dict(filters=(2, 2, 3), kernel_size=5, batch_norm=False, init="xavier", init_scale=2.0)],
    ids=["2-blocks-bn-dropout-decay", "3-blocks-k5"],
)
def test_build_cnn_gradient_matches_float64_central_differences(kwargs: dict) -> None:
    rng = np.random.default_rng(10)
    net = build_cnn((2, 8, 8), dense=5, output_size=3, dtype=np.float64, rng=rng, **kwargs)
    net.params[...] += rng.normal(0, 0.05, net.params.shape)  # non-zero biases and betas
    x = rng.standard_normal((4, 2, 8, 8))
    t = np.array([0, 2, 1, 1])
    for layer in net.layers:
        if isinstance(layer, Dropout):
            layer.fixed_mask = rng.random((4, 5)) > 0.3
    result = check_network(net, x, t)
    assert result.rel_error < 1e-5  # only the loss's 1e-7 log delta remains (see test_layers)
    assert np.count_nonzero(result.numerical) > 0.5 * net.params.size  # not vacuous: most units alive


def test_build_cnn_training_lowers_the_loss() -> None:
    rng = np.random.default_rng(11)
    x = rng.random((64, 1, 12, 12)).astype(np.float32)
    t = rng.integers(0, 4, 64)
    x[np.arange(64), 0, t * 3, t * 3] += 2.0  # a learnable cue: a bright pixel whose place is the class
    net = build_cnn((1, 12, 12), filters=(8, 8), dense=16, output_size=4, rng=rng)
    opt = make_optimizer("adam", lr=0.01)
    first = net.loss(x, t, train=True)
    for _ in range(40):
        net.gradient(x, t)
        opt.update(net.params, net.grads)
    assert net.loss(x, t, train=True) < 0.5 * first


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [(dict(filters=()), "1 to 3"), (dict(filters=(8, 8, 8, 8)), "1 to 3"), (dict(filters=(8, 0)), "positive"),
     (dict(filters=(8, 2.5)), "positive"), (dict(kernel_size=4), "odd"), (dict(kernel_size=0), "odd"),
     (dict(input_shape=(1, 7, 28)), "too small"), (dict(input_shape=(1, 28)), r"\(C, H, W\)"),
     (dict(dropout=1.0), "dropout"), (dict(dense=0), "dense"), (dict(init="zeros"), "init rule"),
     (dict(init_scale=0.0), "init_scale"), (dict(weight_decay=-1.0), "weight_decay")],
)
def test_build_cnn_rejects_bad_arguments(kwargs: dict, match: str) -> None:
    kwargs.setdefault("filters", (8, 8, 8))  # three pools: 28 -> 14 -> 7 -> 3, so 7 is too small
    with pytest.raises(ValueError, match=match):
        build_cnn(rng=np.random.default_rng(0), **kwargs)
