"""What every layer shares: the ``Layer`` protocol, the grads-in-place helper, the stateless base class.

Contract (see docs/architecture.md): ``forward(x, *, train) -> out`` and ``backward(dout) -> dx``.
Trainable layers hold ``params`` and ``grads`` dicts with the same keys; the arrays may be views into a
network's flat vectors, so layers never rebind them: backward WRITES the gradients into ``grads[k]`` in
place. Non-trainable layers have empty, read-only ``params``/``grads`` mappings (``Stateless``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Protocol

import numpy as np

__all__ = ["EMPTY", "Layer", "Stateless", "init_grads"]

EMPTY: Mapping[str, np.ndarray] = MappingProxyType({})


class Layer(Protocol):
    params: Mapping[str, np.ndarray]
    grads: Mapping[str, np.ndarray]

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray: ...
    def backward(self, dout: np.ndarray) -> np.ndarray: ...


def init_grads(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray] | None
) -> dict[str, np.ndarray]:
    """Return ``grads`` after checking it matches ``params`` (keys, shapes, dtypes), or fresh zeros."""
    if grads is None:
        return {k: np.zeros_like(v) for k, v in params.items()}
    if set(grads) != set(params):
        raise ValueError(f"grads keys {sorted(grads)} differ from params keys {sorted(params)}")
    for k, p in params.items():
        g = grads[k]
        if g.shape != p.shape or g.dtype != p.dtype:
            raise ValueError(
                f"grads[{k!r}] is {g.dtype}{g.shape} but params[{k!r}] is {p.dtype}{p.shape}: they must match"
            )
    return grads


class Stateless:
    params: Mapping[str, np.ndarray] = EMPTY
    grads: Mapping[str, np.ndarray] = EMPTY
