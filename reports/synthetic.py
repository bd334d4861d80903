"""Synthetic study exports: TEST AND BENCHMARK DATA ONLY, never results.

`synthetic_export(n_trials, rng=...)` builds a `StudyExport` that follows the export schema exactly (see
docs/architecture.md): a plausible search over lr (log), weight_decay (log), optimizer (categorical),
momentum (conditional on the momentum optimizers), batch_size (categorical ints) and hidden_layers (int),
with COMPLETE, PRUNED, FAIL and RUNNING trials, diverged trials (large learning rates), long-format curves of
the four metrics and a full meta dict. Everything is vectorised, so 10,000 trials take well under a second.
"""

from __future__ import annotations

import platform

import numpy as np
import pandas as pd

from reports.load import StudyExport

OPTIMIZERS = ("sgd", "momentum", "adagrad", "adam")
_BEST_LOG_LR = {"sgd": -1.0, "momentum": -2.0, "adagrad": -1.5, "adam": -3.0}
_DIVERGE_LOG_LR = {"sgd": -0.3, "momentum": -0.8, "adagrad": 0.0, "adam": -1.3}
BATCH_SIZES = (32, 64, 128)
METRICS = ("train_acc", "val_acc", "train_loss", "val_loss")


def synthetic_space() -> dict[str, dict[str, object]]:
    """The search space of the synthetic study, as exported in meta["space"]."""
    def num(kind: str, low: float, high: float, log: bool) -> dict[str, object]:
        return {"type": kind, "low": low, "high": high, "log": log, "choices": None}

    def cat(choices: tuple) -> dict[str, object]:
        return {"type": "categorical", "low": None, "high": None, "log": False, "choices": list(choices)}

    return {"lr": num("float", 1e-5, 1.0, True), "weight_decay": num("float", 1e-8, 1e-1, True),
            "optimizer": cat(OPTIMIZERS), "momentum": num("float", 0.5, 0.99, False),
            "batch_size": cat(BATCH_SIZES), "hidden_layers": num("int", 1, 6, False)}


def _params(n: int, rng: np.random.Generator) -> pd.DataFrame:
    optimizer = rng.choice(np.array(OPTIMIZERS, dtype=object), size=n)
    momentum = np.where(optimizer == "momentum", rng.uniform(0.5, 0.99, size=n), np.nan)
    return pd.DataFrame({
        "param_lr": 10.0 ** rng.uniform(-5.0, 0.0, size=n),
        "param_weight_decay": 10.0 ** rng.uniform(-8.0, -1.0, size=n),
        "param_optimizer": optimizer,
        "param_momentum": momentum,
        "param_batch_size": rng.choice(np.array(BATCH_SIZES), size=n),
        "param_hidden_layers": rng.integers(1, 7, size=n),
    })


def _final_scores(params: pd.DataFrame, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Final validation accuracy of each trial, and whether it diverged."""
    opt = params["param_optimizer"].to_numpy()
    log_lr = np.log10(params["param_lr"].to_numpy())
    log_wd = np.log10(params["param_weight_decay"].to_numpy())
    best = pd.Series(opt).map(_BEST_LOG_LR).to_numpy(dtype=float)
    limit = pd.Series(opt).map(_DIVERGE_LOG_LR).to_numpy(dtype=float)
    lr_term = np.exp(-((log_lr - best) ** 2) / (2 * 0.9**2))
    wd_term = np.exp(-(np.maximum(log_wd + 4.0, 0.0) ** 2) / 2.0)
    score = 0.1 + 0.87 * lr_term * wd_term + rng.normal(0.0, 0.01, size=len(opt))
    diverged = log_lr > limit + rng.normal(0.0, 0.15, size=len(opt))
    return np.clip(score, 0.05, 0.995), diverged


def synthetic_export(
    n_trials: int,
    *,
    rng: np.random.Generator,
    n_epochs: int = 10,
    study: str = "synthetic",
    n_workers: int = 2,
) -> StudyExport:
    """A synthetic `StudyExport` of `n_trials` trials (test and benchmark data, see the module docstring)."""
    if n_trials < 0 or n_epochs < 1:
        raise ValueError(f"n_trials={n_trials}, n_epochs={n_epochs}: need n_trials >= 0 and n_epochs >= 1")
    n = int(n_trials)
    params = _params(n, rng)
    final, diverged = _final_scores(params, rng)
    state = np.full(n, "COMPLETE", dtype=object)
    u = rng.uniform(size=n)
    state[(u < 0.35) & (final < 0.6) & ~diverged] = "PRUNED"
    state[u > 0.99] = "FAIL"
    if n >= 10:
        state[-1] = "RUNNING"
    epochs_run = np.full(n, n_epochs)
    partial = np.isin(state, ["PRUNED", "FAIL", "RUNNING"])
    epochs_run[partial] = rng.integers(1, max(n_epochs, 2), size=int(partial.sum()))
    epochs_run[diverged] = rng.integers(1, n_epochs + 1, size=int(diverged.sum()))
    curves, last_val, best_val = _curves(final, diverged, epochs_run, rng, n_epochs=n_epochs, study=study)
    value = np.where(np.isin(state, ["FAIL", "RUNNING"]), np.nan, last_val)
    seconds = epochs_run * (0.4 + 0.15 * params["param_hidden_layers"].to_numpy()) * rng.lognormal(0, 0.2, n)
    start = pd.Timestamp("2025-01-01T00:00:00") + pd.to_timedelta(np.cumsum(seconds) / n_workers, unit="s")
    workers = np.array([f"host:{1000 + i}" for i in range(n_workers)], dtype=object)
    trials = pd.DataFrame({
        "study": study, "number": np.arange(n), "state": state, "value": value,
        "best_val_acc": np.where(state == "RUNNING", np.nan, best_val),
        "diverged": diverged, "seconds": seconds, "epochs_run": epochs_run,
        "worker": workers[np.arange(n) % n_workers],
        "seed": rng.integers(0, 2**31 - 1, size=n),
        "datetime_start": start.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "datetime_complete": (start + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%dT%H:%M:%S.%f"),
    })
    trials = pd.concat([trials, params], axis=1)
    meta = _meta(study, trials, n_workers=n_workers, n_epochs=n_epochs)
    return StudyExport.from_frames(trials, curves, meta)


def _curves(final: np.ndarray, diverged: np.ndarray, epochs_run: np.ndarray, rng: np.random.Generator, *,
            n_epochs: int, study: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Long-format curves (each trial up to its epochs_run), each trial's last and best val_acc."""
    n = len(final)
    epoch = np.arange(n_epochs)
    rise = 1.0 - np.exp(-(epoch[None, :] + 1.0) / 2.5)
    val_acc = np.clip(0.1 + (final[:, None] - 0.1) * rise + rng.normal(0, 0.005, (n, n_epochs)), 0.0, 1.0)
    train_acc = np.clip(val_acc + 0.02 * rise, 0.0, 1.0)
    train_loss = -np.log(np.clip(train_acc, 1e-3, None)) + 0.05
    val_loss = -np.log(np.clip(val_acc, 1e-3, None)) + 0.08
    last = np.clip(epochs_run - 1, 0, n_epochs - 1)
    rows = np.flatnonzero(diverged)
    val_acc[rows, last[rows]] = train_acc[rows, last[rows]] = 0.098
    train_loss[rows, last[rows]] = val_loss[rows, last[rows]] = np.nan
    present = epoch[None, :] < epochs_run[:, None]
    number = np.broadcast_to(np.arange(n)[:, None], (n, n_epochs))[present]
    epochs = np.broadcast_to(epoch[None, :], (n, n_epochs))[present]
    frames = [pd.DataFrame({"study": study, "number": number, "epoch": epochs, "metric": metric,
                            "value": values[present]})
              for metric, values in zip(METRICS, (train_acc, val_acc, train_loss, val_loss), strict=True)]
    best = np.where(present, val_acc, -np.inf).max(axis=1, initial=-np.inf)
    return pd.concat(frames, ignore_index=True), val_acc[np.arange(n), last], best


def _meta(study: str, trials: pd.DataFrame, *, n_workers: int, n_epochs: int) -> dict[str, object]:
    return {
        "study": study,
        "spec": {"name": study, "dataset": "synthetic", "model": "mlp", "epochs": n_epochs},
        "space": synthetic_space(), "seed": 20250101, "sampler": "TPESampler", "pruner": "MedianPruner",
        "direction": "maximize",
        "versions": {"hpsearch": "0.1.0", "numpy": np.__version__, "pandas": pd.__version__},
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": 2,
                    "platform": platform.platform(), "python": platform.python_version()},
        "blas": [{"user_api": "blas", "internal_api": "openblas", "num_threads": 1, "version": "synthetic"}],
        "wall_seconds": float(trials["seconds"].sum() / n_workers),
        "n_workers": n_workers,
        "importance": {"lr": 0.52, "optimizer": 0.21, "weight_decay": 0.14, "momentum": 0.06,
                       "hidden_layers": 0.04, "batch_size": 0.03},
        "parent": None,
        "created": "2025-01-01T00:00:00",
    }
