"""Batch normalisation with the book's semantics (``common/layers.py`` ``BatchNormalization``), per activation
(``BatchNorm``) and per conv channel (``BatchNorm2D``)."""

from __future__ import annotations

import numpy as np

from netcore.hcwn import chunks, from_hcwn, per_channel, to_hcwn
from netcore.layer_base import Workspace, init_grads

__all__ = ["BatchNorm", "BatchNorm2D"]


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
            raise ValueError(
                f"{type(self).__name__} needs 1-D gamma, beta of one shape, got {gamma.shape} {beta.shape}"
            )
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

    def _start(self, x: np.ndarray, features: int) -> None:
        """Check the input's feature count; create the running stats (zeros) on the first forward."""
        gamma = self.params["gamma"]
        if features != gamma.shape[0]:
            raise ValueError(f"{type(self).__name__} over {gamma.shape[0]} features got input {x.shape}")
        if self.running_mean is None:
            self.running_mean = np.zeros_like(gamma)
            self.running_var = np.zeros_like(gamma)
        self._shape = x.shape

    def _update_running(self, mu: np.ndarray, var: np.ndarray) -> None:
        m = self.momentum
        self.running_mean *= m
        self.running_mean += (1.0 - m) * mu
        self.running_var *= m
        self.running_var += (1.0 - m) * var

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        x2 = x.reshape(x.shape[0], -1)  # (N, D): statistics over the N rows
        self._start(x, x2.shape[1])
        gamma, beta = self.params["gamma"], self.params["beta"]
        if train:
            mu = x2.mean(axis=0)
            xc = x2 - mu
            var = np.mean(np.square(xc), axis=0)  # biased (divide by N)
            self._update_running(mu, var)
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
        d2 = dout.reshape(dout.shape[0], -1)  # (N, D)
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


class BatchNorm2D(BatchNorm):
    """Batch normalisation over conv channels: input (N, C, H, W), gamma/beta/running stats of shape (C,),
    statistics per channel over (N, H, W). Otherwise the book's BatchNorm (train/test, momentum, eps).

    Works on (H, C, W*N) memory (``netcore.hcwn``): free when the input is a view of it (as ``Conv2D``
    returns), one copy otherwise; the output is such a view as well. Channel sums are GEMVs over rows of
    W*N numbers, per-channel factors are (C, W*N) blocks broadcast over image rows (``hcwn.per_channel``),
    and each chain of passes runs a cache-sized block of image rows at a time, so ``x - mu`` exists only
    block by block, in the cache: the layer keeps its input (as ``Affine`` does) and the batch mean, not
    ``x - mu`` or x_hat (two fewer passes over memory in forward, and no activation-sized buffer). Forward
    is ``out = (x - mu) * gamma/std + beta``; backward the book's gradient as
    ``dx = a*dout - a*dbeta/M - a*dgamma/(M*std) * (x - mu)`` with ``a = gamma/std``.
    """

    def __init__(self, gamma: np.ndarray, beta: np.ndarray, **kwargs) -> None:
        super().__init__(gamma, beta, **kwargs)
        self._ws = Workspace()
        self._x: np.ndarray | None = None  # the input as (H, C, W*N) memory, in place of the base's x_hat
        self._mu: np.ndarray | None = None

    def _channel_sums(self, a: np.ndarray) -> np.ndarray:
        """(k, C, L) -> (C,) sums, as one GEMV over its k*C rows."""
        k, c, length = a.shape
        return np.matmul(a.reshape(k * c, length), self._ws.ones(length, a.dtype)).reshape(k, c).sum(axis=0)

    def _blocks(self, a: np.ndarray) -> tuple[list[slice], np.ndarray]:
        """Blocks of image rows of (H, C, L) ``a`` small enough for a chain of passes in L2, and a scratch."""
        parts = chunks(a.shape[0], 4 * a[0].nbytes)
        return parts, self._ws.get("tmp", (parts[0].stop, *a.shape[1:]), a.dtype)

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        if x.ndim != 4:
            raise ValueError(f"BatchNorm2D needs (N, C, H, W) input, got shape {x.shape}")
        self._start(x, x.shape[1])
        gamma, beta = self.params["gamma"], self.params["beta"]
        n, c, h, w = x.shape
        x3 = to_hcwn(x, np.result_type(x.dtype, gamma.dtype)).reshape(h, c, w * n)  # integers give floats
        m = n * h * w
        parts, tmp = self._blocks(x3)
        if train:  # two passes (mean, then squares of x - mu): exact where E[x^2] - mu^2 would cancel
            mu = self._channel_sums(x3) / m
            mu_b = per_channel(mu, w * n)
            sq_sums = np.zeros(c, x3.dtype)
            for b in parts:
                xc = np.subtract(x3[b], mu_b, out=tmp[: b.stop - b.start])
                sq_sums += self._channel_sums(np.square(xc, out=xc))
            var = sq_sums / m  # biased (divide by M), as the book
            self._update_running(mu, var)
        else:
            mu, var = self.running_mean.astype(x3.dtype), self.running_var
        std = np.sqrt(var + self.eps)
        scale = gamma / std
        a, shift = per_channel(scale, w * n), per_channel(beta - mu * scale, w * n)
        out = np.empty_like(x3)
        for b in parts:  # gamma * (x - mu) / std + beta as x * a + (beta - mu * a)
            np.multiply(x3[b], a, out=out[b])
            out[b] += shift
        self._x, self._mu, self._std, self._train = x3, mu, std, train
        return from_hcwn(out.reshape(h, c, w, n))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if dout.shape != self._shape:
            raise ValueError(f"BatchNorm2D.backward needs dout of the forward input's shape {self._shape}, "
                             f"got {dout.shape}")
        n, c, h, w = self._shape
        x3, std, m = self._x, self._std, n * h * w
        d = to_hcwn(dout, np.result_type(dout.dtype, x3.dtype)).reshape(h, c, w * n)
        parts, tmp = self._blocks(d)
        mu_b = per_channel(self._mu.astype(d.dtype), w * n)
        d_sums, prod_sums = np.zeros(c, d.dtype), np.zeros(c, d.dtype)
        for b in parts:  # sum(dout) and sum(dout * (x - mu)), reading each block of dout once
            t = np.subtract(x3[b], mu_b, out=tmp[: b.stop - b.start])
            d_sums += self._channel_sums(d[b])
            prod_sums += self._channel_sums(np.multiply(t, d[b], out=t))
        dbeta, dgamma = self.grads["beta"], self.grads["gamma"]
        dbeta[...] = d_sums
        dgamma[...] = prod_sums / std  # sum(dout * x_hat)
        a = self.params["gamma"] / std
        k, cf = per_channel(-a * dgamma / (m * std), w * n), per_channel(-a * dbeta / m, w * n)
        a = per_channel(a, w * n)
        if self._train:  # k * (x - mu) + cf as k * x + (cf - k * mu)
            cf -= k * mu_b
        dx = np.empty_like(d)
        for b in parts:
            g = np.multiply(d[b], a, out=dx[b])
            if self._train:  # through mu and var too; in test mode the running stats are constants
                g += np.multiply(x3[b], k, out=tmp[: b.stop - b.start])
                g += cf
        return from_hcwn(dx.reshape(h, c, w, n))
