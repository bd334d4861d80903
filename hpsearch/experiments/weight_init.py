"""Objective ``activation-hist``: activations of a 5-layer net per activation x weight scale (sections 6.2.2-6.2.3).

No training. The book's procedure: an input of 1000 x 100 standard normals goes through ``epochs`` (5)
layers of 100 units without biases, each with fresh weights w = randn(100, 100) * scale, z = act(x w). The
scales: ``std=1``, ``std=0.01``, Xavier sqrt(1/100) (the book's fan-in form) and He sqrt(2/100). Within a
replicate ``seed`` every configuration uses the same input and the same standard-normal weights (only the
scale differs): common random numbers, which change no configuration's distribution.

Curves: ``hist_layer<k>`` = counts of the layer's 100,000 activations in ``bins`` (30) equal bins over the
book's range (0, 1) (values outside are not counted, as in the book's histogram; with ``tanh_symmetric``
the tanh range is (-1, 1), an option), plus ``act_mean``, ``act_std`` and ``zero_frac`` (share of exact
zeros) per layer. Value: the std of the last layer's activations (maximize: a wide spread is healthy).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpsearch.experiments.common import SettingsBase, derived_rng, replicate_seed, result
from hpsearch.objectives.registry import Objective, register
from hpsearch.objectives.training import TrialResult
from netcore.builders import weight_std
from netcore.layers import Relu, Sigmoid, Tanh

__all__ = ["ACTIVATIONS", "SCALES", "HistSettings", "activations", "evaluate", "hist_range", "scale_of"]

ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": Relu}
SCALES = ("std=1", "std=0.01", "xavier", "he")


@dataclass(frozen=True)
class HistSettings(SettingsBase):
    epochs: int = 5  # layers
    n_inputs: int = 1000
    width: int = 100
    bins: int = 30
    tanh_symmetric: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("n_inputs", "width", "bins"):
            if getattr(self, name) < 1:
                raise ValueError(f"settings: {name}={getattr(self, name)!r} must be >= 1")

    def semantics(self) -> list[tuple[str, str]]:
        return [
            ("input", f"{self.n_inputs} x {self.width} standard normals (book: 1000 x 100)"),
            ("layers", f"{self.epochs} layers of {self.width} units, no biases, fresh weights per layer (book: 5)"),
            ("scales", "std 1, std 0.01, Xavier sqrt(1/fan_in) (the book's fan-in form), He sqrt(2/fan_in)"),
            ("histogram", f"{self.bins} bins over (0, 1), values outside not counted (book)"
             + ("; tanh over (-1, 1) (option)" if self.tanh_symmetric else "")),
            ("random draws", "the same input and standard-normal weights for every configuration of a seed"),
        ]


def scale_of(label: str, fan_in: int) -> float:
    """The weight std of a scale label (std=1, std=0.01, xavier, he) for ``fan_in`` inputs."""
    if label.startswith("std="):
        return float(label[4:])
    return weight_std(label, fan_in)


def hist_range(activation: str, settings: HistSettings) -> tuple[float, float]:
    return (-1.0, 1.0) if activation == "tanh" and settings.tanh_symmetric else (0.0, 1.0)


def activations(activation: str, scale: str, settings: HistSettings, seed: int) -> list[np.ndarray]:
    """The activations of every layer (float64), from the replicate's shared draws."""
    rng = derived_rng(seed, "activations")
    x = rng.standard_normal((settings.n_inputs, settings.width))
    out = []
    for _ in range(settings.epochs):
        w = rng.standard_normal((settings.width, settings.width)) * scale_of(scale, settings.width)
        x = ACTIVATIONS[activation]().forward(x @ w, train=False)
        out.append(x)
    return out


def evaluate(params: Mapping[str, Any], settings: HistSettings, *, seed: int, on_epoch=None) -> TrialResult:
    """Histograms of ``params['activation']`` x ``params['init']`` (a scale label) for replicate ``seed``."""
    t0 = time.perf_counter()
    act, scale = str(params["activation"]), str(params["init"])
    layers = activations(act, scale, settings, replicate_seed(params, seed))
    low, high = hist_range(act, settings)
    curves: dict[str, list[float]] = {}
    for k, a in enumerate(layers, start=1):
        counts, _ = np.histogram(a, bins=settings.bins, range=(low, high))
        curves[f"hist_layer{k}"] = counts.astype(float).tolist()
    curves["act_mean"] = [float(a.mean()) for a in layers]
    curves["act_std"] = [float(a.std()) for a in layers]
    curves["zero_frac"] = [float(np.mean(a == 0.0)) for a in layers]
    return result(curves["act_std"][-1], curves, seconds=time.perf_counter() - t0)


register(Objective("activation-hist", HistSettings, evaluate, ("activation", "init", "seed"),
                   required=("activation", "init"), metric="std of the last layer's activations"))
