"""Layers with forward/backward written side by side (book ``common/layers.py`` semantics).

Contract (see docs/architecture.md): ``forward(x, *, train) -> out`` and ``backward(dout) -> dx``.
Trainable layers (Affine, BatchNorm, Conv2D) hold ``params`` and ``grads`` dicts with the same keys; the
arrays may be views into a network's flat vectors, so layers never rebind them: backward WRITES the
gradients into ``grads[k]`` in place. ``grads`` may be supplied by the caller (``grads=``); otherwise zeros
are allocated. Non-trainable layers have empty, read-only ``params``/``grads`` mappings, so a network can
iterate over every layer uniformly. Arrays keep the dtype of the inputs/parameters (no silent upcast).
``BatchNorm``, ``BatchNorm2D`` and ``Dropout`` live in their own modules and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from netcore.batchnorm import BatchNorm, BatchNorm2D
from netcore.dropout import Dropout
from netcore.functions import LOG_DELTA, labels_to_indices, sigmoid, softmax_transposed
from netcore.layer_base import EMPTY, Layer, Stateless, init_grads

__all__ = [
    "Affine", "BatchNorm", "BatchNorm2D", "Dropout", "Flatten", "Layer", "Relu", "Sigmoid", "SoftmaxCrossEntropy",
    "Tanh", "check_label_smoothing", "init_grads",
]


def check_label_smoothing(eps: float) -> None:
    """Raise a one-line ValueError unless ``eps`` is a label-smoothing amount in [0, 1)."""
    if isinstance(eps, bool) or not (0.0 <= eps < 1.0):
        raise ValueError(f"label_smoothing={eps!r} must be in [0, 1) (0 = the book's one-hot targets; e.g. 0.1)")


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


class Relu(Stateless):
    """``max(x, 0)``; the derivative at exactly 0 is 0 (book: mask = x <= 0).

    By default it never modifies its input nor ``dout``. ``inplace=True`` (for a network whose previous layer
    hands over a fresh array it keeps no reference to, as Conv2D, Affine and batch norm do) overwrites the input
    with the output and ``dout`` with the input gradient: no new arrays, two passes instead of four per step.
    """

    def __init__(self, *, inplace: bool = False) -> None:
        self.inplace = bool(inplace)
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        self._mask = x > 0
        return np.maximum(x, 0, out=x if self.inplace else None)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self.inplace:
            return np.multiply(dout, self._mask, out=dout)
        dx = self._mask.astype(dout.dtype)  # float x float multiplies ~2x faster than float x bool
        return np.multiply(dout, dx, out=dx)


class Sigmoid(Stateless):
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


class Tanh(Stateless):
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


class Flatten(Stateless):
    """(N, ...) -> (N, prod(...)); backward restores the input shape."""

    def __init__(self) -> None:
        self._shape: tuple[int, ...] = ()

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout.reshape(self._shape)


class SoftmaxCrossEntropy:
    """Loss layer: ``forward(scores (N, C), t) -> float`` (softmax, then book cross entropy with 1e-7);
    ``backward() -> (softmax - onehot(t)) / N`` (the 1e-7 delta is ignored, as in the book).

    ``t`` holds class indices (N,) or one-hot rows (N, C). A 1-D ``scores`` is a batch of one. The work is
    done on the transposed (C, N) probabilities (``softmax_transposed``); ``y`` and the gradient are (N, C)
    views of them (Fortran order, which matrix products take as they are).

    ``label_smoothing = eps`` (a modern option, not the book's; Szegedy et al. 2016, "Rethinking the Inception
    Architecture for Computer Vision") trains towards ``q = (1 - eps) * onehot(t) + eps / C``: the loss is
    ``-mean_n sum_k q[n, k] log(y[n, k] + 1e-7)`` and the gradient ``(softmax - q) / N``. ``eps = 0`` (the
    default) runs the book's code, float for float. The attribute may be set after construction (the trainer
    sets it for the length of a run, from ``TrainConfig.label_smoothing``).
    """

    params: Mapping[str, np.ndarray] = EMPTY
    grads: Mapping[str, np.ndarray] = EMPTY

    def __init__(self, *, label_smoothing: float = 0.0) -> None:
        check_label_smoothing(label_smoothing)
        self.label_smoothing = float(label_smoothing)
        self._yt: np.ndarray | None = None  # (C, N) probabilities
        self._label_pos: np.ndarray | None = None  # flat index t_n*N + n of each label in the (C, N) array
        self._cols = np.zeros(0, dtype=np.intp)  # 0..N-1, cached
        self._shape: tuple[int, ...] = ()

    @property
    def y(self) -> np.ndarray | None:
        """Softmax probabilities (N, C) of the last forward."""
        return None if self._yt is None else self._yt.T

    def forward(self, scores: np.ndarray, t: np.ndarray) -> float:
        self._shape = scores.shape
        s2 = scores.reshape(1, -1) if scores.ndim == 1 else scores
        if s2.ndim != 2:
            raise ValueError(f"scores must be (N, C) or (C,), got {scores.shape}")
        n, c = s2.shape
        yt = softmax_transposed(s2)  # (C, N), a new array
        if self._cols.shape != (n,):
            self._cols = np.arange(n, dtype=np.intp)
        self._yt = yt
        self._label_pos = labels_to_indices(t, n, c) * n + self._cols
        picked = yt.reshape(-1)[self._label_pos]  # y[n, t_n]
        picked += LOG_DELTA
        np.log(picked, out=picked)
        eps = self.label_smoothing
        if eps:
            all_logs = np.log(yt + LOG_DELTA)  # (C, N): the eps / C share of every class
            return float(-((1.0 - eps) * picked.sum() + (eps / c) * all_logs.sum()) / n)
        return float(-picked.sum() / n)

    def backward(self, dout: float = 1.0) -> np.ndarray:
        dxt = self._yt.copy()
        eps = self.label_smoothing
        if eps:
            dxt.reshape(-1)[self._label_pos] -= 1.0 - eps  # y - (1 - eps) onehot(t) - eps / C
            dxt -= eps / dxt.shape[0]
        else:
            dxt.reshape(-1)[self._label_pos] -= 1.0  # y - onehot(t)
        dxt /= dxt.shape[1]
        if dout != 1.0:
            dxt *= dout
        return dxt.T.reshape(self._shape)
