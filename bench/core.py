"""Benchmark of netcore's training step.

Prints training samples/s for the book's optimizer-comparison MLP (784-100x4-10, ReLU, He, batch 128) with SGD
and Adam in float32 and float64, for SimpleConvNet (batch 100), the GEMM-only bound of the same MLP step (only
its matrix products, on preallocated arrays), and — when PyTorch is installed — the same MLP in PyTorch with one
thread and its default optimizers. All in one run, BLAS pinned to one thread; ratios are within this run.

A step is what the book's training loop does per update: draw a batch with replacement, gradient, update (the
post-update loss the book records is not part of it, for netcore nor for PyTorch). As in netcore's trainer, the
update may use the gradient vector as scratch (``overwrite_grads=True``) and the batch is gathered into one reused
buffer (``take_rows``). The data are random.

How it measures, for a shared and noisy machine:
  * interleaved: the configurations are timed round-robin (A, B, C, ..., then A, B, C, ... again), so a burst of
    load from other work hits every configuration alike instead of one of them;
  * identical rounds: each round rebuilds the network and optimizer from the same seed, warms up and times the
    same number of steps, so every round does the same work. A model trained on across rounds drifts: after
    ~500 steps on this random data most first-layer ReLU units are dead, their Adam moments decay into float32
    subnormals, and every operation on those is ~100x slower (measured: PyTorch Adam 2.2 -> 2.9 ms/step after
    1000 steps; netcore flushes such state, see netcore.optim). A single long run would time that drift, not
    the step.
  * the table gives the median and the best rate over the rounds; each ratio is the median of the per-round
    ratios, whose two sides were measured seconds apart.

Run: python bench/core.py [--seconds 2.0] [--rounds 7] [--no-torch]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from netcore.builders import build_mlp, build_simple_convnet
from netcore.optim import make_optimizer
from netcore.trainer import take_rows

SIZES = [784, 100, 100, 100, 100, 10]
BATCH = 128
CONV_BATCH = 100
WARMUP = 10  # untimed steps at the start of every round
TARGETS = {"sgd": 0.70, "adam": 0.60}  # netcore / GEMM-only bound, float32
TORCH_TARGET = 1.8  # netcore / PyTorch, float32, same optimizer

Step = Callable[[], None]


@dataclass
class Config:
    name: str
    dtype: str
    batch: int
    make: Callable[[int], Step]  # seed -> a fresh step (new network and optimizer state)
    steps: int = 0  # timed steps per round, set by calibration


def _data(dtype, n: int, shape: tuple[int, ...], seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, *shape)).astype(dtype), rng.integers(0, 10, n)


def _netcore(build: Callable, opt_name: str, x: np.ndarray, t: np.ndarray, batch: int) -> Callable[[int], Step]:
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
    x, t = _data(dtype, 4096, (784,), seed=1)
    return _netcore(lambda rng: build_mlp(784, SIZES[1:-1], 10, dtype=dtype, rng=rng), opt_name, x, t, BATCH)


def gemm_only(dtype) -> Callable[[int], Step]:
    """The matrix products of one MLP step, on preallocated arrays: forward x@W per layer, backward x^T@dout per
    layer and dout@W^T for every layer but the first."""

    def make(seed: int) -> Step:
        rng = np.random.default_rng(seed)
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

    return make


def netcore_convnet(dtype) -> Callable[[int], Step]:
    x, t = _data(dtype, 1000, (1, 28, 28), seed=2)
    return _netcore(lambda rng: build_simple_convnet(dtype=dtype, rng=rng), "adam", x, t, CONV_BATCH)


def torch_mlp(opt_name: str) -> Callable[[int], Step]:
    import torch

    torch.set_num_threads(1)
    x_np, t_np = _data(np.float32, 4096, (784,), seed=1)
    x, t = torch.from_numpy(x_np), torch.from_numpy(t_np)
    lossf = torch.nn.CrossEntropyLoss()

    def make(seed: int) -> Step:
        rng = np.random.default_rng(seed)
        torch.manual_seed(seed)
        mods: list = []
        for a, b in zip(SIZES[:-1], SIZES[1:], strict=True):
            mods += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        model = torch.nn.Sequential(*mods[:-1])
        if opt_name == "sgd":
            opt = torch.optim.SGD(model.parameters(), lr=0.01)
        else:
            opt = torch.optim.Adam(model.parameters(), lr=0.001)

        def step() -> None:
            idx = torch.from_numpy(rng.integers(0, len(x_np), BATCH))
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(x[idx]), t[idx])
            loss.backward()
            opt.step()

        return step

    return make


def _time(step: Step, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return time.perf_counter() - t0


def calibrate(cfg: Config, block_seconds: float) -> None:
    """Pick the number of timed steps per round so that one round takes about ``block_seconds``."""
    step = cfg.make(0)
    _time(step, WARMUP)
    n = 1
    while (dt := _time(step, n)) < block_seconds / 4:
        n *= 2
    cfg.steps = max(1, round(n * block_seconds / dt))


def measure(configs: list[Config], rounds: int) -> dict[str, list[float]]:
    """Samples/s of every configuration in every round, the configurations interleaved round-robin."""
    rates: dict[str, list[float]] = {_key(c): [] for c in configs}
    for _ in range(rounds):
        for cfg in configs:
            step = cfg.make(0)  # the same seed every round: identical work
            _time(step, WARMUP)
            rates[_key(cfg)].append(cfg.batch * cfg.steps / _time(step, cfg.steps))
    return rates


def _key(cfg: Config) -> str:
    return f"{cfg.name} {cfg.dtype}"


def _ratio(rates: dict[str, list[float]], num: str, den: str) -> float:
    """Median over the rounds of the per-round ratio num/den."""
    return statistics.median(a / b for a, b in zip(rates[num], rates[den], strict=True))


def _print_header() -> None:
    print(f"machine: {platform.processor() or platform.machine()} | {os.cpu_count()} cores | {platform.platform()}")
    print(f"python {sys.version.split()[0]} | numpy {np.__version__}")
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS"):
        print(f"{k}={os.environ.get(k, '(unset)')}")
    for info in threadpool_info():
        print(f"BLAS: {info.get('internal_api')} {info.get('version')} {info.get('architecture')} "
              f"threads={info.get('num_threads')}")


def _torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="timed seconds per configuration, over all rounds")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    ap.add_argument("--no-torch", action="store_true", help="skip PyTorch even when installed")
    args = ap.parse_args(argv)
    torch_version = None if args.no_torch else _torch_version()
    t_start = time.perf_counter()
    with threadpool_limits(1):
        _print_header()
        configs = []
        for dtype in (np.float32, np.float64):
            dn = np.dtype(dtype).name
            configs.append(Config("gemm-only", dn, BATCH, gemm_only(dtype)))
            for opt in ("sgd", "adam"):
                configs.append(Config(f"netcore {opt}", dn, BATCH, netcore_mlp(opt, dtype)))
        if torch_version:
            for opt in ("sgd", "adam"):
                configs.append(Config(f"torch {opt}", "float32", BATCH, torch_mlp(opt)))
        configs.append(Config("convnet adam", "float32", CONV_BATCH, netcore_convnet(np.float32)))
        for cfg in configs:
            calibrate(cfg, args.seconds / args.rounds)
        load_before = os.getloadavg()[0]
        rates = measure(configs, args.rounds)
        load_after = os.getloadavg()[0]
    _report(configs, rates, args.rounds, torch_version)
    print(f"\nload average (1 min) {load_before:.2f} before, {load_after:.2f} after the rounds; "
          f"{time.perf_counter() - t_start:.0f} s in all")
    return 0


def _report(configs: list[Config], rates: dict[str, list[float]], rounds: int, torch_version: str | None) -> None:
    def row(cfg: Config) -> str:
        r = rates[_key(cfg)]
        med = statistics.median(r)
        return f"  {_key(cfg):<22} {med:>10,.0f} {max(r):>10,.0f} {(max(r) - min(r)) / med:>7.0%}  {cfg.steps:>6}"

    header = f"  {'':<22} {'median':>10} {'best':>10} {'spread':>7}  steps/round"
    print(f"\nMLP 784-100x4-10, ReLU, He, batch {BATCH}, 1 BLAS thread; {rounds} interleaved rounds, samples/s")
    print(header)
    for cfg in configs:
        if not cfg.name.startswith("convnet"):
            print(row(cfg))
    print(f"\nSimpleConvNet (30 5x5 filters, hidden 100), Adam, batch {CONV_BATCH}, samples/s")
    print(header)
    for cfg in configs:
        if cfg.name.startswith("convnet"):
            print(row(cfg))
    print("\nratios (median of the per-round ratios):")
    for dn in ("float32", "float64"):
        for opt in ("sgd", "adam"):
            ratio = _ratio(rates, f"netcore {opt} {dn}", f"gemm-only {dn}")
            target = f"  (target >= {TARGETS[opt]:.0%})" if dn == "float32" else ""
            print(f"  netcore {opt} {dn} / GEMM-only bound = {ratio:.1%}{target}")
    if torch_version:
        print(f"  PyTorch {torch_version} (1 thread, torch.optim defaults), float32:")
        for opt in ("sgd", "adam"):
            ratio = _ratio(rates, f"netcore {opt} float32", f"torch {opt} float32")
            print(f"  netcore {opt} / torch {opt} = {ratio:.2f}x  (target >= {TORCH_TARGET}x)")
    else:
        print("  PyTorch not installed (pip install torch==2.13.0) — no comparison")


if __name__ == "__main__":
    raise SystemExit(main())
