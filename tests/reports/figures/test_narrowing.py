"""reports.figures.narrowing: the book's Best-k grid and score vs a parameter with every round's box, on
hand-made trials and curves."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports.figures.narrowing import best_k_grid, score_vs_param_rounds


def _trials(n, rng):
    return pd.DataFrame({"number": np.arange(n), "value": rng.random(n), "diverged": np.arange(n) % 4 == 0,
                         "lr": 10 ** rng.uniform(-6, -2, n), "weight_decay": 10 ** rng.uniform(-8, -4, n),
                         "param_lr": 10 ** rng.uniform(-6, -2, n), "round": 1 + np.arange(n) % 2})


def test_best_k_grid_draws_k_panels_with_two_curves_each():
    rng = np.random.default_rng(0)
    trials = _trials(7, rng).sort_values("value", ascending=False)
    curves = pd.DataFrame([{"number": n, "epoch": e, "metric": m, "value": rng.random()}
                           for n in range(7) for e in range(5) for m in ("val_acc", "train_acc")])
    ax = best_k_grid(trials, curves, k=6, cols=3)
    visible = [a for a in ax.figure.axes if a.get_visible()]
    assert len(visible) == 6
    assert all(len(a.lines) == 2 for a in visible)
    assert visible[0].get_title().startswith("Best-1 (")


def test_score_vs_param_shades_every_round_box_and_marks_diverged():
    rng = np.random.default_rng(1)
    ax = score_vs_param_rounds(_trials(12, rng), {1: (1e-6, 1e-2), 2: (1e-4, 1e-3)}, "lr")
    assert len(ax.patches) == 2  # one shaded span per round
    assert ax.get_xscale() == "log"
    offsets = [len(c.get_offsets()) for c in ax.collections]
    assert sum(offsets) == 12 and 3 in offsets  # 3 diverged (every 4th) drawn on their own
