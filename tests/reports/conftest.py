"""Hand-made export tables for the reports tests, following docs/architecture.md's export schema exactly.

The tiny study (8 trials) has hand-computable summaries:

| number | state    | value | diverged | lr    | weight_decay | optimizer | momentum | seconds |
|--------|----------|-------|----------|-------|--------------|-----------|----------|---------|
| 0      | COMPLETE | 0.5   | no       | 1e-3  | 1e-4         | sgd       | NaN      | 1       |
| 1      | COMPLETE | 0.7   | no       | 1e-2  | 1e-5         | momentum  | 0.9      | 2       |
| 2      | PRUNED   | 0.3   | no       | 1e-4  | 1e-6         | adam      | NaN      | 3       |
| 3      | COMPLETE | 0.7   | no       | 1e-1  | NaN          | momentum  | 0.5      | 4       |
| 4      | FAIL     | NaN   | no       | 1e-2  | 1e-4         | sgd       | NaN      | 5       |
| 5      | COMPLETE | 0.9   | no       | 1e-3  | 1e-3         | adam      | NaN      | 6       |
| 6      | COMPLETE | 0.1   | yes      | 1.0   | 1e-5         | sgd       | NaN      | 7       |
| 7      | RUNNING  | NaN   | no       | 1e-3  | 1e-4         | adam      | NaN      | 8       |

Curves: val_acc / val_loss for trials 0, 1, 3, 5 over epochs 0..2; trial 2 (pruned) and 6 (diverged)
stop after epoch 1.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

NASTY = "<script>alert(1)</script>"


def tiny_trials(study: str = "tiny") -> pd.DataFrame:
    n = 8
    return pd.DataFrame({
        "study": [study] * n,
        "number": np.arange(n),
        "state": ["COMPLETE", "COMPLETE", "PRUNED", "COMPLETE", "FAIL", "COMPLETE", "COMPLETE", "RUNNING"],
        "value": [0.5, 0.7, 0.3, 0.7, np.nan, 0.9, 0.1, np.nan],
        "best_val_acc": [0.55, 0.72, 0.3, 0.71, np.nan, 0.91, 0.4, np.nan],
        "diverged": [False, False, False, False, False, False, True, False],
        "seconds": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        "epochs_run": [3, 3, 2, 3, 0, 3, 2, 1],
        "worker": ["host:1", "host:2"] * 4,
        "seed": [100 + i for i in range(n)],
        "datetime_start": [f"2025-01-01T00:00:0{i}" for i in range(n)],
        "datetime_complete": [f"2025-01-01T00:01:0{i}" for i in range(n)],
        "param_lr": [1e-3, 1e-2, 1e-4, 1e-1, 1e-2, 1e-3, 1.0, 1e-3],
        "param_weight_decay": [1e-4, 1e-5, 1e-6, np.nan, 1e-4, 1e-3, 1e-5, 1e-4],
        "param_optimizer": ["sgd", "momentum", "adam", "momentum", "sgd", "adam", "sgd", "adam"],
        "param_momentum": [np.nan, 0.9, np.nan, 0.5, np.nan, np.nan, np.nan, np.nan],
    })


def tiny_curves(study: str = "tiny") -> pd.DataFrame:
    rows = []
    epochs = {0: 3, 1: 3, 2: 2, 3: 3, 5: 3, 6: 2}
    final = {0: 0.5, 1: 0.7, 2: 0.3, 3: 0.7, 5: 0.9, 6: 0.1}
    for number, n_epochs in epochs.items():
        for epoch in range(n_epochs):
            acc = final[number] * (epoch + 1) / n_epochs
            rows.append((study, number, epoch, "val_acc", acc))
            rows.append((study, number, epoch, "val_loss", np.nan if number == 6 and epoch == 1 else 1 - acc))
            rows.append((study, number, epoch, "train_acc", acc + 0.01))
            rows.append((study, number, epoch, "train_loss", 1.01 - acc))
    return pd.DataFrame(rows, columns=["study", "number", "epoch", "metric", "value"])


def tiny_meta(study: str = "tiny") -> dict:
    return {
        "study": study,
        "spec": {"name": study, "epochs": 3},
        "space": {
            "lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True, "choices": None},
            "weight_decay": {"type": "float", "low": 1e-6, "high": 1e-3, "log": True, "choices": None},
            "optimizer": {"type": "categorical", "low": None, "high": None, "log": False,
                          "choices": ["sgd", "momentum", "adam"]},
            "momentum": {"type": "float", "low": 0.5, "high": 0.9, "log": False, "choices": None},
        },
        "seed": 42, "sampler": "TPESampler", "pruner": "MedianPruner", "direction": "maximize",
        "versions": {"numpy": "2.4.6", "optuna": "4.2.0"},
        "machine": {"cpu": "test-cpu", "cores": 2, "platform": "Linux", "python": "3.11.7"},
        "blas": [{"user_api": "blas", "internal_api": "openblas", "version": "0.3.99", "num_threads": 1}],
        "wall_seconds": 19.5, "n_workers": 2,
        "importance": {"lr": 0.6, "weight_decay": 0.3, "optimizer": 0.1, "momentum": 0.0},
        "parent": None, "created": "2025-01-01T00:00:00",
    }


@pytest.fixture
def nasty() -> str:
    """A data string that must never reach the HTML unescaped."""
    return NASTY


@pytest.fixture
def trials() -> pd.DataFrame:
    return tiny_trials()


@pytest.fixture
def curves() -> pd.DataFrame:
    return tiny_curves()


@pytest.fixture
def meta() -> dict:
    return tiny_meta()


@pytest.fixture
def make_export() -> Callable[..., object]:
    """A factory: make_export(study="tiny") -> StudyExport of the tiny study (validated)."""
    from reports import StudyExport

    def make(study: str = "tiny") -> StudyExport:
        return StudyExport.from_frames(tiny_trials(study), tiny_curves(study), tiny_meta(study))

    return make
