"""Gradient-descent optimizers with the book's update rules (Deep Learning from Scratch, section 6.1).

Every optimizer changes ``params`` IN PLACE in ``update(params, grads)`` (see :mod:`netcore.optim_base`). Each
step evaluates the book's rule with Python-float coefficients (so float32 stays float32):

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

The shared mechanics (lazy state, scratch buffers, ``overwrite_grads``, the float32 subnormal flush, argument
checks) are in :mod:`netcore.optim_base`.
"""

from __future__ import annotations

import math

import numpy as np

from netcore.optim_base import Optimizer, check_lr, check_unit, hyperparam_defaults

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


class SGD(Optimizer):
    """Plain gradient descent: W -= lr*g."""

    _grads_as_scratch = True

    def __init__(self, lr: float = 0.01) -> None:
        super().__init__()
        self.lr = check_lr(lr)

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
        self.lr = check_lr(lr)
        self.momentum = check_unit("momentum", momentum)

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
        self.lr = check_lr(lr)


class RMSprop(_RootMeanSquare):
    """RMSprop: h = decay_rate*h + (1-decay_rate)*g*g; W -= lr*g / (sqrt(h) + 1e-7)."""

    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99) -> None:
        super().__init__()
        self.lr = check_lr(lr)
        self.decay_rate = check_unit("decay_rate", decay_rate)
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
        self.lr = check_lr(lr)
        self.beta1 = check_unit("beta1", beta1)
        self.beta2 = check_unit("beta2", beta2)
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


def optimizer_hyperparams(name: str) -> dict[str, float]:
    """The book's default hyperparameters of optimizer ``name``, e.g. {'lr': 0.01, 'momentum': 0.9}."""
    return hyperparam_defaults(_lookup(name))


def make_optimizer(name: str, **hyperparams: float) -> Optimizer:
    """Build optimizer ``name`` (case-insensitive: sgd momentum nesterov adagrad rmsprop adam)."""
    cls = _lookup(name)
    allowed = hyperparam_defaults(cls)
    unknown = sorted(set(hyperparams) - set(allowed))
    if unknown:
        raise ValueError(
            f"optimizer {name!r} has no hyperparameter {', '.join(unknown)}: allowed are {', '.join(allowed)}"
        )
    return cls(**hyperparams)
