"""reports.data.budget: best so far against wall time and epochs spent, hand-computed on conftest's
budget_trials."""

from __future__ import annotations

import numpy as np
import pytest

from reports.data.budget import budget_history


def test_budget_history_orders_by_completion_and_keeps_the_best_complete_non_diverged(budget_trials):
    h = budget_history(budget_trials, n_train=100)
    assert h["number"].tolist() == [1, 0, 2, 3]
    assert h["elapsed_s"].tolist() == [10.0, 20.0, 30.0, 40.0]
    assert h["epochs_spent"].tolist() == pytest.approx([0.5, 2.5, 5.5, 6.5])
    best = h["best"].tolist()
    assert np.isnan(best[0]) and best[1:] == [0.80, 0.85, 0.85]  # pruned: no score; diverged 0.90 never best
    low = budget_history(budget_trials.assign(value=[0.3, 0.1, 0.2, 0.05, np.nan]), n_train=100, direction="minimize")
    assert low["best"].tolist()[1:] == [0.3, 0.2, 0.2]
