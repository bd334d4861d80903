"""Where the time of one netcore training step goes, next to the GEMM-only bound's budget.

Times every phase of the bench MLP step (784-100x4-10, ReLU, He, batch 128, float32, 1 BLAS thread) inside the
training loop, where caches hold what a real step leaves in them: the batch gather, each layer's forward and
backward, the loss, the optimizer update. Then it prints what the targets of bench/core.py leave for the work
that is not a matrix product (bound / target - bound) beside what that work costs here.

Last, the ceiling of the layer design: the same step written out by hand in NumPy (no layer objects, every
activation in a preallocated buffer, elementwise work in place, netcore's optimizers), timed in interleaved
rounds against netcore's step and the bound as bench/core.py times them.

The conv nets' breakdown is bench/breakdown_conv.py.

Run: python bench/breakdown.py [--steps 3000]
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np
from core import TARGETS
from steps import BATCH, SIZES, data, gemm_products, mlp_products, netcore_mlp
from threadpoolctl import threadpool_limits
from timing import Config, calibrate, measure, print_header, ratio

from netcore.builders import build_mlp
from netcore.network import Network, run_order
from netcore.optim import make_optimizer
from netcore.trainer import take_rows

WARMUP = 50


def phases(opt_name: str, steps: int) -> dict[str, float]:
    """Mean microseconds per step of every phase of netcore's MLP step, measured in the loop."""
    x, t = data(np.float32, 4096, (784,), seed=1)
    rng = np.random.default_rng(0)
    net = build_mlp(784, SIZES[1:-1], 10, dtype=np.float32, rng=rng)
    return step_phases(net, opt_name, x, t, BATCH, rng, steps, WARMUP)


def step_phases(net: Network, opt_name: str, x: np.ndarray, t: np.ndarray, batch: int, rng: np.random.Generator,
                steps: int, warmup: int, clock=time.perf_counter) -> dict[str, float]:
    """Mean microseconds per step of every phase of ``net``'s training step, measured in the loop by ``clock``.
    Layers run in the network's order (``run_order``: a ReLU before a max pooling runs after it) and are named by
    their index in ``net.layers``."""
    opt = make_optimizer(opt_name)
    order = [(next(i for i, m in enumerate(net.layers) if m is layer), layer) for layer in run_order(net.layers)]
    acc: dict[str, float] = defaultdict(float)
    buf = None
    for i in range(warmup + steps):
        if i == warmup:
            acc.clear()
        t0 = clock()
        idx = rng.integers(0, len(x), batch)
        out = buf = take_rows(x, idx, buf)
        tb = t[idx]
        t1 = clock()
        acc["gather"] += t1 - t0
        for k, layer in order:
            out = layer.forward(out, train=True)
            t0, t1 = t1, clock()
            acc[f"forward {k} {type(layer).__name__}"] += t1 - t0
        net.loss_layer.forward(out, tb)
        dout = net.loss_layer.backward()
        t0, t1 = t1, clock()
        acc["loss forward+backward"] += t1 - t0
        for k, layer in reversed(order):
            dout = layer.backward(dout)
            t0, t1 = t1, clock()
            acc[f"backward {k} {type(layer).__name__}"] += t1 - t0
        opt.update(net.params, net.grads, overwrite_grads=True)
        acc["update"] += clock() - t1
    return {k: v / steps * 1e6 for k, v in acc.items()}


def hand_fused(opt_name: str):
    """seed -> the bench MLP step written out in NumPy over netcore's flat parameters (the design's ceiling)."""
    x, t = data(np.float32, 4096, (784,), seed=1)

    def make(seed: int):
        rng = np.random.default_rng(seed)
        net = build_mlp(784, SIZES[1:-1], 10, dtype=np.float32, rng=rng)
        opt = make_optimizer(opt_name)
        n_layers = len(SIZES) - 1
        ws = [net.named_params[f"W{k}"] for k in range(1, n_layers + 1)]
        bs = [net.named_params[f"b{k}"] for k in range(1, n_layers + 1)]
        gws = [net.named_grads[f"W{k}"] for k in range(1, n_layers + 1)]
        gbs = [net.named_grads[f"b{k}"] for k in range(1, n_layers + 1)]
        hs = [np.empty((BATCH, s), np.float32) for s in SIZES[1:]]
        ds = [np.empty((BATCH, s), np.float32) for s in SIZES[1:]]
        masks = [np.empty((BATCH, s), np.float32) for s in SIZES[1:]]
        ones, cols = np.ones(BATCH, np.float32), np.arange(BATCH)
        xb = np.empty((BATCH, 784), np.float32)

        def step() -> None:
            idx = rng.integers(0, len(x), BATCH)
            np.take(x, idx, axis=0, out=xb, mode="clip")
            h = xb
            for k in range(n_layers):
                np.matmul(h, ws[k], out=hs[k])
                hs[k] += bs[k]
                if k < n_layers - 1:
                    np.greater(hs[k], 0, out=masks[k])
                    np.maximum(hs[k], 0, out=hs[k])
                h = hs[k]
            yt = np.array(h.T, order="C")  # softmax over the transposed scores, as the loss layer does
            yt -= yt.max(axis=0)
            np.exp(yt, out=yt)
            yt /= yt.sum(axis=0)
            pos = t[idx] * BATCH + cols
            yt.reshape(-1)[pos] -= 1.0
            yt /= BATCH
            d = yt.T
            for k in range(n_layers - 1, -1, -1):
                np.matmul((hs[k - 1] if k else xb).T, d, out=gws[k])
                np.matmul(ones, d, out=gbs[k])
                if k:
                    np.matmul(d, ws[k].T, out=ds[k - 1])
                    ds[k - 1] *= masks[k - 1]
                    d = ds[k - 1]
            opt.update(net.params, net.grads, overwrite_grads=True)

        return step

    return make


def ceiling(rounds: int = 9) -> dict[str, float]:
    """Ratios to the bound of netcore's step and of the hand-fused step, in interleaved rounds."""
    configs = [Config("gemm-only", "float32", BATCH, gemm_products(mlp_products(), np.float32))]
    for name in TARGETS:
        configs.append(Config(f"netcore {name}", "float32", BATCH, netcore_mlp(name, np.float32)))
        configs.append(Config(f"hand-fused {name}", "float32", BATCH, hand_fused(name)))
    for cfg in configs:
        calibrate(cfg, 0.3)
    rates = measure(configs, rounds)
    return {c.name: ratio(rates, f"{c.name} float32", "gemm-only float32") for c in configs[1:]}


def bound_us(steps: int) -> float:
    step = gemm_products(mlp_products(), np.float32)(0)
    for _ in range(WARMUP):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t0) / steps * 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=3000, help="timed steps per configuration")
    args = ap.parse_args(argv)
    with threadpool_limits(1):
        print_header()
        bound = bound_us(args.steps)
        results = {name: phases(name, args.steps) for name in TARGETS}
        ratios = ceiling()
    print(f"\nGEMM-only bound: {bound:.0f} us per step (hot caches, no gather)")
    for name, ph in results.items():
        total = sum(ph.values())
        affine = sum(v for k, v in ph.items() if "Affine" in k)
        print(f"\nnetcore {name}, float32: {total:.0f} us per step in the loop = {bound / total:.1%} of the bound")
        for k, v in ph.items():
            print(f"  {k:<26} {v:7.1f} us  {v / total:6.1%}")
        budget = bound / TARGETS[name] - bound
        print(f"  target {TARGETS[name]:.0%} leaves {budget:.0f} us per step for all work beyond the bound's GEMMs;"
              f" here: Affine layers beyond the bound {affine - bound:.0f} us, gather {ph['gather']:.0f} us,"
              f" update {ph['update']:.0f} us, the rest {total - affine - ph['gather'] - ph['update']:.0f} us")
    print("\nthe same step written out by hand in NumPy (interleaved rounds, median ratio to the bound):")
    for name, r in ratios.items():
        print(f"  {name:<18} {r:.1%}  (target {TARGETS[name.split()[-1]]:.0%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
