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
from reports.data.stats import bootstrap_ci
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
    that did not diverge, and the best trial's lr and score (non-diverged trials; best in `direction`)."""
    rows = []
    for name, sub in sens.groupby("optimizer", sort=False):
        div = sub["diverged"].to_numpy(dtype=bool)
        ok = sub.loc[~div] if (~div).any() else sub
        best = ok.loc[best_index(ok["value"], direction)]
        rows.append({"optimizer": name, "trials": len(sub), "diverged": int(div.sum()),
                     "diverges from lr": float(sub.loc[div, "lr"].min()) if div.any() else float("nan"),
                     "largest stable lr": float(sub.loc[~div, "lr"].max()) if (~div).any() else float("nan"),
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


def default_vs_tuned(runs: pd.DataFrame, *, rng: np.random.Generator, n_boot: int = 1000) -> pd.DataFrame:
    """Per optimizer and kind: mean test accuracy with a bootstrap CI over its runs (seeds x tuning seeds)."""
    rows = []
    for (name, kind), sub in runs.groupby(["optimizer", "kind"], sort=False):
        values = sub["value"].to_numpy(dtype=float)
        low, high = bootstrap_ci(values, rng=rng, n_boot=n_boot)
        lrs = ", ".join(f"{v:.3g}" for v in sorted(sub["lr"].dropna().unique()))
        rows.append({"optimizer": name, "kind": kind, "runs": len(values), "mean": float(np.mean(values)),
                     "low": low, "high": high, "lr": lrs})
    return pd.DataFrame(rows, columns=["optimizer", "kind", "runs", "mean", "low", "high", "lr"])
