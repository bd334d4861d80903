"""An exponential moving average of a network's weights (EMA, Polyak averaging).

A modern option, not the book's: Polyak & Juditsky 1992, "Acceleration of Stochastic Approximation by
Averaging", in its exponential form (e.g. the "Exponential Moving Average" of TensorFlow and of timm's
ModelEma). After each update the trainer calls :meth:`WeightAverage.update`:
``shadow = decay * shadow + (1 - decay) * params`` on the network's flat parameter vector, in its dtype.

Warm start and a warm-up of the decay: the shadow starts at the weights it is given (the initial weights),
and update ``n`` (0-based) blends with ``min(decay, (1 + n) / (10 + n))``, as TensorFlow's
ExponentialMovingAverage does with ``num_updates``: the first updates average over a short horizon, so the
initial weights fade within tens of updates instead of keeping a weight ``decay ** n`` (0.6 after 500
updates at 0.999), and an average read early in a run (a pruner's first rung) is already of trained weights.

Batch-norm statistics are averaged too: every layer with ``running_mean``/``running_var`` arrays gets shadows
with the same recursion, started at the layer's statistics after the first update (before it they do not
exist; starting from the layers' zero variance would make the averaged net divide by ~sqrt(1e-7)).

:meth:`swap` exchanges the live and the averaged values in place (the arrays keep their identity, so the
layers' views and the optimizer's state stay valid); swapping twice restores the live values bit for bit.
"""

from __future__ import annotations

import numpy as np

__all__ = ["WeightAverage", "check_decay"]

_STATS = ("running_mean", "running_var")


def check_decay(decay: float) -> None:
    """Raise a one-line ValueError unless ``decay`` is an EMA decay in [0, 1) (0 = no averaging)."""
    if isinstance(decay, bool) or not (0.0 <= decay < 1.0):
        raise ValueError(f"ema_decay={decay!r} must be in [0, 1) (0 = off; e.g. 0.99 or 0.999)")


class WeightAverage:
    """The EMA shadow of ``net.params`` (and of its layers' batch-norm running statistics)."""

    def __init__(self, net, decay: float) -> None:
        check_decay(decay)
        self.decay = float(decay)
        self._params = net.params
        self.shadow = net.params.copy()
        self._scratch = np.empty_like(self.shadow)
        self._layers = [layer for layer in net.layers if all(hasattr(layer, name) for name in _STATS)]
        self._stat_shadow: dict[tuple[int, str], np.ndarray] = {}
        self.updates = 0

    def current_decay(self) -> float:
        """The decay the next update blends with: ``min(decay, (1 + n) / (10 + n))`` after n updates."""
        return min(self.decay, (1.0 + self.updates) / (10.0 + self.updates))

    def update(self) -> None:
        """``shadow = d * shadow + (1 - d) * live`` (``d``: :meth:`current_decay`) for the weights and every
        batch-norm statistic."""
        d = self.current_decay()
        self.updates += 1
        self._blend(self.shadow, self._params, d)
        for k, layer in enumerate(self._layers):
            for name in _STATS:
                live = getattr(layer, name)
                if live is None:
                    continue
                shadow = self._stat_shadow.get((k, name))
                if shadow is None:
                    self._stat_shadow[k, name] = live.copy()  # warm start at the first statistics
                else:
                    self._blend(shadow, live, d)

    def _blend(self, shadow: np.ndarray, live: np.ndarray, d: float) -> None:
        scratch = self._scratch[: live.size].reshape(live.shape) if live.dtype == self._scratch.dtype else None
        part = np.multiply(live, 1.0 - d, out=scratch)  # (1 - d) * live
        shadow *= d
        shadow += part

    def swap(self) -> None:
        """Exchange the live and the averaged values in place (call again to swap back)."""
        self._exchange(self._params, self.shadow)
        for (k, name), shadow in self._stat_shadow.items():
            self._exchange(getattr(self._layers[k], name), shadow)

    def _exchange(self, a: np.ndarray, b: np.ndarray) -> None:
        tmp = self._scratch[: a.size].reshape(a.shape) if a.dtype == self._scratch.dtype else a.copy()
        np.copyto(tmp, a)
        np.copyto(a, b)
        np.copyto(b, tmp)
