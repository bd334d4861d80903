"""Layers with forward/backward written side by side (book ``common/layers.py`` semantics).

Contract (see docs/architecture.md): ``forward(x, *, train) -> out`` and ``backward(dout) -> dx``.
Trainable layers (Affine, BatchNorm, Conv2D) hold ``params`` and ``grads`` dicts with the same keys; the
arrays may be views into a network's flat vectors, so layers never rebind them: backward WRITES the
gradients into ``grads[k]`` in place. ``grads`` may be supplied by the caller (``grads=``); otherwise zeros
are allocated. Non-trainable layers have empty, read-only ``params``/``grads`` mappings, so a network can
iterate over every layer uniformly. Arrays keep the dtype of the inputs/parameters (no silent upcast).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Protocol

import numpy as np

from netcore.functions import LOG_DELTA, labels_to_indices, sigmoid, softmax

__all__ = [
    "Affine", "BatchNorm", "Dropout", "Flatten", "Layer", "Relu", "Sigmoid", "SoftmaxCrossEntropy", "Tanh",
    "init_grads",
]

_EMPTY: Mapping[str, np.ndarray] = MappingProxyType({})


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


class _Stateless:
    params: Mapping[str, np.ndarray] = _EMPTY
    grads: Mapping[str, np.ndarray] = _EMPTY


class Affine:
    """``out = x.reshape(N, -1) @ W + b``; W (D, M), b (M,). Accepts conv tensors (N, C, H, W).

    ``need_input_grad = False`` (opt-in, e.g. for a network's first layer) skips the dx GEMM; backward then
    returns None.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray, *, grads: dict[str, np.ndarray] | None = None) -> None:
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(f"Affine needs W (D, M) and b (M,), got W{W.shape} and b{b.shape}")
        self.params = {"W": W, "b": b}
        self.grads = init_grads(self.params, grads)
        self.need_input_grad = True
        self._x: np.ndarray | None = None
        self._x_shape: tuple[int, ...] = ()
        self._ones = np.ones(0, dtype=W.dtype)

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        self._x_shape = x.shape
        x2 = x.reshape(x.shape[0], -1)  # (N, D); a view when x is contiguous
        self._x = x2
        out = np.matmul(x2, self.params["W"])  # (N, M)
        out += self.params["b"]
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        x2 = self._x
        np.matmul(x2.T, dout, out=self.grads["W"])  # (D, M)
        np.matmul(self._ones_like_batch(dout), dout, out=self.grads["b"])  # (M,) column sums, as a GEMV
        if not self.need_input_grad:
            return None  # type: ignore[return-value]
        return np.matmul(dout, self.params["W"].T).reshape(self._x_shape)  # (N, D) -> input shape


    def _ones_like_batch(self, dout: np.ndarray) -> np.ndarray:
        """A cached vector of N ones: ``ones @ dout`` sums the batch ~4x faster than ``dout.sum(axis=0)``."""
        n = dout.shape[0]
        if self._ones.shape != (n,) or self._ones.dtype != dout.dtype:
            self._ones = np.ones(n, dtype=dout.dtype)
        return self._ones


class Relu(_Stateless):
    """``max(x, 0)``; the derivative at exactly 0 is 0 (book: mask = x <= 0). Never modifies ``dout``."""

    def __init__(self) -> None:
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        self._mask = x > 0
        return np.maximum(x, 0)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return np.multiply(dout, self._mask)


class Sigmoid(_Stateless):
    """Logistic sigmoid; backward ``dout * s * (1 - s)`` from the stored output ``s``."""

    def __init__(self) -> None:
        self._out: np.ndarray | None = None

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        self._out = sigmoid(x)
        return self._out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        s = self._out
        dx = 1.0 - s
        dx *= s
        return np.multiply(dout, dx, out=dx)


class Tanh(_Stateless):
    """``tanh(x)``; backward ``dout * (1 - y^2)`` from the stored output ``y``."""

    def __init__(self) -> None:
        self._out: np.ndarray | None = None

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        self._out = np.tanh(x)
        return self._out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        y = self._out
        dx = np.square(y)
        np.subtract(1.0, dx, out=dx)
        return np.multiply(dout, dx, out=dx)


class Flatten(_Stateless):
    """(N, ...) -> (N, prod(...)); backward restores the input shape."""

    def __init__(self) -> None:
        self._shape: tuple[int, ...] = ()

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(self._shape)


class BatchNorm:
    """Book batch normalisation: statistics per activation (4-D input is flattened to (N, C*H*W)).

    Train: batch mean and biased variance, ``x_hat = (x - mu) / sqrt(var + eps)``,
    ``out = gamma*x_hat + beta``, and ``running <- momentum*running + (1-momentum)*batch``. Running stats
    are created lazily as zeros (in gamma's dtype) on the first forward of either mode. Test: the same
    formula with the running stats.
    """

    def __init__(
        self,
        gamma: np.ndarray,
        beta: np.ndarray,
        *,
        momentum: float = 0.9,
        eps: float = 1e-6,
        grads: dict[str, np.ndarray] | None = None,
    ) -> None:
        if gamma.ndim != 1 or beta.shape != gamma.shape:
            raise ValueError(f"BatchNorm needs 1-D gamma, beta of one shape, got {gamma.shape} {beta.shape}")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum}")
        if eps <= 0.0:
            raise ValueError(f"eps must be positive, got {eps}")
        self.params = {"gamma": gamma, "beta": beta}
        self.grads = init_grads(self.params, grads)
        self.momentum = float(momentum)
        self.eps = float(eps)
        self.running_mean: np.ndarray | None = None
        self.running_var: np.ndarray | None = None
        self._shape: tuple[int, ...] = ()
        self._xn: np.ndarray | None = None
        self._std: np.ndarray | None = None
        self._train = True

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        self._shape = x.shape
        x2 = x.reshape(x.shape[0], -1)  # (N, D)
        gamma, beta = self.params["gamma"], self.params["beta"]
        if x2.shape[1] != gamma.shape[0]:
            raise ValueError(f"BatchNorm over {gamma.shape[0]} activations got input {x.shape}")
        if self.running_mean is None:
            self.running_mean = np.zeros_like(gamma)
            self.running_var = np.zeros_like(gamma)
        if train:
            mu = x2.mean(axis=0)
            xc = x2 - mu
            var = np.mean(np.square(xc), axis=0)  # biased (divide by N)
            m = self.momentum
            self.running_mean *= m
            self.running_mean += (1.0 - m) * mu
            self.running_var *= m
            self.running_var += (1.0 - m) * var
        else:
            xc = x2 - self.running_mean
            var = self.running_var
        std = np.sqrt(var + self.eps)
        xn = xc
        xn /= std  # x_hat, (N, D)
        self._xn, self._std, self._train = xn, std, train
        out = gamma * xn
        out += beta
        return out.reshape(self._shape)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        n = self._shape[0]
        d2 = dout.reshape(n, -1)  # (N, D)
        xn, std = self._xn, self._std
        gb, gg = self.grads["beta"], self.grads["gamma"]
        np.sum(d2, axis=0, out=gb)
        np.sum(d2 * xn, axis=0, out=gg)
        dxn = d2 * self.params["gamma"]
        if not self._train:  # running stats are constants
            dxn /= std
            return dxn.reshape(self._shape)
        # dx = (dxn - mean(dxn) - xn * mean(dxn * xn)) / std, the full BN gradient through mu and var
        proj = np.mean(dxn * xn, axis=0)
        dxn -= dxn.mean(axis=0)
        dxn -= xn * proj
        dxn /= std
        return dxn.reshape(self._shape)


class Dropout(_Stateless):
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


class SoftmaxCrossEntropy:
    """Loss layer: ``forward(scores (N, C), t) -> float`` (softmax, then book cross entropy with 1e-7);
    ``backward() -> (softmax - onehot(t)) / N`` (the 1e-7 delta is ignored, as in the book).

    ``t`` holds class indices (N,) or one-hot rows (N, C). A 1-D ``scores`` is a batch of one.
    """

    params: Mapping[str, np.ndarray] = _EMPTY
    grads: Mapping[str, np.ndarray] = _EMPTY

    def __init__(self) -> None:
        self.y: np.ndarray | None = None
        self._idx: np.ndarray | None = None
        self._shape: tuple[int, ...] = ()

    def forward(self, scores: np.ndarray, t: np.ndarray) -> float:
        self._shape = scores.shape
        s2 = scores.reshape(1, -1) if scores.ndim == 1 else scores
        if s2.ndim != 2:
            raise ValueError(f"scores must be (N, C) or (C,), got {scores.shape}")
        n, c = s2.shape
        y = softmax(s2)
        idx = labels_to_indices(t, n, c)
        self.y, self._idx = y, idx
        return float(-np.sum(np.log(y[np.arange(n), idx] + LOG_DELTA)) / n)

    def backward(self, dout: float = 1.0) -> np.ndarray:
        y, idx = self.y, self._idx
        n = y.shape[0]
        dx = y.copy()
        dx[np.arange(n), idx] -= 1.0
        dx /= n
        if dout != 1.0:
            dx *= dout
        return dx.reshape(self._shape)
