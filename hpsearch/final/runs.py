"""The final pick's training runs, each a task a worker process can run: the pick trained once per seed and scored
on the test split, or trained on the search's split (per candidate and seed, or per length) and scored on
validation."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from hpsearch.objectives.data import load_data
from hpsearch.objectives.registry import get_objective
from hpsearch.spec import StudySpec
from netcore.trainer import TrainData

__all__ = ["score_seeds", "train_data", "validate_runs"]


def train_data(spec: StudySpec, retrain: str) -> TrainData:
    data = load_data(spec.settings)
    if retrain == "train":
        return data
    x = np.concatenate([data.x_train, data.x_val])
    t = np.concatenate([data.t_train, data.t_val])
    return TrainData(x, t, data.x_val, data.t_val)


def _settings(spec: StudySpec, epochs: int | None):
    return spec.settings if epochs is None else dataclasses.replace(spec.settings, epochs=int(epochs))


def score_seeds(spec: StudySpec | dict[str, Any], params: dict[str, Any], seeds: Sequence[int], retrain: str,
                 blas_threads: int | None, epochs: int | None = None) -> list[tuple[float, float, bool, int, int]]:
    """Train the pick once per seed on ``retrain`` (for ``epochs``, None: the trial's) and score each net on the
    test split, read once here (a worker process runs this for its share of the seeds):
    [(test score, seconds, diverged, n_train, n_test, plain)], ``plain`` the score without the flip average
    when the settings score with it (``tta_flip``), else None."""
    spec = spec if isinstance(spec, StudySpec) else StudySpec.from_dict(spec)
    objective = get_objective(spec.objective)
    settings = _settings(spec, epochs)
    out = []
    with threadpool_limits(limits=blas_threads) if blas_threads else nullcontext():
        data = train_data(spec, retrain)
        x_test, t_test = objective.test_split(spec.settings)
        for seed in seeds:
            t0 = time.perf_counter()
            net, res = objective.fit(params, settings, seed=seed, data=data)
            seconds = time.perf_counter() - t0
            score = float(net.accuracy(x_test, t_test))
            plain = None
            if net.flip_average:  # also the plain score, for comparisons with nets evaluated without it
                net.flip_average = False
                plain = float(net.accuracy(x_test, t_test))
            out.append((score, seconds, bool(res.diverged), len(data.x_train), int(len(t_test)), plain))
    return out


def validate_runs(runs: Sequence[tuple[StudySpec | dict[str, Any], dict[str, Any], int, int | None]],
                  blas_threads: int | None) -> list[tuple[float, float, bool]]:
    """Train each run's parameters with its seed on its study's split, as the search did, for its epochs (None:
    the study's), and score it on validation (the final pick's candidates and its length check; a worker
    process runs this for its share of the runs): [(validation score, seconds, diverged)] per run of ``runs``,
    each (spec, params, seed, epochs)."""
    out = []
    with threadpool_limits(limits=blas_threads) if blas_threads else nullcontext():
        for spec, params, seed, epochs in runs:
            spec = spec if isinstance(spec, StudySpec) else StudySpec.from_dict(spec)
            res = get_objective(spec.objective).evaluate(params, _settings(spec, epochs), seed=seed)
            out.append((float(res.value), float(res.seconds), bool(res.diverged)))
    return out
