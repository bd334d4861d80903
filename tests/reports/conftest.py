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

Below the tiny study, the hand-made inputs of the other subjects whose data, figures and page are tested in
`data/`, `figures/` and `pages/` alike: book-experiment exports, the user's studies for `hpsearch compare`,
a benchmark export's tables, a search under a time budget, a range-narrowing record.
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


def _book_export(params: dict[str, list], curves: dict[int, dict[str, list[float]]], *, values=None, diverged=None,
                 meta=None):
    from reports import StudyExport

    n = len(next(iter(params.values())))
    trials = pd.DataFrame({
        "study": "s", "number": np.arange(n), "state": "COMPLETE",
        "value": values if values is not None else np.linspace(0.1, 0.9, n),
        "best_val_acc": 0.0, "diverged": diverged if diverged is not None else [False] * n, "seconds": 1.0,
        "epochs_run": 1, "worker": "w", "seed": 0, "datetime_start": None, "datetime_complete": None,
        **{f"param_{k}": v for k, v in params.items()}})
    rows = [{"study": "s", "number": k, "epoch": e, "metric": m, "value": v}
            for k, per in curves.items() for m, vals in per.items() for e, v in enumerate(vals)]
    frame = pd.DataFrame(rows, columns=["study", "number", "epoch", "metric", "value"])
    return StudyExport.from_frames(trials, frame, meta or {})


@pytest.fixture
def make_book_export() -> Callable[..., object]:
    """A factory: make_book_export(params, curves, *, values=None, diverged=None, meta=None) -> StudyExport of
    a book experiment: one COMPLETE trial per row of `params` (values 0.1..0.9 unless given), `curves`
    {trial number: {metric: values per epoch}}."""
    return _book_export


def _study(name: str, values: list[float], *, direction: str = "maximize", objective: str = "mlp",
           sampler: str = "random"):
    from reports import StudyExport

    n = len(values)
    trials = pd.DataFrame({
        "study": name, "number": np.arange(n), "state": "COMPLETE", "value": values, "best_val_acc": values,
        "diverged": False, "seconds": 1.0, "epochs_run": 2, "worker": "w", "seed": np.arange(n),
        "datetime_start": None, "datetime_complete": None, "param_lr": np.geomspace(1e-3, 1e-1, n)})
    curves = pd.DataFrame([{"study": name, "number": k, "epoch": e, "metric": "val_acc", "value": v * (e + 1) / 2}
                           for k, v in enumerate(values) for e in range(2)])
    meta = {"direction": direction, "sampler": sampler, "seed": 0,
            "spec": {"objective": objective, "sampler": sampler, "n_trials": n, "settings": {"epochs": 2}}}
    return StudyExport.from_frames(trials, curves, meta)


@pytest.fixture
def make_study() -> Callable[..., object]:
    """A factory: make_study(name, values, *, direction, objective, sampler) -> StudyExport of a user's study
    (every trial COMPLETE with the given scores), as `hpsearch compare` compares them."""
    return _study


BENCH_METHODS = ["random", "tpe"]


@pytest.fixture
def bench_tables(nasty: str) -> dict[str, pd.DataFrame]:
    """The tables of a benchmark export: methods random and tpe on tasks "book" and `nasty`."""
    x = np.linspace(0, 10, 3)
    bsf = pd.DataFrame([{"task": t, "method": m, "axis": a, "x": xi, "n": 3, "runs": 3,
                         "iqm": 0.5 + 0.01 * xi, "iqm_low": 0.45, "iqm_high": 0.7, "median": 0.5, "q25": 0.4,
                         "q75": 0.6} for t in ("book", nasty) for m in BENCH_METHODS for a in ("epochs", "seconds")
                        for xi in x])
    ttt = pd.DataFrame([{"task": t, "method": m, "target": 0.6, "runs": 3, "success": 0.5, "median": 5.0,
                         "q25": 2.0, "q75": np.inf, "ert": 10.0 if m == "random" else 5.0, "ert_low": 4.0,
                         "ert_high": np.inf, "speedup": 1.0 if m == "random" else 2.0, "speedup_low": 0.5,
                         "speedup_high": np.inf, "limit": 10.0, "axis": a}
                        for t in ("book", nasty) for m in BENCH_METHODS for a in ("epochs", "seconds")])
    final = pd.DataFrame([{"task": t, "method": m, **{f"{k}_{s}": v for k in ("val", "test") for s, v in
                          (("n", 3), ("iqm", 0.6), ("iqm_low", 0.5), ("iqm_high", 0.7), ("median", 0.6),
                           ("q25", 0.55), ("q75", 0.65))}} for t in ("book", nasty) for m in BENCH_METHODS])
    ranking = pd.DataFrame([{"task": t, "method": m, "criterion": c, "rank": 1.0 if m == "tpe" else 2.0}
                            for t in ("book", nasty) for m in BENCH_METHODS for c in ("final score (IQM)", "ERT")])
    profile = pd.DataFrame([{"method": m, "tau": tau, "fraction": f, "axis": a} for m in BENCH_METHODS
                            for a in ("epochs", "seconds") for tau, f in ((1.0, 0.5), (2.0, 1.0))])
    runs = pd.DataFrame([{"task": t, "method": m, "seed": s, "best_value": 0.6, "test_acc": 0.6}
                         for t in ("book", nasty) for m in BENCH_METHODS for s in (0, 1)])
    return {"best_so_far": bsf, "time_to_target": ttt, "final": final, "ranking": ranking, "profile": profile,
            "runs": runs}


@pytest.fixture
def budget_trials() -> pd.DataFrame:
    """A search under a time budget: trials end at +10 s, +20 s, +30 s, +40 s (number order 1, 0, 2, 3);
    trial 4 never ended (RUNNING); trial 3 diverged."""
    return pd.DataFrame({
        "study": "fs", "number": [0, 1, 2, 3, 4],
        "state": ["COMPLETE", "PRUNED", "COMPLETE", "COMPLETE", "RUNNING"],
        "value": [0.80, 0.50, 0.85, 0.90, np.nan],
        "best_val_acc": [0.8, 0.5, 0.85, 0.95, np.nan],
        "diverged": [False, False, False, True, False],
        "seconds": [10.0, 5.0, 20.0, 30.0, np.nan],
        "samples": [200, 50, 300, 100, 0],
        "epochs_run": [4, 1, 6, 2, 0],
        "worker": "h:1", "seed": [1, 2, 3, 4, 5],
        "datetime_start": ["2026-01-01T00:00:00", "2026-01-01T00:00:05", "2026-01-01T00:00:10",
                           "2026-01-01T00:00:20", "2026-01-01T00:00:30"],
        "datetime_complete": ["2026-01-01T00:00:20", "2026-01-01T00:00:10", "2026-01-01T00:00:30",
                              "2026-01-01T00:00:40", None],
        "param_lr": [0.1, 0.2, 0.3, 0.4, 0.5],
    })


@pytest.fixture
def narrowing_record() -> dict:
    """A two-round narrowing.json record: round 2 narrowed by round 1's best 5 trials (lr pressed high)."""
    space1 = {"weight_decay": {"type": "float", "low": 1e-8, "high": 1e-4, "log": True, "fixed": None},
              "lr": {"type": "float", "low": 1e-6, "high": 1e-2, "log": True, "fixed": None}}
    space2 = {"weight_decay": {"type": "float", "low": 1e-7, "high": 1e-5, "log": True, "fixed": None},
              "lr": {"type": "float", "low": 1e-3, "high": 0.1, "log": True, "fixed": None}}
    return {
        "name": "n", "stop_reason": "round limit (2)",
        "rule": {"top_k": 5, "top_fraction": None, "padding": 0.25, "min_pad": 0.05, "press": 0.05, "widen": 0.25,
                 "hard_limits": {}},
        "rounds": [
            {"round": 1, "study": "n-r1", "space": space1, "n_trials": 100, "diverged": 3, "best": 0.9,
             "median": 0.2, "seconds": 20.0, "narrowing": None},
            {"round": 2, "study": "n-r2", "space": space2, "n_trials": 100, "diverged": 0, "best": 0.93,
             "median": 0.8, "seconds": 21.0,
             "narrowing": {"parent": "n-r1", "n_top": 5, "params": {
                 "lr": {"old": [1e-6, 1e-2], "new": [1e-3, 0.1], "top": [2e-3, 9e-3], "pressed": ["high"]},
                 "weight_decay": {"old": [1e-8, 1e-4], "new": [1e-7, 1e-5], "top": [3e-7, 4e-6], "pressed": []}}}},
        ],
    }
