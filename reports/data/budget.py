"""A search under a budget, in pure pandas: the data of best-so-far against wall time and against epochs
spent (drawn by `reports.figures.budget`).

:func:`budget_history` is the pure extraction: every trial that trained (COMPLETE, PRUNED, or FAIL after a
stop) in completion order, the wall time since the first trial started, the epochs spent so far (samples
seen / training images, all trials summed) and the best validation score so far among the COMPLETE,
non-diverged trials (in the study's direction). Trials that report no samples (stopped by the budget or
Ctrl-C before finishing, whose partial work is not recorded) add no epochs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["budget_history"]


def budget_history(trials: pd.DataFrame, *, n_train: int, direction: str = "maximize") -> pd.DataFrame:
    """Columns: number, state, elapsed_s, epochs_spent, value, best (NaN until a COMPLETE trial scores)."""
    cols = ["number", "state", "elapsed_s", "epochs_spent", "value", "best", "diverged"]
    if trials.empty or n_train < 1:
        return pd.DataFrame(columns=cols)
    t = trials.copy()
    start = pd.to_datetime(t["datetime_start"], utc=True, errors="coerce")
    end = pd.to_datetime(t["datetime_complete"], utc=True, errors="coerce")
    t = t.assign(_end=end).loc[end.notna()].sort_values(["_end", "number"])
    if t.empty:
        return pd.DataFrame(columns=cols)
    elapsed = (t["_end"] - start.min()).dt.total_seconds().to_numpy()
    epochs = np.cumsum(t["samples"].to_numpy(dtype=float)) / float(n_train)
    value = t["value"].to_numpy(dtype=float)
    ok = (t["state"] == "COMPLETE").to_numpy() & ~t["diverged"].to_numpy(dtype=bool) & np.isfinite(value)
    scored = np.where(ok, value, np.nan)
    series = pd.Series(scored)
    running = (series.cummax() if direction == "maximize" else series.cummin()).ffill()
    return pd.DataFrame({
        "number": t["number"].to_numpy(), "state": t["state"].to_numpy(), "elapsed_s": elapsed,
        "epochs_spent": epochs, "value": value, "best": running.to_numpy(),
        "diverged": t["diverged"].to_numpy(dtype=bool),
    })
