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

__all__ = ["EMPTY", "Layer", "Stateless", "Workspace", "init_grads"]

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


class Workspace:
    """Scratch arrays a layer keeps across calls: ``get(name, shape, dtype)`` hands back the same memory while
    the shape and dtype stay the same, so a training loop stops paying the page faults of fresh large arrays
    (measured: ~0.2 ms per MB on first touch, as much as the arithmetic on them). Only for arrays that never
    leave the layer (a layer's outputs and input gradients are always new arrays).

    ``zeroed=True`` arrays are zero when created; callers that only ever write their interior (padding
    buffers) keep the border zero across calls.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: np.dtype, *, zeroed: bool = False) -> np.ndarray:
        a = self._arrays.get(name)
        if a is None or a.shape != shape or a.dtype != dtype:
            a = np.zeros(shape, dtype) if zeroed else np.empty(shape, dtype)
            self._arrays[name] = a
        return a

    def ones(self, m: int, dtype: np.dtype) -> np.ndarray:
        """A kept vector of ``m`` ones (read-only by convention): ``ones @ rows`` sums the rows as one GEMV."""
        a = self._arrays.get("ones")
        if a is None or a.shape != (m,) or a.dtype != dtype:
            a = self._arrays["ones"] = np.ones(m, dtype)
        return a
