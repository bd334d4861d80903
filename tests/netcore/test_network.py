"""Networks: gradients against float64 central differences, parameter layout, init rules, book shapes."""

from __future__ import annotations

import numpy as np
import pytest

from netcore.builders import build_cnn, build_deep_convnet, build_mlp, build_simple_convnet, weight_std
from netcore.gradcheck import numerical_gradient


def _rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))


def _check_net_gradient(net, x, t, *, tol: float) -> None:
    def f(_):
        return net.loss(x, t, train=True)

    num = numerical_gradient(f, net.params, h=1e-5)
    net.gradient(x, t)
    # The loss has the book's +1e-7 inside the log, which backprop ignores: a relative error of ~1e-6 remains.
    assert _rel_err(net.grads, num) < tol


def test_mlp_gradient_with_weight_decay_matches_central_differences():
    rng = np.random.default_rng(1)
    net = build_mlp(12, (9, 7), 5, weight_decay=0.3, dtype=np.float64, rng=rng)
    net.params[...] += rng.normal(0, 0.05, net.params.shape)  # non-zero biases too
    x = rng.random((6, 12))
    t = rng.integers(0, 5, 6)
    _check_net_gradient(net, x, t, tol=1e-5)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_mlp_gradient_smooth_activations(activation):
    rng = np.random.default_rng(2)
    net = build_mlp(8, (6, 6), 4, activation=activation, init="xavier", weight_decay=0.1,
                    dtype=np.float64, rng=rng)
    x = rng.random((5, 8))
    t = rng.integers(0, 4, 5)
    _check_net_gradient(net, x, t, tol=1e-5)


def test_batchnorm_net_gradient_batch_of_four():
    rng = np.random.default_rng(3)
    net = build_mlp(10, (8, 8), 4, batch_norm=True, weight_decay=0.05, dtype=np.float64, rng=rng)
    net.params[...] += rng.normal(0, 0.05, net.params.shape)
    x = rng.random((4, 10))
    t = np.array([0, 1, 2, 3])
    _check_net_gradient(net, x, t, tol=1e-5)


def test_simple_convnet_gradient_small():
    rng = np.random.default_rng(4)
    net = build_simple_convnet((1, 7, 7), filters=3, filter_size=3, hidden=5, output_size=4,
                               weight_std=0.3, dtype=np.float64, rng=rng)
    x = rng.random((2, 1, 7, 7))
    t = np.array([1, 3])
    _check_net_gradient(net, x, t, tol=1e-5)


def test_params_are_views_into_the_flat_vector():
    rng = np.random.default_rng(5)
    net = build_mlp(6, (5,), 3, batch_norm=True, rng=rng)
    for layer in net.layers:
        for key, arr in getattr(layer, "params", {}).items():
            assert np.shares_memory(arr, net.params), key
            assert np.shares_memory(layer.grads[key], net.grads), key
    before = net.predict(np.ones((1, 6), np.float32)).copy()
    net.params[...] = 0.0  # in-place change of the flat vector reaches every layer
    after = net.predict(np.ones((1, 6), np.float32))
    assert not np.allclose(before, after)
    assert np.allclose(after, 0.0)


def test_weight_decay_term_is_half_lambda_sum_of_squared_weights():
    rng = np.random.default_rng(6)
    net0 = build_mlp(5, (4, 4), 3, weight_decay=0.0, dtype=np.float64, rng=np.random.default_rng(7))
    net1 = build_mlp(5, (4, 4), 3, weight_decay=0.2, dtype=np.float64, rng=np.random.default_rng(7))
    net1.params[...] += 0.1  # biases become non-zero: they must not count
    net0.params[...] = net1.params
    x = rng.random((3, 5))
    t = np.array([0, 1, 2])
    ws = [net1.named_params[f"W{k}"] for k in (1, 2, 3)]
    expected = 0.5 * 0.2 * sum(float((w**2).sum()) for w in ws)
    assert net1.loss(x, t) - net0.loss(x, t) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("rule", "factor"), [("he", 2.0), ("xavier", 1.0)])
def test_init_rules_use_fan_in_and_scale(rule, factor):
    rng = np.random.default_rng(8)
    net = build_mlp(400, (300, 200), 100, init=rule, init_scale=3.0, dtype=np.float64, rng=rng)
    for k, fan_in in ((1, 400), (2, 300), (3, 200)):
        w = net.named_params[f"W{k}"]
        assert w.std() == pytest.approx(3.0 * np.sqrt(factor / fan_in), rel=0.03)
    assert np.all(net.named_params["b1"] == 0)


def test_fixed_std_init_and_errors():
    net = build_mlp(300, (200,), 10, init="std", init_std=0.01, dtype=np.float64, rng=np.random.default_rng(9))
    assert net.named_params["W1"].std() == pytest.approx(0.01, rel=0.03)
    with pytest.raises(ValueError, match="glorot"):
        weight_std("glorot", 10)
    with pytest.raises(ValueError, match="init_scale"):
        build_mlp(4, (3,), 2, init_scale=0.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="activation"):
        build_mlp(4, (3,), 2, activation="gelu", rng=np.random.default_rng(0))


def test_same_seed_same_network_and_float32_default():
    a = build_mlp(rng=np.random.default_rng(10))
    b = build_mlp(rng=np.random.default_rng(10))
    assert a.params.dtype == np.float32
    assert np.array_equal(a.params, b.params)
    assert a.params.size == 784 * 100 + 100 + 5 * (100 * 100 + 100) + 100 * 10 + 10


def test_book_convnets_have_the_books_parameter_counts_and_shapes():
    rng = np.random.default_rng(11)
    simple = build_simple_convnet(rng=rng)
    deep = build_deep_convnet(rng=rng)
    assert simple.params.size == 433_890
    assert deep.params.size == 123_552
    x = rng.random((2, 1, 28, 28)).astype(np.float32)
    assert simple.predict(x).shape == (2, 10)
    assert deep.predict(x).shape == (2, 10)
    # Deep net: He std with the book's fan-ins (9, 144, ..., 1024, 50)
    assert deep.named_params["W7"].shape == (1024, 50)
    assert deep.named_params["W2"].std() == pytest.approx(np.sqrt(2 / 144), rel=0.05)


def test_deep_convnet_dropout_makes_train_mode_random_and_eval_deterministic():
    rng = np.random.default_rng(12)
    net = build_deep_convnet(rng=rng)
    x = rng.random((3, 1, 28, 28)).astype(np.float32)
    assert np.array_equal(net.predict(x), net.predict(x))
    assert not np.array_equal(net.predict(x, train=True), net.predict(x, train=True))


@pytest.mark.parametrize(
    ("build", "input_shape"),
    [
        (lambda rng: build_mlp(10, (8, 8), 4, batch_norm=True, dropout=0.3, weight_decay=0.1, rng=rng), (10,)),
        (lambda rng: build_simple_convnet((1, 7, 7), filters=3, filter_size=3, hidden=5, output_size=4, rng=rng),
         (1, 7, 7)),
        (lambda rng: build_deep_convnet(rng=rng), (1, 28, 28)),
        (lambda rng: build_cnn((1, 8, 8), filters=(3, 4), dense=6, dropout=0.2, weight_decay=0.1, rng=rng),
         (1, 8, 8)),
    ],
    ids=["mlp-bn-dropout-decay", "simple-convnet", "deep-convnet", "cnn-bn-dropout-decay"],
)
def test_gradient_rewrites_every_entry_of_the_flat_gradient(build, input_shape):
    # optimizers may use the gradient vector as scratch (overwrite_grads=True): gradient() must not read it
    rng = np.random.default_rng(13)
    net = build(rng)
    x = rng.random((3, *input_shape)).astype(np.float32)
    t = np.array([0, 1, 3])
    state = rng.bit_generator.state  # dropout draws from this generator: replay the same masks
    net.grads[...] = 0.0
    net.gradient(x, t)
    want = net.grads.copy()
    assert np.count_nonzero(want) > want.size // 2
    rng.bit_generator.state = state
    net.grads[...] = np.nan
    net.gradient(x, t)
    np.testing.assert_array_equal(net.grads, want)


@pytest.mark.parametrize("pool_args", [(2, 2, 2, 0), (2, 2, 2, 1), (3, 3, 2, 0), (3, 3, 2, 1)])
@pytest.mark.parametrize("case", ["ties", "negative windows", "nan", "random"])
def test_relu_run_after_max_pooling_gives_the_book_order_outputs_and_gradients(pool_args, case) -> None:
    from netcore.layers import Relu
    from netcore.pool import MaxPool2D

    rng = np.random.default_rng(len(case) * 10 + sum(pool_args))
    shape = (3, 2, 7, 7)
    x = {
        "ties": rng.integers(-2, 3, shape).astype(np.float64),  # zeros and equal maxima everywhere
        "negative windows": -rng.random(shape) + (rng.random(shape) < 0.1),
        "nan": np.where(rng.random(shape) < 0.1, np.nan, rng.standard_normal(shape)),
        "random": rng.standard_normal(shape),
    }[case]
    relu, pool = Relu(), MaxPool2D(*pool_args)
    book_out = pool.forward(relu.forward(x.copy(), train=True), train=True)
    dout = rng.standard_normal(book_out.shape)
    book_dx = relu.backward(pool.backward(dout.copy()))
    relu2, pool2 = Relu(inplace=True), MaxPool2D(*pool_args)
    out = relu2.forward(pool2.forward(x.copy(), train=True), train=True)
    dx = pool2.backward(relu2.backward(dout.copy()))
    np.testing.assert_array_equal(out, book_out)  # NaN where NaN
    np.testing.assert_array_equal(dx, book_dx)


def test_networks_run_each_relu_followed_by_max_pooling_after_it() -> None:
    from netcore.layers import Relu
    from netcore.network import run_order
    from netcore.pool import MaxPool2D

    net = build_deep_convnet(dtype=np.float64, rng=np.random.default_rng(0))
    order = run_order(net.layers)
    assert sorted(map(id, order)) == sorted(map(id, net.layers)) and len(order) == len(net.layers)
    swapped = [i for i, (a, b) in enumerate(zip(net.layers, order, strict=True)) if a is not b]
    assert swapped == [3, 4, 8, 9, 13, 14]  # the three ReLUs before the poolings
    relu, p1, p2 = Relu(), MaxPool2D(2, 2), MaxPool2D(2, 2)
    assert run_order([relu, p1, p2]) == [p1, p2, relu]
    simple = build_simple_convnet(dtype=np.float64, rng=np.random.default_rng(1))  # no dropout: deterministic
    rng = np.random.default_rng(3)
    x, t = rng.random((4, 1, 28, 28)) - 0.5, rng.integers(0, 10, 4)
    simple.gradient(x, t)
    grads_run_order = simple.grads.copy()
    h = x
    for layer in simple.layers:  # the book's order, layer by layer; layers write into simple.grads
        h = layer.forward(h, train=True)
    simple.loss_layer.forward(h, t)
    dout = simple.loss_layer.backward()
    for layer in reversed(simple.layers):
        dout = layer.backward(dout)
    np.testing.assert_array_equal(simple.grads, grads_run_order)


@pytest.mark.parametrize("build, shape", [(build_simple_convnet, (1, 28, 28)), (build_deep_convnet, (1, 28, 28)),
                                          (build_cnn, (1, 28, 28)), (build_cnn, (3, 8, 8))],
                         ids=["simple", "deep", "cnn", "cnn-3-channels"])
def test_one_image_at_a_time_predicts_what_the_batch_predicts(build, shape) -> None:
    # a user's first call is often predict(x[:1]): every layer of the book's conv nets with a batch of one
    # (N = 1: length-1 axes in every (H, C, W, N) array) against the rows of a batch of four
    net = build(input_shape=shape, dtype=np.float64, rng=np.random.default_rng(7))
    x = np.random.default_rng(8).random((4, *shape))
    batch = net.predict(x)
    for i in range(4):
        np.testing.assert_allclose(net.predict(x[i : i + 1]), batch[i : i + 1], rtol=1e-10, atol=1e-12)
