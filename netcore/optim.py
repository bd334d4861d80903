"""Gradient-descent optimizers with the book's update rules (Deep Learning from Scratch, section 6.1).

Every optimizer has one method, ``update(params, grads)``, which changes ``params`` IN PLACE (layers hold
views into the network's flat parameter vector, so rebinding would lose the update). State (velocity,
squared-gradient sums, moments) is created lazily on the first call, zeros with the params' shape and
dtype, together with scratch buffers, so a step allocates nothing. Each step evaluates the book's rule
with Python-float coefficients (so float32 stays float32):

=========  =====================================================================================
sgd        W -= lr*g
momentum   v = momentum*v - lr*g;  W += v
nesterov   W += momentum**2 * v;  W -= (1+momentum)*lr*g  (old v);  then v = momentum*v - lr*g
adagrad    h += g*g;  W -= lr*g / (sqrt(h) + 1e-7)
rmsprop    h = decay_rate*h + (1-decay_rate)*g*g;  W -= lr*g / (sqrt(h) + 1e-7)
adam       t += 1;  lr_t = lr*sqrt(1-beta2**t)/(1-beta1**t);  m += (1-beta1)*(g-m);
           v += (1-beta2)*(g*g-v);  W -= lr_t*m / (sqrt(v) + 1e-7)
=========  =====================================================================================

Nesterov is the book's code after its 2021 fix (the params move with the OLD velocity). Adam is the
book's form: the bias correction is folded into ``lr_t`` and eps is added to the uncorrected sqrt(v).
Nesterov is Momentum with a flag, and AdaGrad/RMSprop share one step (AdaGrad is its decay-1, weight-1
case, which is exact). ``make_optimizer`` is the only place a name becomes an object. SGD, Momentum,
Nesterov, AdaGrad and RMSprop evaluate the book's expressions in the book's order (float64 matches the
book bit for bit); Adam keeps unnormalised sums instead of the moments (see ``Adam``): the same rule in 10
passes over the vector instead of 12, equal to the book's expressions up to rounding.

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

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "AdaGrad",
    "Adam",
    "Momentum",
    "Nesterov",
    "Optimizer",
    "RMSprop",
    "make_optimizer",
    "optimizer_hyperparams",
]

_EPS = 1e-7  # the book's epsilon for AdaGrad, RMSprop and Adam
_FLUSH_EVERY = 16  # updates between flushes of subnormal float32 state (see the module docstring)


def _check_lr(lr: float) -> float:
    value = _as_float("lr", lr)
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"lr={lr!r} is invalid: the learning rate must be finite and > 0 (e.g. lr=0.01)")
    return value


def _check_unit(name: str, value: float) -> float:
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
        hp = ", ".join(f"{k}={getattr(self, k)!r}" for k in _defaults(type(self)))
        return f"{type(self).__name__}({hp})"


class SGD(Optimizer):
    """Plain gradient descent: W -= lr*g."""

    _grads_as_scratch = True

    def __init__(self, lr: float = 0.01) -> None:
        super().__init__()
        self.lr = _check_lr(lr)

    def _step(self, params: np.ndarray, grads: np.ndarray, scratch: tuple[np.ndarray, ...]) -> None:
        (tmp,) = scratch
        np.multiply(grads, self.lr, out=tmp)
        params -= tmp


class Momentum(Optimizer):
    """Momentum SGD: v = momentum*v - lr*g; W += v."""

    _state_names = ("v",)
    _nesterov = False

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        super().__init__()
        self.lr = _check_lr(lr)
        self.momentum = _check_unit("momentum", momentum)

    def _step(self, params: np.ndarray, grads: np.ndarray, scratch: tuple[np.ndarray, ...]) -> None:
        (tmp,) = scratch
        v = self.state["v"]
        if self._nesterov:  # move with the OLD velocity first (the book's 2021 order)
            np.multiply(v, self.momentum * self.momentum, out=tmp)
            params += tmp
            np.multiply(grads, (1.0 + self.momentum) * self.lr, out=tmp)
            params -= tmp
        np.multiply(grads, self.lr, out=tmp)
        v *= self.momentum
        v -= tmp
        if not self._nesterov:
            params += v


class Nesterov(Momentum):
    """Nesterov's accelerated gradient (book form): W += m^2 v - (1+m) lr g, then v = m v - lr g."""

    _nesterov = True


class _RootMeanSquare(Optimizer):
    """Shared AdaGrad/RMSprop step: h = decay*h + weight*g*g; W -= lr*g / (sqrt(h) + 1e-7)."""

    _state_names = ("h",)
    _n_scratch = 2
    _decay, _weight = 1.0, 1.0  # AdaGrad's sum; RMSprop sets decay_rate, 1 - decay_rate

    def _step(self, params: np.ndarray, grads: np.ndarray, scratch: tuple[np.ndarray, ...]) -> None:
        num, den = scratch
        h = self.state["h"]
        if self._decay == 1.0 and self._weight == 1.0:  # AdaGrad: h += g*g
            np.square(grads, out=num)
        else:  # RMSprop, book order: h *= rho; h += ((1 - rho) * g) * g
            h *= self._decay
            np.multiply(grads, self._weight, out=num)
            num *= grads
        h += num
        np.multiply(grads, self.lr, out=num)  # W -= (lr * g) / (sqrt(h) + eps)
        np.sqrt(h, out=den)
        den += _EPS
        num /= den
        params -= num


class AdaGrad(_RootMeanSquare):
    """AdaGrad: h += g*g; W -= lr*g / (sqrt(h) + 1e-7)."""

    def __init__(self, lr: float = 0.01) -> None:
        super().__init__()
        self.lr = _check_lr(lr)


class RMSprop(_RootMeanSquare):
    """RMSprop: h = decay_rate*h + (1-decay_rate)*g*g; W -= lr*g / (sqrt(h) + 1e-7)."""

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99) -> None:
        super().__init__()
        self.lr = _check_lr(lr)
        self.decay_rate = _check_unit("decay_rate", decay_rate)
        self._decay, self._weight = self.decay_rate, 1.0 - self.decay_rate


class Adam(Optimizer):
    """Adam in the book's form: bias correction folded into lr_t, eps 1e-7 added to the raw sqrt(v).

    The state holds the unnormalised sums ``s = beta1*s + g`` and ``r = beta2*r + g*g``; the book's moments
    are ``m = (1-beta1)*s`` and ``v = (1-beta2)*r`` (see :meth:`moments`), so the book's step
    ``lr_t*m / (sqrt(v) + eps)`` is ``c*s / (sqrt(r) + eps/sqrt(1-beta2))`` with
    ``c = lr_t*(1-beta1)/sqrt(1-beta2)``: the same rule, equal to the book's expressions up to rounding, in
    10 passes over the vector instead of 12 (the sums need no subtraction, and s no scratch at all).
    """

    _state_names = ("s", "r")
    _grads_as_scratch = True

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999) -> None:
        super().__init__()
        self.lr = _check_lr(lr)
        self.beta1 = _check_unit("beta1", beta1)
        self.beta2 = _check_unit("beta2", beta2)
        self.t = 0  # one step counter for the whole parameter vector

    def _step(self, params: np.ndarray, grads: np.ndarray, scratch: tuple[np.ndarray, ...]) -> None:
        (tmp,) = scratch
        s, r = self.state["s"], self.state["r"]
        self.t += 1
        lr_t = self.lr * math.sqrt(1.0 - self.beta2**self.t) / (1.0 - self.beta1**self.t)
        root = math.sqrt(1.0 - self.beta2)
        s *= self.beta1  # s = beta1*s + g
        s += grads
        np.square(grads, out=tmp)  # r = beta2*r + g*g  (the last read of grads: tmp may be grads)
        r *= self.beta2
        r += tmp
        np.sqrt(r, out=tmp)  # W -= c*s / (sqrt(r) + eps/sqrt(1 - beta2))
        tmp += _EPS / root
        np.divide(s, tmp, out=tmp)
        tmp *= lr_t * (1.0 - self.beta1) / root
        params -= tmp

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the book's first and second moments ``(m, v)`` (zeros before the first update)."""
        if not self.state:
            raise ValueError("Adam has no moments before its first update: call update() first")
        return (1.0 - self.beta1) * self.state["s"], (1.0 - self.beta2) * self.state["r"]


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": AdaGrad,
    "rmsprop": RMSprop,
    "adam": Adam,
}


def _lookup(name: str) -> type[Optimizer]:
    key = name.lower() if isinstance(name, str) else name
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}: choose one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[key]


def _defaults(cls: type[Optimizer]) -> dict[str, float]:
    sig = inspect.signature(cls.__init__)
    return {p.name: float(p.default) for p in sig.parameters.values() if p.name != "self"}


def optimizer_hyperparams(name: str) -> dict[str, float]:
    """The book's default hyperparameters of optimizer ``name``, e.g. {'lr': 0.01, 'momentum': 0.9}."""
    return _defaults(_lookup(name))


def make_optimizer(name: str, **hyperparams: float) -> Optimizer:
    """Build optimizer ``name`` (case-insensitive: sgd momentum nesterov adagrad rmsprop adam)."""
    cls = _lookup(name)
    allowed = _defaults(cls)
    unknown = sorted(set(hyperparams) - set(allowed))
    if unknown:
        raise ValueError(
            f"optimizer {name!r} has no hyperparameter {', '.join(unknown)}: allowed are {', '.join(allowed)}"
        )
    return cls(**hyperparams)
