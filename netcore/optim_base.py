"""What every optimizer shares: the in-place ``update`` contract, lazy state, scratch buffers, argument checks and
the float32 subnormal flush. The update rules themselves are in :mod:`netcore.optim`.

Every optimizer has one method, ``update(params, grads)``, which changes ``params`` IN PLACE (layers hold views
into the network's flat parameter vector, so rebinding would lose the update). State is created lazily on the
first call, zeros with the params' shape and dtype, together with scratch buffers, so a step allocates nothing.

``update(params, grads, overwrite_grads=True)`` lets SGD and Adam use ``grads`` as their scratch buffer
(its values afterwards are unspecified): one array less streamed through the cache every step, ~2 % of
a bench-MLP step. The trainer passes it, since the next ``gradient`` call rewrites the gradients anyway.

float32 state is flushed to zero below the smallest normal number every 16 updates (``_FLUSH_EVERY``). A
parameter whose gradient stays exactly 0 (the weights of a dead ReLU unit) has its velocity/moments decay
geometrically into subnormal numbers, where the book's updates stall (``m += 0.1*(0 - m)`` rounds back to
``m``) and every operation on them is ~100x slower: on the bench MLP, Adam's update grew from 0.25 ms to
1.3 ms per step after 1000 steps, for good. Such state moves a weight by less than 1e-30, below float32
rounding of any weight larger than 1e-23. float64 state is never flushed.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

__all__ = ["Optimizer", "check_lr", "check_unit", "hyperparam_defaults"]

_FLUSH_EVERY = 16  # updates between flushes of subnormal float32 state (see the module docstring)


def check_lr(lr: float) -> float:
    value = _as_float("lr", lr)
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"lr={lr!r} is invalid: the learning rate must be finite and > 0 (e.g. lr=0.01)")
    return value


def check_unit(name: str, value: float) -> float:
    number = _as_float(name, value)
    if not 0.0 <= number < 1.0:  # also rejects NaN
        raise ValueError(f"{name}={value!r} is invalid: {name} must be in [0, 1) (e.g. {name}=0.9)")
    return number


def _as_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name}={value!r} is invalid: pass a real number")
    return float(value)


def _flush_subnormals(a: np.ndarray, *, scratch: np.ndarray) -> None:
    """Set the subnormal entries of ``a`` to zero, in place (NaN and inf are kept); ``scratch`` has a's shape."""
    np.abs(a, out=scratch)
    np.multiply(a, scratch >= np.finfo(a.dtype).tiny, out=a)  # branch-free; copyto(where=) is ~10x slower


class Optimizer:
    """Base class: shape checks and lazy state. Subclasses implement ``_step`` and ``_state_names``."""

    _state_names: tuple[str, ...] = ()  # persistent state arrays (zeros on the first call)
    _n_scratch: int = 1  # scratch buffers, reused every step
    _grads_as_scratch = False  # True when _step reads grads only before it first writes scratch[0]

    def __init__(self) -> None:
        self.state: dict[str, np.ndarray] = {}
        self.n_updates = 0
        self._scratch: tuple[np.ndarray, ...] = ()

    def update(self, params: np.ndarray, grads: np.ndarray, *, overwrite_grads: bool = False) -> None:
        """One step: change ``params`` in place using ``grads`` (an array of the same shape).

        ``overwrite_grads=True`` allows the optimizer to use ``grads`` as scratch space: afterwards their
        values are unspecified (SGD and Adam take the offer; the others leave ``grads`` alone).
        """
        if params.shape != grads.shape:
            raise ValueError(
                f"params shape {params.shape} != grads shape {grads.shape}: pass matching arrays"
            )
        if not self._scratch:
            self.state = {name: np.zeros_like(params) for name in self._state_names}
            self._scratch = tuple(np.empty_like(params) for _ in range(self._n_scratch))
        elif self._scratch[0].shape != params.shape:
            raise ValueError(
                f"params shape {params.shape} differs from the first call's {self._scratch[0].shape}: "
                "use one optimizer per parameter array"
            )
        scratch = self._scratch
        if overwrite_grads and self._grads_as_scratch:
            scratch = (grads, *scratch[1:])
        self._step(params, grads, scratch)
        self.n_updates += 1
        if params.dtype == np.float32 and self.n_updates % _FLUSH_EVERY == 0:
            for state in self.state.values():
                _flush_subnormals(state, scratch=self._scratch[0])

    def _step(  # pragma: no cover - abstract
        self, params: np.ndarray, grads: np.ndarray, scratch: tuple[np.ndarray, ...]
    ) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        hp = ", ".join(f"{k}={getattr(self, k)!r}" for k in hyperparam_defaults(type(self)))
        return f"{type(self).__name__}({hp})"


def hyperparam_defaults(cls: type[Optimizer]) -> dict[str, float]:
    """The keyword defaults of an optimizer class's ``__init__`` (its hyperparameters and the book's values)."""
    sig = inspect.signature(cls.__init__)
    return {p.name: float(p.default) for p in sig.parameters.values() if p.name != "self"}
