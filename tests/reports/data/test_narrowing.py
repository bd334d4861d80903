"""Narrowing report: data layer (rounds table, ranges in words, figures' artists) on hand-made records."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports.figures_narrowing import best_k_grid, score_vs_param_rounds
from reports.narrowing import beyond_in_words, ranges_in_words, rounds_table

SPACE1 = {"weight_decay": {"type": "float", "low": 1e-8, "high": 1e-4, "log": True, "fixed": None},
          "lr": {"type": "float", "low": 1e-6, "high": 1e-2, "log": True, "fixed": None}}
SPACE2 = {"weight_decay": {"type": "float", "low": 1e-7, "high": 1e-5, "log": True, "fixed": None},
          "lr": {"type": "float", "low": 1e-3, "high": 0.1, "log": True, "fixed": None}}
RECORD = {
    "name": "n", "stop_reason": "round limit (2)",
    "rule": {"top_k": 5, "top_fraction": None, "padding": 0.25, "min_pad": 0.05, "press": 0.05, "widen": 0.25,
             "hard_limits": {}},
    "rounds": [
        {"round": 1, "study": "n-r1", "space": SPACE1, "n_trials": 100, "diverged": 3, "best": 0.9,
         "median": 0.2, "seconds": 20.0, "narrowing": None},
        {"round": 2, "study": "n-r2", "space": SPACE2, "n_trials": 100, "diverged": 0, "best": 0.93,
         "median": 0.8, "seconds": 21.0,
         "narrowing": {"parent": "n-r1", "n_top": 5, "params": {
             "lr": {"old": [1e-6, 1e-2], "new": [1e-3, 0.1], "top": [2e-3, 9e-3], "pressed": ["high"]},
             "weight_decay": {"old": [1e-8, 1e-4], "new": [1e-7, 1e-5], "top": [3e-7, 4e-6], "pressed": []}}}},
    ],
}


def test_rounds_table_has_one_row_per_round_with_boxes():
    table = rounds_table(RECORD)
    assert list(table["round"]) == [1, 2]
    assert table.loc[1, "lr"] == "[0.001, 0.1]"
    assert list(table["best"]) == [0.9, 0.93]


def test_ranges_in_words_say_what_was_searched_and_why():
    words = ranges_in_words(RECORD)
    assert words[0] == "Round 1 (n-r1) searched weight_decay in [1e-08, 0.0001], lr in [1e-06, 0.01]."
    assert "the best 5 trials of n-r1 had lr in [0.002, 0.009]; pressed against the high bound" in words[1]
    assert words[-1].startswith("Stopped: round limit (2).")


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


def test_rule_text_reads_well_for_a_fraction_and_a_count():
    fraction = {**RECORD, "rule": {**RECORD["rule"], "top_k": None, "top_fraction": 0.1}}
    assert "Rule: the top 10% of the trials, padding" in ranges_in_words(fraction)[-1]
    assert "Rule: the top 5 trials, padding" in ranges_in_words(RECORD)[-1]
    assert not any("top top" in w for w in ranges_in_words(fraction) + ranges_in_words(RECORD))


def test_the_page_cites_the_book_and_gives_the_final_pick_a_roomy_card(tmp_path, make_export):
    import json

    from reports import render_narrowing, write_export

    runs = tmp_path / "runs"
    for name in ("n-r1", "n-r2"):
        write_export(make_export(name), runs / name / "export")
    pick = {"study": "n-r2", "params": {"lr": 0.005, "weight_decay": 1e-6}, "search_value": 0.9, "val_mean": 0.88}
    final = {"chosen": pick, "candidates": [pick], "test_mean": 0.87, "test_per_seed": [0.86, 0.87, 0.88],
             "dataset": "mnist-5k"}
    (runs / "n").mkdir()
    (runs / "n" / "narrowing.json").write_text(json.dumps({**RECORD, "final": final}), encoding="utf-8")
    page = render_narrowing(runs / "n", render_rounds=False).read_text(encoding="utf-8")
    assert "Deep Learning from Scratch, section 6.5 (figure 6-24)" in page
    assert "figure 6-24 (Deep Learning from Scratch, section 6.5): validation accuracy solid" in page
    assert "(2.1)" not in page and "(2.5)" not in page and "top top" not in page
    assert '<div class="card wide"><h3>Final pick</h3>' in page


def test_beyond_in_words_names_the_pressed_bounds_the_step_and_its_gain():
    record = {**RECORD, "final": {"chosen": {"study": "n-beyond"}}, "beyond": {
        "widen": 0.25, "parent": "n-r2", "n_top": 5, "pressed": {"lr": ["high"]}, "ran": True, "study": "n-beyond",
        "params": {"lr": {"old": [1e-3, 0.1], "new": [1e-3, 1.0], "widened": ["high"]}},
        "best": 0.95, "median": 0.9, "book_best": 0.93, "gain": 0.02}}
    words = beyond_in_words(record)
    assert words[0].endswith("The best 5 trials of n-r2 (its last round) pressed against lr's high bound (0.1).")
    assert "study n-beyond searched past the pressed side(s), moved out by 0.25 x the width of the first round's " \
           "box (within the hard limits): lr [0.001, 0.1] -> [0.001, 1]." in words[1]
    assert words[2].startswith("What it gained: best search score 0.950 beyond the book vs 0.930 in the book's "
                               "rounds (+0.020)")
    assert words[3] == "The final pick came from n-beyond: beyond the book."
    skipped = {**RECORD, "beyond": {"widen": 0.0, "parent": "n-r2", "n_top": 5, "pressed": {}, "ran": False,
                                    "reason": "no step beyond the book was asked for (widen 0)"}}
    assert beyond_in_words(skipped)[1:] == ["No step beyond the book: no step beyond the book was asked for (widen 0)."]
    assert "pressed against no bound of its box" in beyond_in_words(skipped)[0]
    assert beyond_in_words(RECORD) == []
