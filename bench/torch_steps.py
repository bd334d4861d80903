"""PyTorch's side of bench/core.py: the same networks, translated layer by layer from the netcore network built
with the same seed (so the same architecture and initial weights), trained with torch.optim's SGD (lr 0.01) or
Adam (lr 0.001, the book's defaults) on the same random data, one thread, float32.

PyTorch is not a dependency of the project: ``pip install torch==2.13.0`` to run the comparison. Differences
kept on purpose: torch's Dropout is inverted (the book's is not; the cost is the same); its BatchNorm is given
the book's eps and momentum.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from steps import BATCH, CONVNETS, SIZES, data
from timing import Step

from netcore.batchnorm import BatchNorm, BatchNorm2D
from netcore.builders import build_mlp
from netcore.conv import Conv2D, MaxPool2D
from netcore.layers import Affine, Dropout, Relu
from netcore.network import Network

nn = torch.nn


def _param(a: np.ndarray) -> nn.Parameter:
    return nn.Parameter(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)))


def translate(net: Network) -> nn.Sequential:
    """The torch.nn twin of a netcore network (its layers' types, shapes and current parameter values)."""
    mods: list[nn.Module] = []
    flat = False
    for layer in net.layers:
        p = layer.params
        if isinstance(layer, Conv2D):
            fn, c, fh, fw = p["W"].shape
            m = nn.Conv2d(c, fn, (fh, fw), stride=layer.stride, padding=layer.pad)
            m.weight, m.bias = _param(p["W"]), _param(p["b"])
        elif isinstance(layer, BatchNorm2D | BatchNorm):
            cls = nn.BatchNorm2d if isinstance(layer, BatchNorm2D) else nn.BatchNorm1d
            m = cls(p["gamma"].shape[0], eps=layer.eps, momentum=1.0 - layer.momentum)
            m.weight, m.bias = _param(p["gamma"]), _param(p["beta"])
        elif isinstance(layer, Affine):
            if not flat:
                mods.append(nn.Flatten())
                flat = True
            m = nn.Linear(*p["W"].shape)
            m.weight, m.bias = _param(p["W"].T), _param(p["b"])
        elif isinstance(layer, Relu):
            m = nn.ReLU()
        elif isinstance(layer, MaxPool2D):
            m = nn.MaxPool2d((layer.ph, layer.pw), stride=layer.stride, padding=layer.pad)
        elif isinstance(layer, Dropout):
            m = nn.Dropout(layer.ratio)
        else:
            raise TypeError(f"no torch twin for {type(layer).__name__}")
        mods.append(m)
    return nn.Sequential(*mods)


def torch_step(build: Callable[[np.random.Generator], Network], opt_name: str, x_np: np.ndarray, t_np: np.ndarray,
               batch: int) -> Callable[[int], Step]:
    x, t = torch.from_numpy(x_np), torch.from_numpy(t_np)
    lossf = nn.CrossEntropyLoss()

    def make(seed: int) -> Step:
        rng = np.random.default_rng(seed)
        torch.manual_seed(seed)
        model = translate(build(rng))
        model.train()
        if opt_name == "sgd":
            opt = torch.optim.SGD(model.parameters(), lr=0.01)
        else:
            opt = torch.optim.Adam(model.parameters(), lr=0.001)

        def step() -> None:
            idx = torch.from_numpy(rng.integers(0, len(x_np), batch))
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(x[idx]), t[idx])
            loss.backward()
            opt.step()

        return step

    return make


def torch_factory(key: str) -> tuple[int, Callable[[int], Step]]:
    """The PyTorch step ``key`` ("torch sgd|adam|simple|deep|cnn float32"): (batch, seed -> step)."""
    torch.set_num_threads(1)
    name = key.split()[1]
    if name in ("sgd", "adam"):
        x, t = data(np.float32, 4096, (784,), seed=1)
        build = lambda rng: build_mlp(784, SIZES[1:-1], 10, dtype=np.float32, rng=rng)  # noqa: E731
        return BATCH, torch_step(build, name, x, t, BATCH)
    net = CONVNETS[name]
    xc, tc = data(np.float32, 1000, (1, 28, 28), seed=2)
    return net.batch, torch_step(lambda rng: net.build(rng, np.float32), net.opt, xc, tc, net.batch)
