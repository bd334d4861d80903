"""Steps timed in other processes: ``ProcessWorker`` serves ``Config.run`` requests from a spawned process (one
thread), and ``peak_memory`` measures a step's memory in a fresh process.

PyTorch's speed here moves from one process to the next (measured: 3,000-4,800 samples/s on SimpleConvNet),
so core.py times each PyTorch step in several processes and takes the median.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
from collections.abc import Callable
from pathlib import Path

from threadpoolctl import threadpool_limits
from timing import Step, time_fresh

_CTX = mp.get_context("spawn")


def _factory(key: str) -> tuple[int, Callable[[int], Step]]:
    if key.startswith("torch"):
        from torch_steps import torch_factory

        return torch_factory(key)
    from steps import netcore_factory

    return netcore_factory(key)


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _peak(make: Callable[[int], Step], steps: int) -> tuple[float, str]:
    """MB the resident set grows to, above what it was once the model and data existed, over ``steps`` steps."""
    step = make(0)
    before = _status_kib("VmRSS")
    try:  # Linux: writing 5 resets the peak resident set size (VmHWM) to the current one
        Path("/proc/self/clear_refs").write_text("5")
        how = "VmHWM"
    except OSError:
        how = "ru_maxrss"
    for _ in range(steps):
        step()
    peak = _status_kib("VmHWM") if how == "VmHWM" else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if before is None or peak is None:
        return float("nan"), "unavailable"
    return (peak - before) / 1024, how


def _serve(conn) -> None:
    with threadpool_limits(1):
        factories: dict = {}
        while True:
            msg = conn.recv()
            if msg[0] == "stop":
                return
            key = msg[1]
            if key not in factories:
                factories[key] = _factory(key)
            make = factories[key][1]
            conn.send(time_fresh(make, *msg[2:]) if msg[0] == "time" else _peak(make, msg[2]))


class ProcessWorker:
    """A spawned process that builds and times steps by key on request (``Config.worker``)."""

    def __init__(self) -> None:
        self._conn, child = _CTX.Pipe()
        self._proc = _CTX.Process(target=_serve, args=(child,), daemon=True)
        self._proc.start()

    def time(self, name: str, steps: int, warmup: int, clock: str = "wall") -> float:
        self._conn.send(("time", name, steps, warmup, clock))
        return self._conn.recv()

    def peak(self, name: str, steps: int) -> tuple[float, str]:
        self._conn.send(("peak", name, steps))
        return self._conn.recv()

    def close(self) -> None:
        self._conn.send(("stop",))
        self._proc.join(timeout=30)


def peak_memory(key: str, steps: int = 3) -> tuple[float, str]:
    """(MB, method) of step ``key``'s peak memory above its model and data, in a fresh process."""
    worker = ProcessWorker()
    try:
        return worker.peak(key, steps)
    finally:
        worker.close()
