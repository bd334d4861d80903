"""Dropout with the book's (non-inverted) semantics, and the inverted variant."""

from __future__ import annotations

import numpy as np

from netcore.layer_base import Stateless

__all__ = ["Dropout"]


class Dropout(Stateless):
    """Dropout with keep mask ``U[0,1) > ratio`` (float64 uniforms from ``rng``), fresh every train forward.

    Book (``inverted=False``): train ``x * mask``, test ``x * (1 - ratio)``. Inverted: train
    ``x * mask / (1 - ratio)``, test identity. Set ``fixed_mask`` (a boolean keep mask of the input's shape)
    to reuse one mask for every train forward (gradient checks); ``mask`` holds the last keep mask used.
    """

    def __init__(self, ratio: float = 0.5, *, rng: np.random.Generator, inverted: bool = False) -> None:
        if not 0.0 <= ratio < 1.0:
            raise ValueError(f"dropout ratio must be in [0, 1), got {ratio}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        self.ratio = float(ratio)
        self.rng = rng
        self.inverted = bool(inverted)
        self.fixed_mask: np.ndarray | None = None
        self.mask: np.ndarray | None = None
        self._scale: np.ndarray | float = 1.0  # what backward multiplies dout by

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        if not train:
            self._scale = 1.0 if self.inverted else 1.0 - self.ratio
            return x if self.inverted else x * (1.0 - self.ratio)
        if self.fixed_mask is not None:
            if self.fixed_mask.shape != x.shape:
                raise ValueError(f"fixed_mask has shape {self.fixed_mask.shape}, input has {x.shape}")
            self.mask = self.fixed_mask
        else:
            self.mask = self.rng.random(x.shape) > self.ratio
        scale = self.mask.astype(x.dtype)
        if self.inverted:
            scale *= 1.0 / (1.0 - self.ratio)
        self._scale = scale
        return x * scale

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self._scale
