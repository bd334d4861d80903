"""Builders for the book's networks: the multi-layer nets (MultiLayerNet / Extend), SimpleConvNet, DeepConvNet.

Weights are drawn in the book's order (W1, then W2, ...) as standard normals times the init rule's std,
in float64, then stored in the network's dtype; biases and BN betas are zero, BN gammas one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from netcore.conv import Conv2D, MaxPool2D
from netcore.layers import Affine, BatchNorm, Dropout, Relu, Sigmoid, SoftmaxCrossEntropy, Tanh
from netcore.network import Network, allocate

ACTIVATIONS = {"relu": Relu, "sigmoid": Sigmoid, "tanh": Tanh}
INIT_RULES = ("he", "xavier", "std")


def weight_std(rule: str, fan_in: int, *, std: float = 0.01, scale: float = 1.0) -> float:
    """The std of a weight matrix: He sqrt(2/fan_in), the book's fan-in "Xavier" sqrt(1/fan_in), or ``std``.

    ``scale`` multiplies the rule's std (1.0 = the rule itself).
    """
    rule_l = rule.lower()
    if rule_l in ("he", "relu"):
        base = np.sqrt(2.0 / fan_in)
    elif rule_l in ("xavier", "sigmoid"):
        base = np.sqrt(1.0 / fan_in)
    elif rule_l == "std":
        base = std
    else:
        raise ValueError(f"init rule {rule!r} is unknown: use one of {', '.join(INIT_RULES)}")
    if not (scale > 0 and np.isfinite(scale)):
        raise ValueError(f"init_scale={scale!r} must be a finite number > 0")
    return float(base * scale)


def _check_positive_ints(name: str, values: Sequence[int]) -> None:
    for v in values:
        if int(v) != v or v < 1:
            raise ValueError(f"{name} must be positive integers, got {list(values)!r}")


def _affine(p: dict, g: dict, i: int) -> Affine:
    """Affine layer i over the views ``W{i}``/``b{i}`` of the network's flat parameter and gradient vectors."""
    return Affine(p[f"W{i}"], p[f"b{i}"], grads={"W": g[f"W{i}"], "b": g[f"b{i}"]})


def _conv(p: dict, g: dict, i: int, *, stride: int, pad: int) -> Conv2D:
    return Conv2D(p[f"W{i}"], p[f"b{i}"], stride=stride, pad=pad, grads={"W": g[f"W{i}"], "b": g[f"b{i}"]})


def build_mlp(
    input_size: int = 784,
    hidden: Sequence[int] = (100,) * 6,
    output_size: int = 10,
    *,
    activation: str = "relu",
    init: str = "he",
    init_std: float = 0.01,
    init_scale: float = 1.0,
    weight_decay: float = 0.0,
    batch_norm: bool = False,
    dropout: float | None = None,
    dropout_inverted: bool = False,
    dtype: np.dtype | type = np.float32,
    rng: np.random.Generator,
) -> Network:
    """The book's MultiLayerNet(Extend): [Affine -> (BatchNorm) -> activation -> (Dropout)] per hidden layer,
    then Affine and softmax cross-entropy. Weight decay covers every affine weight (output layer included)."""
    _check_positive_ints("hidden sizes", list(hidden))
    _check_positive_ints("input_size/output_size", [input_size, output_size])
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation {activation!r} is unknown: use one of {', '.join(ACTIVATIONS)}")
    if dropout is not None and not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout={dropout!r} must be a ratio in [0, 1) (or None for no dropout)")
    sizes = [input_size, *hidden, output_size]
    n_affine = len(sizes) - 1
    shapes: list[tuple[str, tuple[int, ...]]] = []
    for k in range(n_affine):
        shapes += [(f"W{k + 1}", (sizes[k], sizes[k + 1])), (f"b{k + 1}", (sizes[k + 1],))]
        if batch_norm and k < n_affine - 1:
            shapes += [(f"gamma{k + 1}", (sizes[k + 1],)), (f"beta{k + 1}", (sizes[k + 1],))]
    flat = allocate(shapes, dtype)
    p, g = flat.param_views, flat.grad_views
    stds = [weight_std(init, sizes[k], std=init_std, scale=init_scale) for k in range(n_affine)]
    for k in range(n_affine):  # the book draws W1, W2, ... in order
        p[f"W{k + 1}"][...] = rng.standard_normal((sizes[k], sizes[k + 1])) * stds[k]
    layers: list = []
    for k in range(n_affine):
        i = k + 1
        layers.append(_affine(p, g, i))
        if k == n_affine - 1:
            break
        if batch_norm:
            p[f"gamma{i}"][...] = 1.0
            layers.append(
                BatchNorm(p[f"gamma{i}"], p[f"beta{i}"], grads={"gamma": g[f"gamma{i}"], "beta": g[f"beta{i}"]})
            )
        layers.append(ACTIVATIONS[activation]())
        if dropout is not None:
            layers.append(Dropout(dropout, rng=rng, inverted=dropout_inverted))
    decay = [f"W{k + 1}" for k in range(n_affine)]
    return Network(layers, SoftmaxCrossEntropy(), flat, weight_decay=weight_decay, decay_names=decay)


def build_simple_convnet(
    input_shape: tuple[int, int, int] = (1, 28, 28),
    *,
    filters: int = 30,
    filter_size: int = 5,
    pad: int = 0,
    stride: int = 1,
    hidden: int = 100,
    output_size: int = 10,
    weight_std: float = 0.01,
    dtype: np.dtype | type = np.float32,
    rng: np.random.Generator,
) -> Network:
    """The book's SimpleConvNet: Conv -> ReLU -> MaxPool 2x2 s2 -> Affine -> ReLU -> Affine -> softmax CE."""
    c, h, w = input_shape
    oh = (h + 2 * pad - filter_size) // stride + 1
    ow = (w + 2 * pad - filter_size) // stride + 1
    if oh < 2 or ow < 2:
        raise ValueError(f"input {input_shape} is too small for {filter_size}x{filter_size} filters")
    pooled = filters * (oh // 2) * (ow // 2)
    shapes = [
        ("W1", (filters, c, filter_size, filter_size)), ("b1", (filters,)),
        ("W2", (pooled, hidden)), ("b2", (hidden,)),
        ("W3", (hidden, output_size)), ("b3", (output_size,)),
    ]
    flat = allocate(shapes, dtype)
    p, g = flat.param_views, flat.grad_views
    for name in ("W1", "W2", "W3"):
        p[name][...] = rng.standard_normal(p[name].shape) * weight_std
    layers = [
        _conv(p, g, 1, stride=stride, pad=pad),
        Relu(),
        MaxPool2D(2, 2, stride=2),
        _affine(p, g, 2),
        Relu(),
        _affine(p, g, 3),
    ]
    return Network(layers, SoftmaxCrossEntropy(), flat)


def build_deep_convnet(
    input_shape: tuple[int, int, int] = (1, 28, 28),
    *,
    hidden: int = 50,
    output_size: int = 10,
    dropout: float = 0.5,
    dtype: np.dtype | type = np.float32,
    rng: np.random.Generator,
) -> Network:
    """The book's DeepConvNet (ch. 8): six 3x3 convs (16,16,32,32,64,64; the fourth with pad 2), three
    max-pools, Affine-ReLU-Dropout, Affine, Dropout on the logits; He init with fan-in C*3*3 per conv."""
    c, h, w = input_shape
    convs = [(16, 1), (16, 1), (32, 1), (32, 2), (64, 1), (64, 1)]
    shapes: list[tuple[str, tuple[int, ...]]] = []
    fan_ins: list[int] = []
    ch, hh, ww = c, h, w
    for k, (fn, pad) in enumerate(convs):
        shapes += [(f"W{k + 1}", (fn, ch, 3, 3)), (f"b{k + 1}", (fn,))]
        fan_ins.append(ch * 9)
        ch, hh, ww = fn, hh + 2 * pad - 2, ww + 2 * pad - 2
        if k % 2 == 1:
            hh, ww = (hh - 2) // 2 + 1, (ww - 2) // 2 + 1
    flat_in = ch * hh * ww
    shapes += [("W7", (flat_in, hidden)), ("b7", (hidden,)), ("W8", (hidden, output_size)), ("b8", (output_size,))]
    fan_ins += [flat_in, hidden]
    flat = allocate(shapes, dtype)
    p, g = flat.param_views, flat.grad_views
    for k, fan in enumerate(fan_ins):
        name = f"W{k + 1}"
        p[name][...] = rng.standard_normal(p[name].shape) * np.sqrt(2.0 / fan)
    layers: list = []
    for k, (_, pad) in enumerate(convs):
        i = k + 1
        layers += [_conv(p, g, i, stride=1, pad=pad), Relu()]
        if k % 2 == 1:
            layers.append(MaxPool2D(2, 2, stride=2))
    layers += [
        _affine(p, g, 7),
        Relu(),
        Dropout(dropout, rng=rng),
        _affine(p, g, 8),
        Dropout(dropout, rng=rng),
    ]
    return Network(layers, SoftmaxCrossEntropy(), flat)
