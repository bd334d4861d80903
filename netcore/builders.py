"""Builders for the book's networks: the multi-layer nets (MultiLayerNet / Extend), SimpleConvNet, DeepConvNet,
and ``build_cnn``, the searchable 3x3-conv-block family (conv -> batch norm -> ReLU -> pool, then a dense head).

The conv nets' ReLUs work in place (``Relu(inplace=True)``): each follows a layer that hands over a fresh array.
Weights are drawn in the book's order (W1, then W2, ...) as standard normals times the init rule's std,
in float64, then stored in the network's dtype; biases and BN betas are zero, BN gammas one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from netcore.conv import Conv2D, MaxPool2D
from netcore.layers import Affine, BatchNorm, BatchNorm2D, Dropout, Relu, Sigmoid, SoftmaxCrossEntropy, Tanh
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


def _check_dropout(dropout: float | None) -> None:
    if dropout is not None and not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout={dropout!r} must be a ratio in [0, 1) (or None for no dropout)")


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
    _check_dropout(dropout)
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
            layers.append(_bn(p, g, i))
        layers.append(ACTIVATIONS[activation]())
        if dropout is not None:
            layers.append(Dropout(dropout, rng=rng, inverted=dropout_inverted))
    decay = [f"W{k + 1}" for k in range(n_affine)]
    return Network(layers, SoftmaxCrossEntropy(), flat, weight_decay=weight_decay, decay_names=decay)


def _bn(p: dict, g: dict, i: int, cls: type = BatchNorm) -> BatchNorm:
    """Batch norm i (``cls``) over the views ``gamma{i}``/``beta{i}``; sets gamma to one."""
    p[f"gamma{i}"][...] = 1.0
    return cls(p[f"gamma{i}"], p[f"beta{i}"], grads={"gamma": g[f"gamma{i}"], "beta": g[f"beta{i}"]})


def build_cnn(
    input_shape: tuple[int, int, int] = (1, 28, 28),
    *,
    filters: Sequence[int] = (32, 64),
    kernel_size: int = 3,
    batch_norm: bool = True,
    dense: int = 128,
    dropout: float | None = None,
    dropout_inverted: bool = False,
    output_size: int = 10,
    init: str = "he",
    init_scale: float = 1.0,
    weight_decay: float = 0.0,
    dtype: np.dtype | type = np.float32,
    rng: np.random.Generator,
) -> Network:
    """1-3 conv blocks [Conv k x k, stride 1, "same" pad k//2 -> (BatchNorm2D) -> ReLU -> MaxPool 2x2 s2], then
    Affine(dense) -> ReLU -> (Dropout) -> Affine(output_size) -> softmax CE.

    Weights W1.. drawn in order with ``weight_std(init, fan_in, scale=init_scale)`` (conv fan-in C*k*k), biases
    and betas zero, gammas one; weight decay covers every conv and affine weight. Parameters: block i has
    ``W{i}``, ``b{i}`` (and ``gamma{i}``, ``beta{i}``); the two affine layers follow as ``W{B+1}``, ``W{B+2}``.
    """
    filters = list(filters)
    if not 1 <= len(filters) <= 3:
        raise ValueError(f"filters={filters!r} must list 1 to 3 conv blocks' filter counts")
    _check_positive_ints("filters", filters)
    _check_positive_ints("input_shape", list(input_shape))
    _check_positive_ints("dense/output_size", [dense, output_size])
    if len(input_shape) != 3:
        raise ValueError(f"input_shape={tuple(input_shape)!r} must be (C, H, W)")
    if int(kernel_size) != kernel_size or kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size={kernel_size!r} must be an odd positive integer ('same' padding k//2)")
    _check_dropout(dropout)
    c, h, w = input_shape
    n_blocks = len(filters)
    if min(h, w) < 2**n_blocks:
        raise ValueError(f"input {tuple(input_shape)} is too small for {n_blocks} 2x2 pools: "
                         f"H and W must be >= {2**n_blocks}")
    weight_std(init, 1, scale=init_scale)  # validates the rule and scale before any allocation
    shapes: list[tuple[str, tuple[int, ...]]] = []
    fan_ins: list[int] = []
    ch, hh, ww = c, h, w
    for k, fn in enumerate(filters):
        i = k + 1
        shapes += [(f"W{i}", (fn, ch, kernel_size, kernel_size)), (f"b{i}", (fn,))]
        if batch_norm:
            shapes += [(f"gamma{i}", (fn,)), (f"beta{i}", (fn,))]
        fan_ins.append(ch * kernel_size * kernel_size)
        ch, hh, ww = fn, hh // 2, ww // 2
    flat_in = ch * hh * ww
    a1, a2 = n_blocks + 1, n_blocks + 2
    shapes += [(f"W{a1}", (flat_in, dense)), (f"b{a1}", (dense,)),
               (f"W{a2}", (dense, output_size)), (f"b{a2}", (output_size,))]
    fan_ins += [flat_in, dense]
    flat = allocate(shapes, dtype)
    p, g = flat.param_views, flat.grad_views
    for k, fan in enumerate(fan_ins):
        name = f"W{k + 1}"
        p[name][...] = rng.standard_normal(p[name].shape) * weight_std(init, fan, scale=init_scale)
    layers: list = []
    for k in range(n_blocks):
        layers.append(_conv(p, g, k + 1, stride=1, pad=kernel_size // 2))
        if batch_norm:
            layers.append(_bn(p, g, k + 1, BatchNorm2D))
        layers += [Relu(inplace=True), MaxPool2D(2, 2, stride=2)]
    layers += [_affine(p, g, a1), Relu(inplace=True)]
    if dropout is not None:
        layers.append(Dropout(dropout, rng=rng, inverted=dropout_inverted))
    layers.append(_affine(p, g, a2))
    decay = [f"W{k + 1}" for k in range(n_blocks + 2)]
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
        Relu(inplace=True),
        MaxPool2D(2, 2, stride=2),
        _affine(p, g, 2),
        Relu(inplace=True),
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
        layers += [_conv(p, g, i, stride=1, pad=pad), Relu(inplace=True)]
        if k % 2 == 1:
            layers.append(MaxPool2D(2, 2, stride=2))
    layers += [
        _affine(p, g, 7),
        Relu(inplace=True),
        Dropout(dropout, rng=rng),
        _affine(p, g, 8),
        Dropout(dropout, rng=rng),
    ]
    return Network(layers, SoftmaxCrossEntropy(), flat)
