"""Benchmark of netcore's training step.

Prints training samples/s for the book's optimizer-comparison MLP (784-100x4-10, ReLU, He, batch 128) with SGD
and Adam in float32 and float64, for SimpleConvNet (batch 100), the GEMM-only bound of the same MLP step (only
its matrix products, on preallocated arrays), and — when PyTorch is installed — the same MLP in PyTorch with one
thread and its default optimizers. All in one run, BLAS pinned to one thread; ratios are within this run.

Run: python bench/core.py [--seconds 2.0]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from netcore.builders import build_mlp, build_simple_convnet
from netcore.optim import make_optimizer

SIZES = [784, 100, 100, 100, 100, 10]
BATCH = 128


def _rate(step, batch: int, seconds: float) -> float:
    """Samples per second of ``step()``, best of three timed blocks after a warm-up."""
    for _ in range(20):
        step()
    n = 1
    while True:  # calibrate the block length
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        dt = time.perf_counter() - t0
        if dt > seconds / 6:
            break
        n *= 2
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        best = min(best, (time.perf_counter() - t0) / n)
    return batch / best


def netcore_mlp_step(opt_name: str, dtype, rng: np.random.Generator):
    net = build_mlp(784, SIZES[1:-1], 10, dtype=dtype, rng=rng)
    opt = make_optimizer(opt_name)
    x = rng.random((4096, 784)).astype(dtype)
    t = rng.integers(0, 10, 4096)

    def step() -> None:
        idx = rng.integers(0, len(x), BATCH)
        net.gradient(x[idx], t[idx])
        opt.update(net.params, net.grads)

    return step


def gemm_only_step(dtype, rng: np.random.Generator):
    """The matrix products of one MLP step: forward x@W per layer, backward x^T@dout per layer and
    dout@W^T for every layer but the first."""
    ws = [rng.standard_normal((a, b)).astype(dtype) for a, b in zip(SIZES[:-1], SIZES[1:], strict=True)]
    acts = [rng.random((BATCH, s)).astype(dtype) for s in SIZES]
    douts = [rng.random((BATCH, s)).astype(dtype) for s in SIZES]
    gws = [np.empty_like(w) for w in ws]

    def step() -> None:
        for k, w in enumerate(ws):
            np.matmul(acts[k], w, out=acts[k + 1])
        for k in range(len(ws) - 1, -1, -1):
            np.matmul(acts[k].T, douts[k + 1], out=gws[k])
            if k:
                np.matmul(douts[k + 1], ws[k].T, out=douts[k])

    return step


def convnet_step(dtype, rng: np.random.Generator):
    net = build_simple_convnet(dtype=dtype, rng=rng)
    opt = make_optimizer("adam")
    x = rng.random((1000, 1, 28, 28)).astype(dtype)
    t = rng.integers(0, 10, 1000)

    def step() -> None:
        idx = rng.integers(0, len(x), 100)
        net.gradient(x[idx], t[idx])
        opt.update(net.params, net.grads)

    return step


def torch_step(opt_name: str, dtype_name: str, rng: np.random.Generator):
    import torch

    torch.set_num_threads(1)
    dt = {"float32": torch.float32, "float64": torch.float64}[dtype_name]
    torch.manual_seed(int(rng.integers(2**31)))
    mods: list = []
    for a, b in zip(SIZES[:-1], SIZES[1:], strict=True):
        mods += [torch.nn.Linear(a, b, dtype=dt), torch.nn.ReLU()]
    model = torch.nn.Sequential(*mods[:-1])
    opt = {"sgd": lambda p: torch.optim.SGD(p, lr=0.01), "adam": lambda p: torch.optim.Adam(p, lr=0.001)}[
        opt_name
    ](model.parameters())
    lossf = torch.nn.CrossEntropyLoss()
    x = torch.from_numpy(rng.random((4096, 784))).to(dt)
    t = torch.from_numpy(rng.integers(0, 10, 4096))

    def step() -> None:
        idx = torch.from_numpy(rng.integers(0, 4096, BATCH))
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(x[idx]), t[idx])
        loss.backward()
        opt.step()

    return step, torch.__version__


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="time per measurement (default 2)")
    ap.add_argument("--no-torch", action="store_true", help="skip PyTorch even when installed")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    print(f"machine: {platform.processor() or platform.machine()} | {os.cpu_count()} cores | {platform.platform()}")
    print(f"python {sys.version.split()[0]} | numpy {np.__version__}")
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        print(f"{k}={os.environ.get(k, '(unset)')}")
    with threadpool_limits(1):
        for info in threadpool_info():
            print(f"BLAS: {info.get('internal_api')} {info.get('version')} {info.get('architecture')} "
                  f"threads={info.get('num_threads')}")
        rows: dict[tuple[str, str], float] = {}
        for dtype in (np.float32, np.float64):
            dn = np.dtype(dtype).name
            rows[("gemm-only", dn)] = _rate(gemm_only_step(dtype, rng), BATCH, args.seconds)
            for opt in ("sgd", "adam"):
                rows[(f"netcore {opt}", dn)] = _rate(netcore_mlp_step(opt, dtype, rng), BATCH, args.seconds)
        torch_version = None
        if not args.no_torch:
            try:
                for opt in ("sgd", "adam"):
                    step, torch_version = torch_step(opt, "float32", rng)
                    rows[(f"torch {opt}", "float32")] = _rate(step, BATCH, args.seconds)
            except ImportError:
                torch_version = None
        conv = _rate(convnet_step(np.float32, rng), 100, args.seconds)
    print(f"\nMLP 784-100x4-10, ReLU, He, batch {BATCH}, 1 BLAS thread  (samples/s)")
    for (name, dn), rate in rows.items():
        print(f"  {name:<14} {dn:<8} {rate:>12,.0f}")
    print(f"\nSimpleConvNet (30 5x5 filters, hidden 100), Adam, batch 100, float32: {conv:,.0f} samples/s")
    print("\nratios (float32):")
    bound = rows[("gemm-only", "float32")]
    for opt in ("sgd", "adam"):
        print(f"  netcore {opt} / GEMM-only bound = {rows[(f'netcore {opt}', 'float32')] / bound:.1%}")
    if torch_version:
        print(f"  PyTorch {torch_version} (1 thread, torch.optim defaults):")
        for opt in ("sgd", "adam"):
            ratio = rows[(f"netcore {opt}", "float32")] / rows[(f"torch {opt}", "float32")]
            print(f"  netcore {opt} / torch {opt} = {ratio:.2f}x")
    else:
        print("  PyTorch not installed (pip install torch==2.13.0) — no comparison")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
