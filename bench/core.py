"""Benchmark of netcore's training step, side by side with PyTorch CPU.

Prints training samples/s, one BLAS thread, float32 (and float64 for the MLP), for
  * the book's optimizer-comparison MLP (784-100x4-10, ReLU, He, batch 128) with SGD and Adam;
  * SimpleConvNet (batch 100), DeepConvNet (batch 100) and the 3x3 BN net the ``cnn`` objective searches
    (build_cnn(): 2 blocks of 32/64 filters, batch 128), with Adam;
  * the GEMM-only bound of each step: its matrix products alone, on preallocated arrays (for the conv nets the
    products of the book's im2col formulation), and netcore's share of it;
  * PyTorch, when installed (it is not a project dependency: ``pip install torch==2.13.0``): the same networks
    (translated layer by layer from netcore's, same initial weights), torch.optim's SGD/Adam, one thread. Its
    speed moves from process to process here, so every PyTorch step runs in ``--torch-procs`` processes and
    each round's PyTorch rate is the median over them;
  * the peak memory of each step (resident set above model and data, a fresh process per step).
All in one run, BLAS pinned to one thread, in interleaved rounds (bench/timing.py); ratios are within this run.

Identical rounds: each round rebuilds the network and optimizer from the same seed, warms up and times the
same number of steps. A model trained on across rounds drifts: after ~500 steps on this random data most
first-layer ReLU units are dead, their Adam moments decay into float32 subnormals, and every operation on those
is ~100x slower (measured: PyTorch Adam 2.2 -> 2.9 ms/step after 1000 steps; netcore flushes such state, see
netcore.optim). A single long run would time that drift, not the step.

Run: python bench/core.py [--seconds 2.0] [--rounds 7] [--torch-procs 3] [--only mlp|conv] [--clock wall|cpu]
     [--no-torch] [--no-memory]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from steps import BATCH, CONVNETS, netcore_factory
from threadpoolctl import threadpool_limits
from timing import Config, calibrate, measure, print_header, ratio
from workers import ProcessWorker, peak_memory

TARGETS = {"sgd": 0.70, "adam": 0.60}  # netcore / GEMM-only bound, float32 MLP
TORCH_TARGET = 1.8  # netcore / PyTorch, float32 MLP
CONV_TARGETS = {"simple": 1.2, "deep": 1.0, "cnn": 1.0}  # netcore / PyTorch; each >= 60 % of its bound
CONV_BOUND_TARGET = 0.60
CONV_WARMUP = 3


def _torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


def build_configs(only: str | None, workers: list[ProcessWorker]) -> list[Config]:
    def local(name: str, dtype: str, warmup: int) -> Config:
        batch, make = netcore_factory(f"{name} {dtype}")
        return Config(name, dtype, batch, make, warmup=warmup)

    def remote(name: str, batch: int, warmup: int) -> list[Config]:
        return [Config(name, "float32", batch, None, warmup=warmup, worker=w, proc=i + 1)
                for i, w in enumerate(workers)]

    configs: list[Config] = []
    if only in (None, "mlp"):
        for dn in ("float32", "float64"):
            configs += [local("gemm-only", dn, 10), local("netcore sgd", dn, 10), local("netcore adam", dn, 10)]
        for opt in ("sgd", "adam"):
            configs += remote(f"torch {opt}", BATCH, 10)
    if only in (None, "conv"):
        for net in CONVNETS.values():
            configs += [local(f"gemm-only {net.name}", "float32", CONV_WARMUP),
                        local(f"netcore {net.name}", "float32", CONV_WARMUP)]
            configs += remote(f"torch {net.name}", net.batch, CONV_WARMUP)
    return configs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=2.0, help="timed seconds per configuration, over all rounds")
    ap.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    ap.add_argument("--torch-procs", type=int, default=3, help="PyTorch processes per step (default 3)")
    ap.add_argument("--only", choices=("mlp", "conv"), help="only the MLP or only the conv nets")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="time steps by wall clock (default) or by each process's CPU time (on a loaded machine)")
    ap.add_argument("--no-torch", action="store_true", help="skip PyTorch even when installed")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory measurements")
    args = ap.parse_args(argv)
    torch_version = None if args.no_torch else _torch_version()
    t_start = time.perf_counter()
    workers = [ProcessWorker() for _ in range(args.torch_procs)] if torch_version else []
    try:
        with threadpool_limits(1):
            print_header()
            configs = build_configs(args.only, workers)
            for cfg in configs:
                cfg.clock = args.clock
            for cfg in configs:
                if cfg.proc <= 1:  # every process of one PyTorch step times the same number of steps
                    calibrate(cfg, args.seconds / args.rounds)
                else:
                    cfg.steps = next(c.steps for c in configs if c.step_key == cfg.step_key and c.proc == 1)
            load_before = os.getloadavg()
            rates = measure(configs, args.rounds)
            load_after = os.getloadavg()
    finally:
        for w in workers:
            w.close()
    memory = {} if args.no_memory else {c.step_key: peak_memory(c.step_key) for c in configs
                                        if c.proc <= 1 and not c.name.startswith("gemm") and c.dtype == "float32"}
    _report(configs, rates, args, torch_version, memory)
    print(f"\nload average (1, 5, 15 min) {', '.join(f'{v:.2f}' for v in load_before)} before and "
          f"{', '.join(f'{v:.2f}' for v in load_after)} after the rounds (2 cores: above ~1 other work competes); "
          f"{time.perf_counter() - t_start:.0f} s in all")
    return 0


def _keys(configs: list[Config], step_key: str) -> list[str]:
    return [c.key for c in configs if c.step_key == step_key]


def _table(configs: list[Config], rates: dict[str, list[float]], names: list[str]) -> None:
    print(f"  {'':<28} {'median':>10} {'best':>10} {'spread':>7}  steps/round")
    for cfg in configs:
        if cfg.name in names:
            r = rates[cfg.key]
            med = statistics.median(r)
            print(f"  {cfg.key:<28} {med:>10,.0f} {max(r):>10,.0f} {(max(r) - min(r)) / med:>7.0%}  {cfg.steps:>6}")


def _report(configs: list[Config], rates: dict[str, list[float]], args, torch_version: str | None,
            memory: dict[str, tuple[float, str]]) -> None:
    names = {c.name for c in configs}
    procs = f", PyTorch {torch_version} in {args.torch_procs} processes" if torch_version else ""
    clock = "wall-clock" if args.clock == "wall" else "per CPU second of the process"
    print(f"\n{args.rounds} interleaved rounds, 1 thread{procs}; samples/s ({clock})")
    if "netcore sgd" in names:
        print(f"\nMLP 784-100x4-10, ReLU, He, batch {BATCH}")
        _table(configs, rates, ["gemm-only", "netcore sgd", "netcore adam", "torch sgd", "torch adam"])
        print("  ratios (median of the per-round ratios):")
        for dn in ("float32", "float64"):
            for opt in ("sgd", "adam"):
                r = ratio(rates, f"netcore {opt} {dn}", f"gemm-only {dn}")
                target = f"  (target >= {TARGETS[opt]:.0%})" if dn == "float32" else ""
                print(f"  netcore {opt} {dn} / GEMM-only bound = {r:.1%}{target}")
        for opt in ("sgd", "adam") if torch_version else ():
            r = ratio(rates, f"netcore {opt} float32", _keys(configs, f"torch {opt} float32"))
            print(f"  netcore {opt} / torch {opt} = {r:.2f}x  (target >= {TORCH_TARGET}x)")
    for net in CONVNETS.values():
        if f"netcore {net.name}" not in names:
            continue
        print(f"\n{net.title}, {net.opt}, batch {net.batch}, float32")
        _table(configs, rates, [f"gemm-only {net.name}", f"netcore {net.name}", f"torch {net.name}"])
        nk, bk, tk = f"netcore {net.name} float32", f"gemm-only {net.name} float32", f"torch {net.name} float32"
        print(f"  netcore / GEMM-only bound = {ratio(rates, nk, bk):.1%}  (target >= {CONV_BOUND_TARGET:.0%})")
        if torch_version:
            print(f"  netcore / torch = {ratio(rates, nk, _keys(configs, tk)):.2f}x  "
                  f"(target >= {CONV_TARGETS[net.name]}x); torch / GEMM-only bound = "
                  f"{ratio(rates, _keys(configs, tk), bk):.1%}")
    if memory:
        print("\npeak memory of a step (resident set above model and data, fresh process, 3 steps):")
        for key, (mb, how) in memory.items():
            print(f"  {key:<28} {mb:8.1f} MB  ({how})")
    if not torch_version:
        print("\nPyTorch not installed (it is not a dependency: pip install torch==2.13.0) - no comparison")


if __name__ == "__main__":
    raise SystemExit(main())
