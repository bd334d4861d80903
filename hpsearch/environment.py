"""What a run ran on: package versions, CPU and platform, BLAS libraries and their thread counts.

Recorded by the launching process into the study (user attr ``runs``) so that an export made later, on any
machine, can still say where and how the study was computed.
"""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata
from typing import Any

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from netcore import blas as netcore_blas

__all__ = ["versions", "machine", "blas"]

_PACKAGES = ("numpy", "scipy", "optuna", "joblib", "threadpoolctl", "pandas", "pyarrow", "sqlalchemy", "hpsearch")


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    return {
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "host": platform.node(),
    }


def blas(threads_per_worker: int | None) -> dict[str, Any]:
    """BLAS/OpenMP libraries as a worker sees them (threads pinned to ``threads_per_worker``), and whether
    netcore's convolutions add their products by direct BLAS calls (``netcore.blas``; results differ from the
    ``np.matmul`` path by rounding)."""
    keys = ("internal_api", "version", "threading_layer", "num_threads", "user_api")
    if threads_per_worker:
        with threadpool_limits(limits=threads_per_worker):
            libs = [{k: info.get(k) for k in keys} for info in threadpool_info()]
    else:
        libs = [{k: info.get(k) for k in keys} for info in threadpool_info()]
    return {"threads_per_worker": threads_per_worker, "libraries": libs,
            "netcore_direct_blas": netcore_blas.available(np.float32)}
