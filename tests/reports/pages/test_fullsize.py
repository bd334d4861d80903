"""The full-size search page: best-so-far against wall time and epochs (hand-computed), the headline beside
the anchors, the search's cost, no interval on a single test score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports import StudyExport
from reports.budget import budget_history, plot_best_vs_epochs, plot_best_vs_time
from reports.fullsize_page import render_fullsize


def _trials() -> pd.DataFrame:
    # ends at +10 s, +20 s, +30 s, +40 s (number order 1, 0, 2, 3); trial 3 never ended (RUNNING)
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


def test_budget_history_orders_by_completion_and_keeps_the_best_complete_non_diverged():
    h = budget_history(_trials(), n_train=100)
    assert h["number"].tolist() == [1, 0, 2, 3]
    assert h["elapsed_s"].tolist() == [10.0, 20.0, 30.0, 40.0]
    assert h["epochs_spent"].tolist() == pytest.approx([0.5, 2.5, 5.5, 6.5])
    best = h["best"].tolist()
    assert np.isnan(best[0]) and best[1:] == [0.80, 0.85, 0.85]  # pruned: no score; diverged 0.90 never best
    low = budget_history(_trials().assign(value=[0.3, 0.1, 0.2, 0.05, np.nan]), n_train=100, direction="minimize")
    assert low["best"].tolist()[1:] == [0.3, 0.2, 0.2]


def test_budget_figures_draw_steps_and_points():
    h = budget_history(_trials(), n_train=100)
    ax = plot_best_vs_time(h)
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == "best so far"]
    assert line.get_drawstyle() == "steps-post"
    # the step holds each best from its trial's end; the last best is drawn on to the search's last trial
    assert list(line.get_xdata()) == pytest.approx([20 / 60, 30 / 60, 40 / 60, 40 / 60])
    assert list(line.get_ydata()) == [0.80, 0.85, 0.85, 0.85]
    ax = plot_best_vs_epochs(h)
    labels = {c.get_label() for c in ax.collections}
    assert {"complete trial", "pruned (last value)", "diverged"} <= labels  # trial 3 diverged: a red cross


def _export(final):
    meta = {"study": "fs", "direction": "maximize", "wall_seconds": 3600.4, "n_workers": 2,
            "runs": [{"wall_seconds": 3600.4, "time_budget": 3600.0, "out_of_time": True}], "final": final}
    return StudyExport.from_frames(_trials(), None, meta)


ANCHORS = {"MLP <b>": 0.8833, "2 conv + pooling + batch norm": 0.934}


def test_headline_puts_the_test_score_beside_the_anchors_with_the_cost(tmp_path):
    final = {"trial": 2, "value": 0.85, "retrain": "train+val", "n_train": 60000, "n_search_train": 100,
             "train_seconds": 321.0, "test_acc": 0.9012, "n_test": 10000, "params": {"lr": 0.3}}
    html = render_fullsize(_export(final), anchors=ANCHORS, out_dir=tmp_path).read_text()
    assert "Test accuracy 0.9012" in html and "retrained on training + validation" in html
    assert "no interval" in html
    assert "+0.0179" in html and "-0.0328" in html  # 0.9012 - 0.8833, 0.9012 - 0.934
    assert "MLP &lt;b&gt;" in html and "<b>MLP" not in html
    assert "3600 s" in html and "3 (1 diverged) / 1 / 0" in html and "321 s" in html and "6.5" in html


def test_without_a_final_pick_the_page_says_so(tmp_path):
    html = render_fullsize(_export(None), anchors=ANCHORS, out_dir=tmp_path, n_train=100).read_text()
    assert "No final pick yet" in html and "Test accuracy" not in html
