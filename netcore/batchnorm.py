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
    and each chain of passes runs a cache-sized block of image rows at a time. It keeps ``x - mu`` (in a
    reused buffer) rather than x_hat, folding ``1/std`` into per-channel factors:
    ``out = (x - mu) * gamma/std + beta`` and the book's gradient as
    ``dx = a*dout - a*dbeta/M - a*dgamma/(M*std) * (x - mu)`` with ``a = gamma/std``.
    """

    def __init__(self, gamma: np.ndarray, beta: np.ndarray, **kwargs) -> None:
        super().__init__(gamma, beta, **kwargs)
        self._ws = Workspace()

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
        xc = self._ws.get("xc", x3.shape, x3.dtype)  # x - mu
        if train:
            mu = self._channel_sums(x3) / m
            sq_sums = np.zeros(c, x3.dtype)
            mu_b = per_channel(mu, w * n)  # x - mu is computed here; in test mode in the loop below
            for b in parts:  # x - mu and the sums of its squares, one cache-sized block at a time
                np.subtract(x3[b], mu_b, out=xc[b])
                sq_sums += self._channel_sums(np.square(xc[b], out=tmp[: b.stop - b.start]))
            var = sq_sums / m  # biased (divide by M), as the book
            self._update_running(mu, var)
        else:
            mu, var = self.running_mean, self.running_var
        std = np.sqrt(var + self.eps)
        a, beta_b = per_channel(gamma / std, w * n), per_channel(beta, w * n)
        if not train:
            mu_b = per_channel(mu, w * n)
        out = np.empty_like(x3)
        for b in parts:
            if not train:
                np.subtract(x3[b], mu_b, out=xc[b])
            np.multiply(xc[b], a, out=out[b])  # gamma * x_hat
            out[b] += beta_b
        self._xn, self._std, self._train = xc, std, train  # _xn keeps x - mu, x_hat times std
        return from_hcwn(out.reshape(h, c, w, n))

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if dout.shape != self._shape:
            raise ValueError(f"BatchNorm2D.backward needs dout of the forward input's shape {self._shape}, "
                             f"got {dout.shape}")
        n, c, h, w = self._shape
        xc, std, m = self._xn, self._std, n * h * w
        d = to_hcwn(dout, np.result_type(dout.dtype, xc.dtype)).reshape(h, c, w * n)
        parts, tmp = self._blocks(d)
        dbeta = self.grads["beta"]
        dbeta[...] = self._channel_sums(d)
        prod_sums = np.zeros(c, d.dtype)
        for b in parts:
            prod_sums += self._channel_sums(np.multiply(d[b], xc[b], out=tmp[: b.stop - b.start]))
        dgamma = self.grads["gamma"]
        dgamma[...] = prod_sums / std  # sum(dout * x_hat)
        a = self.params["gamma"] / std
        k, cf = per_channel(-a * dgamma / (m * std), w * n), per_channel(-a * dbeta / m, w * n)
        a = per_channel(a, w * n)
        dx = np.empty_like(d)
        for b in parts:
            np.multiply(d[b], a, out=dx[b])
            if self._train:  # through mu and var too; in test mode the running stats are constants
                dx[b] += np.multiply(xc[b], k, out=tmp[: b.stop - b.start])
                dx[b] += cf
        return from_hcwn(dx.reshape(h, c, w, n))
