"""``C += A @ B`` on strided 2-D blocks, by a direct call into the OpenBLAS that NumPy's wheels ship.

``np.matmul`` always overwrites its output, so adding a product into part of an array costs a scratch product
and an add pass over it. BLAS's gemm adds in place (beta = 1) and takes any row pitch; ``netcore.conv_rows``
adds each kernel column's product straight into its span of an output row with it, with no scratch product
and no shifted adds.

It is found only where NumPy's wheel puts it (the ``numpy.libs`` folder beside the package: OpenBLAS built
with 64-bit integers, its CBLAS as ``scipy_cblas_sgemm64_`` or ``cblas_sgemm64_``, and the ``d`` twins). It is
the library NumPy itself calls, so ``threadpoolctl`` limits its threads as it limits NumPy's. Elsewhere (a
conda or distribution NumPy, macOS Accelerate), or with ``NETCORE_DIRECT_BLAS=0`` in the environment,
``available`` is False and callers keep to ``np.matmul``.
"""

from __future__ import annotations

import ctypes
import glob
import logging
import os

import numpy as np

__all__ = ["address", "available", "gemm_add", "raw_gemm_add"]

log = logging.getLogger(__name__)

_NAMES = ("scipy_cblas_{}gemm64_", "cblas_{}gemm64_")
_ROW_MAJOR, _NO_TRANS = 101, 111


def _bind(lib: ctypes.CDLL, letter: str, scalar: type) -> object | None:
    for name in _NAMES:
        fn = getattr(lib, name.format(letter), None)
        if fn is not None:
            i64 = ctypes.c_int64
            fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i64, i64, i64, scalar, ctypes.c_void_p, i64,
                           ctypes.c_void_p, i64, scalar, ctypes.c_void_p, i64]
            fn.restype = None
            return fn
    return None


def _load() -> dict[np.dtype, object]:
    """{dtype: bound cblas gemm} from NumPy's bundled OpenBLAS; empty if there is none or it is switched off."""
    if os.environ.get("NETCORE_DIRECT_BLAS", "1").strip() == "0":
        return {}
    libs = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(np.__file__))), "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "*openblas*"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:  # pragma: no cover - a broken wheel
            log.debug("cannot load %s: %s", path, e)
            continue
        found = {np.dtype(np.float32): _bind(lib, "s", ctypes.c_float),
                 np.dtype(np.float64): _bind(lib, "d", ctypes.c_double)}
        if all(found.values()):
            return found
    return {}


_GEMM = _load()


def available(dtype: np.dtype) -> bool:
    """Whether ``gemm_add`` can run on arrays of ``dtype`` here."""
    return np.dtype(dtype) in _GEMM


def _operand(a: np.ndarray, item: int, name: str) -> tuple[int, int]:
    """(address, row pitch in elements) of a 2-D block whose rows are contiguous."""
    rows, cols = a.shape
    if cols > 1 and a.strides[1] != item:
        raise ValueError(f"gemm_add needs the rows of {name} contiguous, got strides {a.strides}")
    pitch = a.strides[0] // item if rows > 1 else max(cols, 1)  # a one-row block may report any row stride
    if rows > 1 and (a.strides[0] % item or pitch < cols):
        raise ValueError(f"gemm_add needs {name}'s rows apart by at least a row, got strides {a.strides}")
    return address(a), pitch


def gemm_add(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> None:
    """``c += a @ b`` in place, for 2-D blocks of one dtype ``available`` here whose rows are contiguous (any
    row pitch, as slices of larger arrays give). ``c`` must not overlap ``a`` or ``b``."""
    (m, k), (k2, n) = a.shape, b.shape
    dt = c.dtype
    if c.shape != (m, n) or k2 != k:
        raise ValueError(f"gemm_add shapes do not match: {a.shape} @ {b.shape} into {c.shape}")
    if a.dtype != dt or b.dtype != dt or dt not in _GEMM:
        raise TypeError(f"gemm_add needs one dtype with a direct BLAS here, got {a.dtype}, {b.dtype}, {dt}")
    if not c.flags.writeable:
        raise ValueError("gemm_add's output is read-only")
    if m == 0 or n == 0 or k == 0:
        return
    item = dt.itemsize
    pa, lda = _operand(a, item, "a")
    pb, ldb = _operand(b, item, "b")
    pc, ldc = _operand(c, item, "c")
    raw_gemm_add(dt)(m, n, k, pa, lda, pb, ldb, pc, ldc)


def raw_gemm_add(dtype: np.dtype):
    """The unchecked call for callers that compute addresses themselves (a loop of thousands of small products,
    where reading three arrays' addresses would cost more than the products): ``f(m, n, k, pa, lda, pb, ldb, pc,
    ldc)`` adds the (m, k) block at address ``pa`` (row pitch ``lda`` elements) times the (k, n) block at ``pb``
    into the (m, n) block at ``pc``. The caller answers for every address and size."""
    fn = _GEMM[np.dtype(dtype)]

    def call(m: int, n: int, k: int, pa: int, lda: int, pb: int, ldb: int, pc: int, ldc: int) -> None:
        fn(_ROW_MAJOR, _NO_TRANS, _NO_TRANS, m, n, k, 1.0, pa, lda, pb, ldb, 1.0, pc, ldc)

    return call


def address(a: np.ndarray) -> int:
    """The address of ``a``'s first element."""
    return a.__array_interface__["data"][0]
