"""Batch normalisation with the book's semantics (``common/layers.py`` ``BatchNormalization``), per activation
(``BatchNorm``) and per conv channel (``BatchNorm2D``)."""

from __future__ import annotations

import numpy as np

from netcore.channels import blocks, from_nhwc_rows, nhwc_rows, tiled, wide_shape
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

    Works on the (N*H*W, C) rows of channels-last memory: free when the input is an (N, C, H, W) view of
    NHWC memory (as ``Conv2D`` returns), one copy otherwise; the output is such a view as well. Channel sums
    are GEMVs, per-channel products run over wide rows, chains of passes block by block (``netcore.channels``).
    It keeps ``x - mu`` (in a reused buffer) rather than x_hat, folding ``1/std`` into per-channel factors:
    ``out = (x - mu) * gamma/std + beta`` and the book's gradient as
    ``dx = a*dout - a*dbeta/M - a*dgamma/(M*std) * (x - mu)`` with ``a = gamma/std``.
    """

    def __init__(self, gamma: np.ndarray, beta: np.ndarray, **kwargs) -> None:
        super().__init__(gamma, beta, **kwargs)
        self._ws = Workspace()

    def forward(self, x: np.ndarray, *, train: bool) -> np.ndarray:
        if x.ndim != 4:
            raise ValueError(f"BatchNorm2D needs (N, C, H, W) input, got shape {x.shape}")
        self._start(x, x.shape[1])
        gamma, beta = self.params["gamma"], self.params["beta"]
        rows = nhwc_rows(x)  # (M, C)
        m, c = rows.shape
        ws = wide_shape(m, c)
        xw, dt, parts = rows.reshape(ws), rows.dtype, blocks(ws)
        xc = self._ws.get("xc", ws, dt)  # x - mu
        tmp, ones = self._ws.get("tmp", (parts[0].stop, ws[1]), dt), self._ws.ones(m, dt)
        if train:
            mu = np.matmul(ones[:m], rows) / m
            mu_w, sq_sums = tiled(mu, ws), np.zeros(ws[1], dt)
            for b in parts:  # x - mu and the column sums of its squares, one cache-sized block at a time
                np.subtract(xw[b], mu_w, out=xc[b])
                sq = np.square(xc[b], out=tmp[: b.stop - b.start])
                sq_sums += np.matmul(ones[: len(sq)], sq)
            var = sq_sums.reshape(-1, c).sum(axis=0) / m  # biased (divide by M), as the book
            self._update_running(mu, var)
        else:
            mu, var = self.running_mean, self.running_var
        std = np.sqrt(var + self.eps)
        mu_w, a_w, beta_w = tiled(mu, ws), tiled(gamma / std, ws), tiled(beta, ws)
        out = np.empty(ws, dt)
        for b in parts:
            if not train:
                np.subtract(xw[b], mu_w, out=xc[b])
            np.multiply(xc[b], a_w, out=out[b])  # gamma * x_hat
            out[b] += beta_w
        self._xn, self._std, self._train = xc, std, train  # _xn keeps x - mu, x_hat times std
        n, _, h, w = x.shape
        return from_nhwc_rows(out.reshape(m, c), n, h, w)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        d = nhwc_rows(dout)  # (M, C)
        xc, std = self._xn, self._std
        m, c = d.shape
        ws = wide_shape(m, c)
        dw, dt, parts = d.reshape(ws), d.dtype, blocks(ws)
        tmp, ones = self._ws.get("tmp", (parts[0].stop, ws[1]), dt), self._ws.ones(m, dt)
        dbeta = np.matmul(ones[:m], d, out=self.grads["beta"])
        prod_sums = np.zeros(ws[1], dt)
        for b in parts:
            prod_sums += np.matmul(ones[: b.stop - b.start], np.multiply(dw[b], xc[b], out=tmp[: b.stop - b.start]))
        dgamma = self.grads["gamma"]
        dgamma[...] = prod_sums.reshape(-1, c).sum(axis=0) / std  # sum(dout * x_hat)
        a = self.params["gamma"] / std
        a_w, k_w, c_w = tiled(a, ws), tiled(-a * dgamma / (m * std), ws), tiled(-a * dbeta / m, ws)
        dx = np.empty(ws, dt)
        for b in parts:
            np.multiply(dw[b], a_w, out=dx[b])
            if self._train:  # through mu and var too; in test mode the running stats are constants
                dx[b] += np.multiply(xc[b], k_w, out=tmp[: b.stop - b.start])
                dx[b] += c_w
        n, _, h, w = self._shape
        return from_nhwc_rows(dx.reshape(m, c), n, h, w)
