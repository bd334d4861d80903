"""Run a test on each way netcore's stride-1 conv adds its products: straight into the output by direct BLAS
calls (``netcore.blas``, where NumPy's wheel ships OpenBLAS) and by ``np.matmul`` into scratch then shifted
adds (everywhere else)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

from netcore import blas

PATHS = ["direct-blas", "matmul"]


@contextmanager
def conv_path(name: str) -> Iterator[None]:
    """Within the block, netcore uses the named path; "direct-blas" skips where this NumPy has no bundled
    OpenBLAS (CI installs NumPy's wheel, which has it: tests/netcore/test_blas.py fails if it is not found)."""
    if name == "direct-blas":
        if not blas.available(np.float64):
            pytest.skip("this NumPy ships no OpenBLAS for netcore.blas (not NumPy's manylinux/Windows wheel)")
        yield
        return
    saved = dict(blas._GEMM)
    blas._GEMM.clear()
    try:
        yield
    finally:
        blas._GEMM.update(saved)
