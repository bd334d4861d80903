"""reports.pages.fullsize, the full-size search page (conftest's budget_trials): the headline beside the
anchors, the search's cost, no interval on a single test score."""

from __future__ import annotations

from reports import StudyExport
from reports.pages.fullsize import render_fullsize


def _export(trials, final):
    meta = {"study": "fs", "direction": "maximize", "wall_seconds": 3600.4, "n_workers": 2,
            "runs": [{"wall_seconds": 3600.4, "time_budget": 3600.0, "out_of_time": True}], "final": final}
    return StudyExport.from_frames(trials, None, meta)


ANCHORS = {"MLP <b>": 0.8833, "2 conv + pooling + batch norm": 0.934}


def test_headline_puts_the_test_score_beside_the_anchors_with_the_cost(tmp_path, budget_trials):
    final = {"trial": 2, "value": 0.85, "retrain": "train+val", "n_train": 60000, "n_search_train": 100,
             "train_seconds": 321.0, "test_acc": 0.9012, "n_test": 10000, "params": {"lr": 0.3}}
    html = render_fullsize(_export(budget_trials, final), anchors=ANCHORS, out_dir=tmp_path).read_text()
    assert "Test accuracy 0.9012" in html and "retrained on training + validation" in html
    assert "no interval" in html
    assert "+0.0179" in html and "-0.0328" in html  # 0.9012 - 0.8833, 0.9012 - 0.934
    assert "MLP &lt;b&gt;" in html and "<b>MLP" not in html
    assert "3600 s" in html and "3 (1 diverged) / 1 / 0" in html and "321 s" in html and "6.5" in html


def test_without_a_final_pick_the_page_says_so(tmp_path, budget_trials):
    html = render_fullsize(_export(budget_trials, None), anchors=ANCHORS, out_dir=tmp_path, n_train=100).read_text()
    assert "No final pick yet" in html and "Test accuracy" not in html


def test_without_anchors_no_comparison_table_is_drawn(tmp_path, budget_trials):
    final = {"trial": 2, "value": 0.85, "retrain": "train", "n_train": 100, "n_search_train": 100,
             "train_seconds": 3.0, "test_acc": 0.9012, "n_test": 1000, "params": {"lr": 0.3}}
    html = render_fullsize(_export(budget_trials, final), anchors={}, out_dir=tmp_path).read_text()
    assert "Test accuracy 0.9012" in html and "No published results on this data set" in html
    assert "this search minus it" not in html
