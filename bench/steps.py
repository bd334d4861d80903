"""The training steps bench/core.py times, by name: netcore's, their GEMM-only bounds, and (bench/torch_steps.py)
PyTorch's. A step is what the book's training loop does per update: draw a batch with replacement, gradient,
update (the post-update loss the book records is not part of it). As in netcore's trainer, the update may use
the gradient vector as scratch (``overwrite_grads=True``) and the batch is gathered into one reused buffer
(``take_rows``). The data are random; every factory maps a seed to a fresh step (new network and optimizer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from timing import Step

from netcore.builders import build_cnn, build_deep_convnet, build_mlp, build_simple_convnet
from netcore.conv import Conv2D
from netcore.layers import Affine
from netcore.network import Network
from netcore.optim import make_optimizer
from netcore.trainer import take_rows

SIZES = [784, 100, 100, 100, 100, 10]
BATCH = 128


@dataclass(frozen=True)
class ConvNet:
    """One of the conv nets the bench compares: its builder (rng, dtype) -> Network, batch size, optimizer."""

    name: str
    title: str
    build: Callable[[np.random.Generator, type], Network]
    batch: int
    opt: str = "adam"


CONVNETS = {
    "simple": ConvNet("simple", "SimpleConvNet (30 5x5 filters, hidden 100)",
                      lambda rng, dt: build_simple_convnet(dtype=dt, rng=rng), 100),
    "deep": ConvNet("deep", "DeepConvNet (six 3x3 convs 16-64, book dropout)",
                    lambda rng, dt: build_deep_convnet(dtype=dt, rng=rng), 100),
    "cnn": ConvNet("cnn", "3x3 BN net: build_cnn() (2 blocks 32/64, BN, dense 128)",
                   lambda rng, dt: build_cnn(dtype=dt, rng=rng), 128),
}


def data(dtype, n: int, shape: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, *shape)).astype(dtype), rng.integers(0, 10, n)


def netcore_step(build: Callable, opt_name: str, x: np.ndarray, t: np.ndarray, batch: int) -> Callable[[int], Step]:
    """seed -> one netcore training step as the trainer takes it, on a fresh ``build(rng)`` network."""

    def make(seed: int) -> Step:
        rng = np.random.default_rng(seed)
        net = build(rng)
        opt = make_optimizer(opt_name)
        buf = take_rows(x, np.zeros(batch, np.intp))

        def step() -> None:
            idx = rng.integers(0, len(x), batch)
            net.gradient(take_rows(x, idx, buf), t[idx])
            opt.update(net.params, net.grads, overwrite_grads=True)

        return step

    return make


def netcore_mlp(opt_name: str, dtype) -> Callable[[int], Step]:
    x, t = data(dtype, 4096, (784,), seed=1)
    return netcore_step(lambda rng: build_mlp(784, SIZES[1:-1], 10, dtype=dtype, rng=rng), opt_name, x, t, BATCH)


def netcore_conv(net: ConvNet, dtype=np.float32) -> Callable[[int], Step]:
    x, t = data(dtype, 1000, (1, 28, 28), seed=2)
    return netcore_step(lambda rng: net.build(rng, dtype), net.opt, x, t, net.batch)


def gemm_products(mats: list[tuple[tuple[int, int], tuple[int, int]]], dtype) -> Callable[[int], Step]:
    """seed -> a step doing the matrix products ``A @ B`` of the given shapes on preallocated arrays."""

    def make(seed: int) -> Step:
        rng = np.random.default_rng(seed)
        ops = [(rng.random(a).astype(dtype), rng.random(b).astype(dtype), np.empty((a[0], b[1]), dtype))
               for a, b in mats]

        def step() -> None:
            for a, b, out in ops:
                np.matmul(a, b, out=out)

        return step

    return make


def mlp_products() -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The MLP step's products: x @ W per layer, x^T @ dout per layer, dout @ W^T for every layer but the first."""
    mats = [((BATCH, a), (a, b)) for a, b in zip(SIZES[:-1], SIZES[1:], strict=True)]
    mats += [((a, BATCH), (BATCH, b)) for a, b in zip(SIZES[:-1], SIZES[1:], strict=True)]
    mats += [((BATCH, b), (b, a)) for a, b in zip(SIZES[1:-1], SIZES[2:], strict=True)]
    return mats


def conv_products(net: ConvNet) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The products of the book's im2col formulation of ``net``'s step: per conv (M = N*OH*OW rows, K = C*FH*FW)
    forward (M, K) @ (K, FN), dW (FN, M) @ (M, K), dcol (M, FN) @ (FN, K); per affine layer x @ W, x^T @ dout,
    dout @ W^T; no input gradient for the first layer (as netcore and PyTorch skip it)."""
    model = net.build(np.random.default_rng(0), np.float32)
    h = np.zeros((net.batch, 1, 28, 28), np.float32)
    mats: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for i, layer in enumerate(model.layers):
        out = layer.forward(h, train=True)
        if isinstance(layer, Conv2D):
            fn, c, fh, fw = layer.params["W"].shape
            m, k = out.shape[0] * out.shape[2] * out.shape[3], c * fh * fw
            mats += [((m, k), (k, fn)), ((fn, m), (m, k))] + ([((m, fn), (fn, k))] if i else [])
        elif isinstance(layer, Affine):
            d, m = layer.params["W"].shape
            n = h.shape[0]
            mats += [((n, d), (d, m)), ((d, n), (n, m))] + ([((n, m), (m, d))] if i else [])
        h = out
    return mats


def netcore_factory(key: str) -> tuple[int, Callable[[int], Step]]:
    """The netcore or bound step ``key`` (as core.py names them): (batch, seed -> step). Builds only its own
    data, so that a process measuring one step's memory holds nothing else."""
    kind, dn = key.rsplit(" ", 1)
    dtype = np.dtype(dn).type
    if kind == "gemm-only":
        return BATCH, gemm_products(mlp_products(), dtype)
    if kind in ("netcore sgd", "netcore adam"):
        return BATCH, netcore_mlp(kind.split()[1], dtype)
    what, name = kind.split()
    if name not in CONVNETS or what not in ("gemm-only", "netcore"):
        raise KeyError(f"unknown step {key!r}")
    net = CONVNETS[name]
    if what == "gemm-only":
        return net.batch, gemm_products(conv_products(net), np.float32)
    return net.batch, netcore_conv(net)
