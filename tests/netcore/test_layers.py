"""netcore.layers: float64 gradient checks of every layer, book semantics (BN, dropout, loss), the
in-place grads contract, dtype preservation; netcore.gradcheck itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

from netcore.functions import softmax
from netcore.gradcheck import check_layer, check_network, numerical_gradient, rel_error
from netcore.layers import (
    Affine,
    BatchNorm,
    Dropout,
    Flatten,
    Relu,
    Sigmoid,
    SoftmaxCrossEntropy,
    Tanh,
)

TOL = 1e-7  # max-norm relative error of backprop vs central differences (observed: 1e-9 .. 1e-12)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def assert_grads_ok(result: dict, tol: float = TOL) -> None:
    errors = {k: c.rel_error for k, c in result.items()}
    assert max(errors.values()) < tol, errors
    for c in result.values():  # a check on an all-zero gradient would be vacuous
        assert np.any(c.numerical != 0)


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.1) -> np.ndarray:
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, 2.0, size=shape)


# ---------------------------------------------------------------- gradient checks


@pytest.mark.parametrize("x_shape", [(4, 6), (3, 2, 1, 3)], ids=["2d", "4d"])
def test_affine_gradients(rng: np.random.Generator, x_shape: tuple[int, ...]) -> None:
    layer = Affine(rng.standard_normal((6, 5)), rng.standard_normal(5))
    x = rng.standard_normal(x_shape)
    assert layer.forward(x, train=True).shape == (x_shape[0], 5)
    assert_grads_ok(check_layer(layer, x, rng=rng))
    assert layer.backward(np.ones((x_shape[0], 5))).shape == x_shape


@pytest.mark.parametrize("layer_cls", [Relu, Sigmoid, Tanh, Flatten])
def test_activation_gradients(rng: np.random.Generator, layer_cls: type) -> None:
    x = away_from_zero(rng, (4, 3, 5))  # |x| >= 0.1 >> h: no kink of Relu inside +-h
    assert_grads_ok(check_layer(layer_cls(), x, rng=rng))


@pytest.mark.parametrize("x_shape", [(5, 7), (4, 2, 3, 2)], ids=["2d", "4d"])
def test_batchnorm_gradients_train(rng: np.random.Generator, x_shape: tuple[int, ...]) -> None:
    d = int(np.prod(x_shape[1:]))
    layer = BatchNorm(rng.uniform(0.5, 1.5, d), rng.standard_normal(d))
    x = 2.0 * rng.standard_normal(x_shape) + 1.0
    assert_grads_ok(check_layer(layer, x, rng=rng))


def test_batchnorm_gradients_test_mode(rng: np.random.Generator) -> None:
    layer = BatchNorm(rng.uniform(0.5, 1.5, 6), rng.standard_normal(6))
    for _ in range(30):  # move the running stats away from their zero start
        layer.forward(rng.standard_normal((8, 6)), train=True)
    assert_grads_ok(check_layer(layer, rng.standard_normal((3, 6)), rng=rng, train=False))


@pytest.mark.parametrize("inverted", [False, True])
@pytest.mark.parametrize("train", [True, False])
def test_dropout_gradients_with_fixed_mask(rng: np.random.Generator, inverted: bool, train: bool) -> None:
    layer = Dropout(0.3, rng=rng, inverted=inverted)
    x = rng.standard_normal((4, 6))
    layer.fixed_mask = rng.random(x.shape) > 0.3
    result = check_layer(layer, x, rng=rng, train=train)
    assert result["x"].rel_error < TOL


@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_cross_entropy_gradient(rng: np.random.Generator, one_hot: bool) -> None:
    n, c = 4, 5
    scores = rng.standard_normal((n, c))
    t = rng.integers(0, c, n)
    labels = np.eye(c)[t] if one_hot else t
    layer = SoftmaxCrossEntropy()
    layer.forward(scores, labels)
    ds = layer.backward()

    # backward is the gradient of the exact cross entropy (no 1e-7): check it tightly against that
    def exact(_: np.ndarray) -> float:
        return float(-np.mean(np.log(softmax(scores)[np.arange(n), t])))

    assert rel_error(ds, numerical_gradient(exact, scores)) < TOL
    # against the layer's own loss (with the delta) the discrepancy is of order 1e-7 / y_t, irreducible
    num = numerical_gradient(lambda _: layer.forward(scores, labels), scores)
    y_t = softmax(scores)[np.arange(n), t].min()
    assert rel_error(ds, num) < 10 * 1e-7 / y_t
    assert rel_error(ds, num) > 1e-12  # the delta really is in the forward pass


def test_softmax_cross_entropy_values(rng: np.random.Generator) -> None:
    scores = rng.standard_normal((3, 4)).astype(np.float32)
    t = np.array([3, 0, 1], dtype=np.uint8)
    layer = SoftmaxCrossEntropy()
    loss = layer.forward(scores, t)
    y = softmax(scores.astype(np.float64))
    assert isinstance(loss, float)
    assert loss == pytest.approx(-np.mean(np.log(y[np.arange(3), t] + 1e-7)), rel=1e-6)
    ds = layer.backward()
    assert ds.dtype == np.float32
    np.testing.assert_allclose(ds, (y - np.eye(4)[t]) / 3, atol=1e-7)
    layer.forward(scores, np.eye(4)[t])  # one-hot gives the same backward
    np.testing.assert_array_equal(layer.backward(), ds)
    layer.forward(scores, t.reshape(3, 1))  # labels shaped (N, 1), as in the book's ch07 check
    np.testing.assert_array_equal(layer.backward(), ds)


def test_layers_reused_across_batch_and_class_counts(rng: np.random.Generator) -> None:
    # Affine caches a ones vector per batch size, the loss layer its row offsets per (N, C): both must follow
    aff = Affine(rng.standard_normal((6, 5)), rng.standard_normal(5))
    loss = SoftmaxCrossEntropy()
    for n, c in ((4, 5), (3, 5), (3, 7), (1, 7), (5, 2)):
        x = rng.standard_normal((n, 6))
        aff.forward(x, train=True)
        dout = rng.standard_normal((n, 5))
        aff.backward(dout)
        np.testing.assert_allclose(aff.grads["b"], dout.sum(axis=0), rtol=1e-13)
        np.testing.assert_allclose(aff.grads["W"], x.T @ dout, rtol=1e-13)
        scores, t = rng.standard_normal((n, c)), rng.integers(0, c, n)
        y = softmax(scores)
        assert loss.forward(scores, t) == pytest.approx(-np.mean(np.log(y[np.arange(n), t] + 1e-7)), rel=1e-13)
        np.testing.assert_allclose(loss.backward(), (y - np.eye(c)[t]) / n, rtol=1e-13, atol=1e-16)


# ---------------------------------------------------------------- Relu details


def test_relu_derivative_at_zero_is_zero_and_dout_untouched() -> None:
    layer = Relu()
    x = np.array([[-1.0, 0.0, 2.0, -0.0]])
    np.testing.assert_array_equal(layer.forward(x, train=True), [[0.0, 0.0, 2.0, 0.0]])
    dout = np.array([[5.0, 6.0, 7.0, 8.0]])
    np.testing.assert_array_equal(layer.backward(dout), [[0.0, 0.0, 7.0, 0.0]])
    np.testing.assert_array_equal(dout, [[5.0, 6.0, 7.0, 8.0]])


# ---------------------------------------------------------------- BatchNorm semantics


def test_batchnorm_running_stats_start_at_zero_and_follow_momentum() -> None:
    layer = BatchNorm(np.ones(2), np.zeros(2))
    assert layer.running_mean is None and layer.running_var is None
    x = np.array([[1.0, 2.0], [3.0, 6.0]])  # mean (2, 4), biased var (1, 4)
    out = layer.forward(x, train=True)
    np.testing.assert_allclose(layer.running_mean, [0.2, 0.4], rtol=1e-15)
    np.testing.assert_allclose(layer.running_var, [0.1, 0.4], rtol=1e-15)
    np.testing.assert_allclose(out, [[-1, -1], [1, 1]] / np.sqrt(np.array([1.0, 4.0]) + 1e-6) * [1, 2])
    layer.forward(np.array([[0.0, 0.0], [2.0, 2.0]]), train=True)  # mean (1, 1), var (1, 1)
    np.testing.assert_allclose(layer.running_mean, [0.9 * 0.2 + 0.1, 0.9 * 0.4 + 0.1], rtol=1e-15)
    np.testing.assert_allclose(layer.running_var, [0.9 * 0.1 + 0.1, 0.9 * 0.4 + 0.1], rtol=1e-15)


def test_batchnorm_test_mode_uses_running_stats_and_leaves_them() -> None:
    gamma, beta = np.array([2.0, 0.5]), np.array([1.0, -1.0])
    layer = BatchNorm(gamma, beta)
    x = np.array([[0.5, -3.0], [1.5, 4.0]])
    # before any training the running stats are the lazily created zeros (book): x / sqrt(1e-6)
    np.testing.assert_allclose(layer.forward(x, train=False), gamma * x / math.sqrt(1e-6) + beta)
    np.testing.assert_array_equal(layer.running_mean, [0.0, 0.0])
    layer.forward(np.array([[1.0, 2.0], [3.0, 6.0]]), train=True)
    rm, rv = layer.running_mean.copy(), layer.running_var.copy()
    np.testing.assert_allclose(layer.forward(x, train=False), gamma * (x - rm) / np.sqrt(rv + 1e-6) + beta)
    np.testing.assert_array_equal(layer.running_mean, rm)
    np.testing.assert_array_equal(layer.running_var, rv)


def test_batchnorm_4d_statistics_are_per_activation(rng: np.random.Generator) -> None:
    x = rng.standard_normal((6, 2, 3, 3))
    layer = BatchNorm(np.ones(18), np.zeros(18))
    out = layer.forward(x, train=True)
    assert out.shape == x.shape and layer.running_mean.shape == (18,)
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.reshape(6, -1).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(out.reshape(6, -1).mean(axis=0), 0.0, atol=1e-12)  # zero per activation


# ---------------------------------------------------------------- Dropout semantics


def test_dropout_book_mode_train_and_test() -> None:
    x = np.arange(1.0, 1001.0).reshape(10, 100)
    layer = Dropout(0.3, rng=np.random.default_rng(7))
    out = layer.forward(x, train=True)
    expected_mask = np.random.default_rng(7).random(x.shape) > 0.3  # float64 uniforms, keep where > ratio
    np.testing.assert_array_equal(layer.mask, expected_mask)
    np.testing.assert_array_equal(out, x * expected_mask)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), expected_mask.astype(float))
    np.testing.assert_allclose(layer.forward(x, train=False), x * 0.7, rtol=1e-15)
    np.testing.assert_allclose(layer.backward(np.ones_like(x)), 0.7, rtol=1e-15)


def test_dropout_mask_fresh_each_forward_and_reproducible() -> None:
    x = np.ones((20, 50), dtype=np.float32)
    a, b = Dropout(0.5, rng=np.random.default_rng(3)), Dropout(0.5, rng=np.random.default_rng(3))
    a1, a2 = a.forward(x, train=True), a.forward(x, train=True)
    assert not np.array_equal(a1, a2)
    assert 0.4 < a1.mean() < 0.6
    np.testing.assert_array_equal(b.forward(x, train=True), a1)
    np.testing.assert_array_equal(b.forward(x, train=True), a2)
    assert a1.dtype == np.float32 and a.backward(x).dtype == np.float32


def test_dropout_inverted() -> None:
    x = np.full((4, 500), 2.0)
    layer = Dropout(0.2, rng=np.random.default_rng(0), inverted=True)
    out = layer.forward(x, train=True)
    np.testing.assert_allclose(out, x * layer.mask / 0.8, rtol=1e-15)
    assert 1.8 < out.mean() < 2.2  # expectation preserved
    assert layer.forward(x, train=False) is x


def test_dropout_fixed_mask_and_validation() -> None:
    layer = Dropout(0.5, rng=np.random.default_rng(0))
    mask = np.array([[True, False, True]])
    layer.fixed_mask = mask
    for _ in range(2):
        np.testing.assert_array_equal(layer.forward(np.ones((1, 3)), train=True), [[1.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match="fixed_mask"):
        layer.forward(np.ones((2, 3)), train=True)
    with pytest.raises(ValueError, match="ratio"):
        Dropout(1.0, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        Dropout(0.5, rng=np.random.RandomState(0))  # type: ignore[arg-type]


# ---------------------------------------------------------------- contract: grads in place, dtypes


def test_trainable_layers_write_grads_into_supplied_views(rng: np.random.Generator) -> None:
    flat_p, flat_g = rng.standard_normal(6 * 4 + 4 + 2 * 4), np.full(6 * 4 + 4 + 2 * 4, np.nan)
    W, b = flat_p[:24].reshape(6, 4), flat_p[24:28]
    gamma, beta = flat_p[28:32], flat_p[32:]
    gW, gb, gg, gbe = flat_g[:24].reshape(6, 4), flat_g[24:28], flat_g[28:32], flat_g[32:]
    aff = Affine(W, b, grads={"W": gW, "b": gb})
    bn = BatchNorm(gamma, beta, grads={"gamma": gg, "beta": gbe})
    x, dout = rng.standard_normal((5, 6)), rng.standard_normal((5, 4))

    def run(aff: Affine, bn: BatchNorm) -> None:
        bn.forward(aff.forward(x, train=True), train=True)
        aff.backward(bn.backward(dout))

    run(aff, bn)
    assert not np.isnan(flat_g).any()  # every slot of the flat vector was written
    assert aff.params["W"] is W and aff.grads["W"] is gW and bn.grads["gamma"] is gg
    ref_aff, ref_bn = Affine(W.copy(), b.copy()), BatchNorm(gamma.copy(), beta.copy())
    run(ref_aff, ref_bn)
    np.testing.assert_array_equal(gW, ref_aff.grads["W"])
    np.testing.assert_array_equal(gg, ref_bn.grads["gamma"])


def test_supplied_grads_must_match_params() -> None:
    W, b = np.zeros((3, 2)), np.zeros(2)
    with pytest.raises(ValueError, match="keys"):
        Affine(W, b, grads={"W": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="must match"):
        Affine(W, b, grads={"W": np.zeros((3, 2), dtype=np.float32), "b": np.zeros(2)})


def test_non_trainable_layers_have_empty_read_only_params() -> None:
    for layer in (Relu(), Sigmoid(), Tanh(), Flatten(), SoftmaxCrossEntropy(),
                  Dropout(rng=np.random.default_rng(0))):
        assert len(layer.params) == 0 and len(layer.grads) == 0
        with pytest.raises(TypeError):
            layer.params["W"] = np.zeros(1)  # type: ignore[index]


def test_float32_stays_float32(rng: np.random.Generator) -> None:
    f32 = np.float32
    x = rng.standard_normal((4, 2, 3)).astype(f32)
    layers = [
        Affine(rng.standard_normal((6, 5)).astype(f32), np.zeros(5, f32)),
        BatchNorm(np.ones(5, f32), np.zeros(5, f32)),
        Relu(), Sigmoid(), Tanh(),
        Dropout(0.5, rng=rng), Dropout(0.5, rng=rng, inverted=True), Flatten(),
    ]
    h = x
    for layer in layers:
        h = layer.forward(h, train=True)
        assert h.dtype == f32, type(layer).__name__
    d = np.ones_like(h)
    for layer in reversed(layers):
        d = layer.backward(d)
        assert d.dtype == f32, type(layer).__name__
        assert all(g.dtype == f32 for g in layer.grads.values())


def test_affine_need_input_grad_false_skips_dx(rng: np.random.Generator) -> None:
    layer = Affine(rng.standard_normal((3, 2)), np.zeros(2))
    layer.need_input_grad = False
    layer.forward(rng.standard_normal((4, 3)), train=True)
    assert layer.backward(np.ones((4, 2))) is None
    np.testing.assert_array_equal(layer.grads["b"], [4.0, 4.0])


# ---------------------------------------------------------------- gradcheck module


def test_numerical_gradient_any_shape_restores_x_and_needs_float64(rng: np.random.Generator) -> None:
    x = rng.standard_normal((2, 3, 2))
    before = x.copy()
    g = numerical_gradient(lambda v: float(np.sum(v**3)), x)
    np.testing.assert_allclose(g, 3 * x**2, rtol=1e-7, atol=2e-8)  # truncation error h^2 f'''/6 = 1e-8
    np.testing.assert_array_equal(x, before)
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda v: float(v.sum()), x.astype(np.float32))


class _TinyNet:
    """Affine-BN-Relu-Affine over one flat parameter vector, in the shape of the Network contract."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.params = 0.3 * rng.standard_normal(4 * 3 + 3 + 3 + 3 + 3 * 2 + 2)  # probabilities ~ 0.5
        self.grads = np.zeros_like(self.params)
        p, g, views = self.params, self.grads, []
        for shape in [(4, 3), (3,), (3,), (3,), (3, 2), (2,)]:
            k = int(np.prod(shape))
            views.append((p[:k].reshape(shape), g[:k].reshape(shape)))
            p, g = p[k:], g[k:]
        (w1, g1), (b1, gb1), (ga, gga), (be, gbe), (w2, g2), (b2, gb2) = views
        self.layers = [Affine(w1, b1, grads={"W": g1, "b": gb1}),
                       BatchNorm(ga, be, grads={"gamma": gga, "beta": gbe}),
                       Relu(), Affine(w2, b2, grads={"W": g2, "b": gb2})]
        self.loss_layer = SoftmaxCrossEntropy()

    def loss(self, x: np.ndarray, t: np.ndarray, *, train: bool = True) -> float:
        for layer in self.layers:
            x = layer.forward(x, train=train)
        return self.loss_layer.forward(x, t)

    def gradient(self, x: np.ndarray, t: np.ndarray) -> float:
        loss = self.loss(x, t)
        d = self.loss_layer.backward()
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return loss


def test_check_network_on_a_flat_vector_network(rng: np.random.Generator) -> None:
    net = _TinyNet(rng)
    x, t = rng.standard_normal((6, 4)), rng.integers(0, 2, 6)
    result = check_network(net, x, t)
    assert result.analytic.shape == net.params.shape
    assert result.rel_error < 1e-6  # only the loss's 1e-7 log delta (and no kink at random inputs)
    assert result.mean_abs_diff < 1e-7
    # the checker catches a wrong gradient in one slot
    gradient = net.gradient

    def broken(x: np.ndarray, t: np.ndarray) -> float:
        loss = gradient(x, t)
        net.grads[7] *= 1.01
        return loss

    net.gradient = broken  # type: ignore[method-assign]
    assert check_network(net, x, t).rel_error > 1e-4
