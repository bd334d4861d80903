"""A network: a list of layers and a loss layer over one flat parameter vector.

Every trainable array of every layer is a view into ``Network.params`` and every gradient array a view into
``Network.grads``, so an optimizer updates the whole network with a few vectorised calls on two flat vectors.
Layers write their gradients in place, which is why no layer ever rebinds its ``params``/``grads`` entries.

A ReLU directly followed by a max pooling runs after the pooling (``run_order``): max(relu(x)) = relu(max(x)),
and the gradients are the same too (below), but the ReLU then passes over a quarter of the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from netcore.augment import mirror
from netcore.functions import accuracy as _accuracy
from netcore.functions import cross_entropy, softmax
from netcore.layers import Relu
from netcore.pool import MaxPool2D


def run_order(layers: Sequence) -> list:
    """The layers in the order a network runs them: the book's order, except that each ``Relu`` directly
    followed by a ``MaxPool2D`` runs after it. Outputs are equal: ReLU is monotone and max pooling's zero
    padding is >= 0 as ReLU's outputs are. Gradients are equal: where a window's maximum is > 0 both orders
    send it to the first maximum (ties between positives break alike, and ReLU does not change positives);
    where it is <= 0 or NaN (ReLU's mask is x > 0) both send 0. The ReLU then covers the pooled numbers only
    (measured: 1-4 ms of a conv step)."""
    order = list(layers)
    for i in range(len(order) - 1):
        if type(order[i]) is Relu and type(order[i + 1]) is MaxPool2D:
            order[i], order[i + 1] = order[i + 1], order[i]
    return order


@dataclass
class FlatParams:
    """One flat parameter vector and one flat gradient vector, carved into named views."""

    params: np.ndarray
    grads: np.ndarray
    param_views: dict[str, np.ndarray]
    grad_views: dict[str, np.ndarray]


def allocate(shapes: Sequence[tuple[str, tuple[int, ...]]], dtype: np.dtype | type) -> FlatParams:
    """Allocate flat vectors for ``[(name, shape), ...]`` and return views in that order (params zeroed)."""
    sizes = [int(np.prod(shape)) for _, shape in shapes]
    total = int(sum(sizes))
    params = np.zeros(total, dtype=dtype)
    grads = np.zeros(total, dtype=dtype)
    pviews: dict[str, np.ndarray] = {}
    gviews: dict[str, np.ndarray] = {}
    start = 0
    for (name, shape), size in zip(shapes, sizes, strict=True):
        if name in pviews:
            raise ValueError(f"duplicate parameter name {name!r}: give every parameter a unique name")
        pviews[name] = params[start : start + size].reshape(shape)
        gviews[name] = grads[start : start + size].reshape(shape)
        start += size
    return FlatParams(params, grads, pviews, gviews)


class Network:
    """Layers applied in order, then a softmax-cross-entropy loss layer.

    ``weight_decay`` (lambda) adds ``0.5 * lambda * sum ||W||^2`` to the loss and ``lambda * W`` to each
    gradient of a parameter listed in ``decay_names`` (the book: every affine/conv weight, biases excluded).

    ``flip_average`` (False: the book's evaluation) makes :meth:`evaluate` and :meth:`accuracy` score each image
    by the mean of its class probabilities and its mirror's (test-time flip averaging, for nets trained with
    flips); :meth:`predict` and training are unchanged.
    """

    def __init__(
        self,
        layers: Sequence,
        loss_layer,
        flat: FlatParams,
        *,
        weight_decay: float = 0.0,
        decay_names: Sequence[str] = (),
    ) -> None:
        if not (weight_decay >= 0.0 and np.isfinite(weight_decay)):
            raise ValueError(f"weight_decay={weight_decay!r} must be a finite number >= 0")
        self.layers = list(layers)
        self.loss_layer = loss_layer
        self._flat = flat
        self.weight_decay = float(weight_decay)
        self._decay_w = [flat.param_views[n] for n in decay_names]
        self._decay_g = [flat.grad_views[n] for n in decay_names]
        self.dtype = flat.params.dtype
        self.flip_average = False
        if hasattr(self.layers[0], "need_input_grad"):
            self.layers[0].need_input_grad = False  # nobody needs dL/dx of the network's input

    # -- parameters -----------------------------------------------------------------------------
    @property
    def params(self) -> np.ndarray:
        """The flat vector of every parameter (optimizers update it in place)."""
        return self._flat.params

    @property
    def grads(self) -> np.ndarray:
        """The flat gradient vector filled by :meth:`gradient`."""
        return self._flat.grads

    @property
    def named_params(self) -> dict[str, np.ndarray]:
        return self._flat.param_views

    @property
    def named_grads(self) -> dict[str, np.ndarray]:
        return self._flat.grad_views

    # -- forward ---------------------------------------------------------------------------------
    def predict(self, x: np.ndarray, *, train: bool = False) -> np.ndarray:
        """Scores (logits) of a batch ``x``."""
        return self._forward(run_order(self.layers), x, train)

    @staticmethod
    def _forward(order: list, x: np.ndarray, train: bool) -> np.ndarray:
        out = x
        for layer in order:
            out = layer.forward(out, train=train)
        return out

    def _decay_term(self) -> float:
        if self.weight_decay == 0.0:
            return 0.0
        total = 0.0
        for w in self._decay_w:
            flat = w.reshape(-1)
            total += float(np.dot(flat, flat))
        return 0.5 * self.weight_decay * total

    def loss(self, x: np.ndarray, t: np.ndarray, *, train: bool = False) -> float:
        """Data loss plus the weight-decay term (the book's ``loss``); ``train`` selects the layers' mode."""
        scores = self.predict(x, train=train)
        return float(self.loss_layer.forward(scores, t)) + self._decay_term()

    # -- backward --------------------------------------------------------------------------------
    def gradient(self, x: np.ndarray, t: np.ndarray) -> float:
        """Forward in train mode, then backward; fills :attr:`grads` and returns the pre-update loss."""
        order = run_order(self.layers)
        scores = self._forward(order, x, True)
        loss = float(self.loss_layer.forward(scores, t)) + self._decay_term()
        dout = self.loss_layer.backward()
        for layer in reversed(order):
            dout = layer.backward(dout)
        lam = self.weight_decay
        if lam:
            for g, w in zip(self._decay_g, self._decay_w, strict=True):
                g += lam * w
        return loss

    # -- evaluation ------------------------------------------------------------------------------
    def evaluate(self, x: np.ndarray, t: np.ndarray, *, batch_size: int = 2000) -> tuple[float, float]:
        """(accuracy, mean cross-entropy without the decay term) in inference mode, in chunks; with
        :attr:`flip_average`, of the mean probabilities of each image and its mirror."""
        n = len(x)
        if n == 0:
            raise ValueError("evaluate() got an empty set: pass at least one example")
        correct = 0.0
        loss_sum = 0.0
        for start in range(0, n, batch_size):
            xb = x[start : start + batch_size]
            tb = t[start : start + batch_size]
            scores = self.predict(xb, train=False)
            probs = softmax(scores)
            if self.flip_average:  # the mean probabilities decide (the book's path below is untouched)
                scores = probs = 0.5 * (probs + softmax(self.predict(mirror(xb), train=False)))
            correct += _accuracy(scores, tb) * len(xb)
            loss_sum += cross_entropy(probs, tb) * len(xb)
        return correct / n, loss_sum / n

    def accuracy(self, x: np.ndarray, t: np.ndarray, *, batch_size: int = 2000) -> float:
        """Fraction of argmax predictions equal to ``t`` (inference mode)."""
        return self.evaluate(x, t, batch_size=batch_size)[0]
