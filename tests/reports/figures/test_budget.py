"""reports.figures.budget: the best-so-far steps and every trial's point against wall time and epochs spent
(conftest's budget_trials)."""

from __future__ import annotations

import pytest

from reports.data.budget import budget_history
from reports.figures.budget import plot_best_vs_epochs, plot_best_vs_time


def test_budget_figures_draw_steps_and_points(budget_trials):
    h = budget_history(budget_trials, n_train=100)
    ax = plot_best_vs_time(h)
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "best so far"]
    assert line.get_drawstyle() == "steps-post"
    # the step holds each best from its trial's end; the last best is drawn on to the search's last trial
    assert list(line.get_xdata()) == pytest.approx([20 / 60, 30 / 60, 40 / 60, 40 / 60])
    assert list(line.get_ydata()) == [0.80, 0.85, 0.85, 0.85]
    ax = plot_best_vs_epochs(h)
    labels = {c.get_label() for c in ax.collections}
    assert {"complete trial", "pruned (last value)", "diverged"} <= labels  # trial 3 diverged: a red cross
