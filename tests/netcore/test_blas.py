"""netcore.blas: C += A @ B by direct calls into NumPy's bundled OpenBLAS, against np.matmul."""

from __future__ import annotations

import glob
import os
import subprocess
import sys

import numpy as np
import pytest

from netcore import blas, conv_rows
from netcore.layer_base import Workspace

BUNDLED = glob.glob(os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs", "*openblas*"))
needs_blas = pytest.mark.skipif(not blas.available(np.float64), reason="this NumPy ships no bundled OpenBLAS")


def test_found_wherever_numpy_bundles_openblas() -> None:
    # a NumPy wheel that ships OpenBLAS (CI's) must give the direct path; else its tests would all skip
    assert blas.available(np.float32) == blas.available(np.float64) == bool(BUNDLED)


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adds_the_product_of_strided_blocks_in_place(dtype) -> None:
    rng = np.random.default_rng(0)
    A, B, C = (rng.standard_normal(s).astype(dtype) for s in ((40, 60), (70, 90), (50, 100)))
    a, b, c = A[3:19, 5:40], B[2:37, 10:80], C[5:21, 7:77]
    want, before = c + a @ b, C.copy()
    blas.gemm_add(a, b, c)
    np.testing.assert_allclose(c, want, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)
    outside = np.ones(C.shape, bool)
    outside[5:21, 7:77] = False
    np.testing.assert_array_equal(C[outside], before[outside])  # nothing outside the block is touched


@needs_blas
def test_one_row_blocks_with_any_reported_row_stride() -> None:
    # a length-1 axis may carry any stride (e.g. a transposed view): the row pitch must not come from it
    rng = np.random.default_rng(1)
    a = np.lib.stride_tricks.as_strided(rng.standard_normal(7), (1, 7), (999 * 8, 8))
    b, c = rng.standard_normal((7, 5)), np.zeros((1, 5))
    blas.gemm_add(a, b, c)
    np.testing.assert_allclose(c, a @ b, rtol=1e-12)


@needs_blas
def test_empty_products_leave_the_output_alone() -> None:
    c = np.full((3, 4), 2.0)
    blas.gemm_add(np.zeros((3, 0)), np.zeros((0, 4)), c)
    np.testing.assert_array_equal(c, 2.0)


@needs_blas
@pytest.mark.parametrize("a, b, c, match", [
    (np.zeros((3, 4)), np.zeros((5, 2)), np.zeros((3, 2)), "shapes do not match"),
    (np.zeros((3, 4)), np.zeros((4, 2)), np.zeros((2, 2)), "shapes do not match"),
    (np.zeros((3, 4), np.float32), np.zeros((4, 2)), np.zeros((3, 2)), "one dtype"),
    (np.zeros((3, 4), np.int64), np.zeros((4, 2), np.int64), np.zeros((3, 2), np.int64), "one dtype"),
    (np.zeros((3, 8))[:, ::2], np.zeros((4, 2)), np.zeros((3, 2)), "rows of a contiguous"),
    (np.zeros((3, 4)), np.zeros((2, 4)).T, np.zeros((3, 2)), "rows of b contiguous"),
])
def test_bad_operands_get_a_clear_error(a, b, c, match) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        blas.gemm_add(a, b, c)


@needs_blas
def test_read_only_output_is_refused() -> None:
    c = np.zeros((2, 2))
    c.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        blas.gemm_add(np.ones((2, 3)), np.ones((3, 2)), c)
    np.testing.assert_array_equal(c, 0)


def test_switched_off_by_the_environment() -> None:
    code = "import numpy as np; from netcore import blas; print(blas.available(np.float32))"
    env = {**os.environ, "NETCORE_DIRECT_BLAS": "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@needs_blas
@pytest.mark.parametrize("wst_shape, out_shape", [((12, 6), (4, 5, 12)), ((12, 5), (4, 4, 12)), ((12, 6), (4, 4, 13))])
def test_direct_conv_refuses_operands_that_do_not_fit(wst_shape: tuple, out_shape: tuple) -> None:
    # its products run at addresses computed from the shapes: operands that do not fit are an error, not a read
    # or write outside the arrays
    src, wst, out = np.ones((4, 2, 4, 3)), np.ones(wst_shape), np.zeros(out_shape)
    with pytest.raises(ValueError, match="do not fit"):
        conv_rows.stacked_forward(src, wst, 3, out, Workspace(), tag="t", off=(-1, -1))
    np.testing.assert_array_equal(out, 0)


@needs_blas
@pytest.mark.parametrize("bad", ["row", "column"])
def test_direct_conv_checks_every_product_stays_inside_its_arrays(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # a future slip in the row groups or column spans must raise, not read or write outside the arrays
    src, wst, out = np.ones((4, 2, 4, 3)), np.ones((6, 6)), np.zeros((4, 2, 12))
    if bad == "row":
        monkeypatch.setattr(conv_rows, "_row_groups", lambda *a: [(slice(0, 4), 0, 3)])  # row 0 needs row -1
    else:
        monkeypatch.setattr(conv_rows, "_column_order", lambda *a: [(0, 0, 4)])  # column 0 reads column -1
    with pytest.raises(AssertionError, match="outside its arrays"):
        conv_rows.stacked_forward(src, wst, 3, out, Workspace(), tag="t", off=(-1, -1))
