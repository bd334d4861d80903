"""Fixtures of the netcore tests."""

from __future__ import annotations

import pytest

from tests.netcore.blas_paths import PATHS, conv_path


@pytest.fixture(params=PATHS)
def conv_add_path(request: pytest.FixtureRequest):
    """The test runs once per way stride-1 convs add their products (direct BLAS, np.matmul + shifted adds)."""
    with conv_path(request.param):
        yield request.param
