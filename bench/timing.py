"""How bench/core.py and bench/breakdown.py time a training step on a shared, noisy machine.

  * interleaved: the configurations are timed round-robin (A, B, C, ..., then A, B, C, ... again), so a burst of
    load from other work hits every configuration alike instead of one of them;
  * identical rounds: each round rebuilds the network and optimizer from the same seed, warms up and times the
    same number of steps, so every round does the same work (a model trained on across rounds drifts: see
    bench/core.py);
  * a configuration may live in another process (``Config.worker``, e.g. one of several PyTorch processes):
    the main process asks it to time its round, and nothing else runs meanwhile;
  * the tables give the median and the best rate over the rounds; each ratio is the median of the per-round
    ratios, whose two sides were measured seconds apart.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from threadpoolctl import threadpool_info

Step = Callable[[], None]


class Worker(Protocol):
    def time(self, name: str, steps: int, warmup: int, clock: str) -> float: ...


@dataclass
class Config:
    name: str
    dtype: str
    batch: int
    make: Callable[[int], Step] | None  # seed -> a fresh step (new network and optimizer state); None if remote
    warmup: int = 10  # untimed steps at the start of every round
    steps: int = 0  # timed steps per round, set by calibration
    worker: Worker | None = None  # times this configuration in its own process when set
    proc: int = 0  # which of several processes running the same step (0: the only one)
    clock: str = "wall"  # "wall" or "cpu" (see time_fresh)

    @property
    def step_key(self) -> str:
        return f"{self.name} {self.dtype}"

    @property
    def key(self) -> str:
        return self.step_key + (f" #{self.proc}" if self.proc else "")

    def run(self, steps: int) -> float:
        """Seconds for ``steps`` timed steps of a freshly built, warmed-up step (the same seed every time)."""
        if self.worker is not None:
            return self.worker.time(self.step_key, steps, self.warmup, self.clock)
        return time_fresh(self.make, steps, self.warmup, self.clock)


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def time_fresh(make: Callable[[int], Step], steps: int, warmup: int, clock: str = "wall") -> float:
    """Seconds (``clock``: wall time, or this process's CPU time, which other work on the machine inflates
    less) of ``steps`` steps of a step freshly made from seed 0, after ``warmup`` untimed steps."""
    now = CLOCKS[clock]
    step = make(0)
    for _ in range(warmup):
        step()
    t0 = now()
    for _ in range(steps):
        step()
    return now() - t0


def calibrate(cfg: Config, block_seconds: float) -> None:
    """Pick the number of timed steps per round so that one round takes about ``block_seconds``."""
    n = 1
    while (dt := cfg.run(n)) < block_seconds / 4:
        n *= 2
    cfg.steps = max(1, round(n * block_seconds / dt))


def measure(configs: list[Config], rounds: int) -> dict[str, list[float]]:
    """Samples/s of every configuration in every round, the configurations interleaved round-robin."""
    rates: dict[str, list[float]] = {c.key: [] for c in configs}
    for _ in range(rounds):
        for cfg in configs:
            rates[cfg.key].append(cfg.batch * cfg.steps / cfg.run(cfg.steps))
    return rates


def ratio(rates: dict[str, list[float]], num: str | list[str], den: str | list[str]) -> float:
    """Median over the rounds of the per-round ratio num/den; a list of keys stands for the per-round median
    of those configurations (e.g. the same PyTorch step in several processes)."""

    def per_round(keys: str | list[str]) -> list[float]:
        keys = [keys] if isinstance(keys, str) else keys
        return [statistics.median(vals) for vals in zip(*(rates[k] for k in keys), strict=True)]

    return statistics.median(a / b for a, b in zip(per_round(num), per_round(den), strict=True))


def print_header() -> None:
    print(f"machine: {platform.processor() or platform.machine()} | {os.cpu_count()} cores | {platform.platform()}")
    print(f"python {sys.version.split()[0]} | numpy {np.__version__}")
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS"):
        print(f"{k}={os.environ.get(k, '(unset)')}")
    for info in threadpool_info():
        print(f"BLAS: {info.get('internal_api')} {info.get('version')} {info.get('architecture')} "
              f"threads={info.get('num_threads')}")
