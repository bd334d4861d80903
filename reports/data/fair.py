"""The fair optimizer comparison in pure pandas: tuning studies (one per optimizer and tuning seed, the same
budget) and the test study (every optimizer's defaults and tuned configurations on the same seeds).

`sensitivity_frame` (every tuning trial's lr and score), `divergence_table` (where each optimizer starts to
diverge, and its best trial), `test_frame` and `default_vs_tuned` (test accuracy per optimizer and kind with
a bootstrap CI). The configurations (label -> optimizer, kind, tuning seed, params) are read from the test
export's meta (``spec.settings.configs``), as hpsearch's ``mlp-test`` objective stores them. The page is
`reports.pages.fair`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from reports.data.book import params_frame
from reports.data.stats import MIN_CI, bootstrap_ci
from reports.data.study import best_index
from reports.load import StudyExport


def sensitivity_frame(tuning: Sequence[StudyExport]) -> pd.DataFrame:
    """Every COMPLETE tuning trial: optimizer, tuning_seed, study, number, lr, value, diverged."""
    parts = []
    for exp in tuning:
        p = params_frame(exp.trials).merge(exp.trials[["number", "value"]], on="number")
        parts.append(p.assign(study=exp.study, tuning_seed=exp.meta.get("seed")))
    if not parts:
        return pd.DataFrame(columns=["optimizer", "tuning_seed", "study", "number", "lr", "value", "diverged"])
    return pd.concat(parts, ignore_index=True)


def divergence_table(sens: pd.DataFrame, direction: str = "maximize") -> pd.DataFrame:
    """Per optimizer: trials, diverged trials, the smallest diverged lr ('diverges from lr'), the largest lr
    that did not diverge with its score (not diverging is not learning: a score at chance shows it), and the
    best trial's lr and score (non-diverged trials; best in `direction`)."""
    rows = []
    for name, sub in sens.groupby("optimizer", sort=False):
        div = sub["diverged"].to_numpy(dtype=bool)
        ok = sub.loc[~div] if (~div).any() else sub
        best = ok.loc[best_index(ok["value"], direction)]
        largest = sub.loc[~div].sort_values("lr").iloc[-1] if (~div).any() else None
        rows.append({"optimizer": name, "trials": len(sub), "diverged": int(div.sum()),
                     "diverges from lr": float(sub.loc[div, "lr"].min()) if div.any() else float("nan"),
                     "largest lr not diverged": float("nan") if largest is None else float(largest["lr"]),
                     "its val acc": float("nan") if largest is None else float(largest["value"]),
                     "best lr": float(best["lr"]), "best val acc": float(best["value"])})
    return pd.DataFrame(rows)


def test_frame(test: StudyExport) -> pd.DataFrame:
    """Every COMPLETE test run: config, seed, optimizer, kind, tuning_seed, lr, value (test accuracy)."""
    configs = ((test.meta.get("spec") or {}).get("settings") or {}).get("configs") or []
    table = pd.DataFrame([{"config": c["label"], "optimizer": c["optimizer"], "kind": c["kind"],
                           "tuning_seed": c.get("tuning_seed"), "lr": (c.get("params") or {}).get("lr")}
                          for c in configs], columns=["config", "optimizer", "kind", "tuning_seed", "lr"])
    runs = params_frame(test.trials).merge(test.trials[["number", "value"]], on="number")
    return runs.merge(table, on="config", how="left")


def _cluster_ci(values: np.ndarray, clusters: np.ndarray, *, rng: np.random.Generator, n_boot: int
                ) -> tuple[float, float]:
    """Percentile-bootstrap CI of the mean that resamples whole clusters (a tuning seed with all its training
    seeds), so runs that share a tuning seed count once; (nan, nan) from fewer than MIN_CI clusters."""
    keys, inverse = np.unique(clusters, return_inverse=True)
    if len(keys) < MIN_CI:
        return float("nan"), float("nan")
    sums = np.bincount(inverse, weights=values)
    counts = np.bincount(inverse).astype(float)
    pick = rng.integers(0, len(keys), size=(int(n_boot), len(keys)))
    means = sums[pick].sum(axis=1) / counts[pick].sum(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(low), float(high)


def default_vs_tuned(runs: pd.DataFrame, *, rng: np.random.Generator, n_boot: int = 1000) -> pd.DataFrame:
    """Per optimizer and kind: mean test accuracy with a bootstrap CI. Defaults: over their runs (training
    seeds). Tuned: over the tuning seeds (each with all its training seeds; ``tuning_seed`` column), since
    the tuning is what varies most, so two tuning seeds give no interval however many training seeds ran."""
    rows = []
    for (name, kind), sub in runs.groupby(["optimizer", "kind"], sort=False):
        values = sub["value"].to_numpy(dtype=float)
        tuned = kind == "tuned" and "tuning_seed" in sub and sub["tuning_seed"].notna().all()
        if tuned:
            clusters = sub["tuning_seed"].to_numpy()
            low, high = _cluster_ci(values, clusters, rng=rng, n_boot=n_boot)
        else:
            low, high = bootstrap_ci(values, rng=rng, n_boot=n_boot)
        lrs = ", ".join(f"{v:.3g}" for v in sorted(sub["lr"].dropna().unique()))
        rows.append({"optimizer": name, "kind": kind, "runs": len(values), "mean": float(np.mean(values)),
                     "low": low, "high": high, "lr": lrs,
                     "tuning seeds": int(sub["tuning_seed"].nunique()) if tuned else None})
    return pd.DataFrame(rows, columns=["optimizer", "kind", "runs", "mean", "low", "high", "lr", "tuning seeds"])
