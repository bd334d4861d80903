"""reports.data.narrowing on a hand-made narrowing record (conftest's narrowing_record): the rounds table, the
ranges and the step beyond the book in words."""

from __future__ import annotations

from reports.data.narrowing import beyond_in_words, ranges_in_words, rounds_table


def test_rounds_table_has_one_row_per_round_with_boxes(narrowing_record):
    table = rounds_table(narrowing_record)
    assert list(table["round"]) == [1, 2]
    assert table.loc[1, "lr"] == "[0.001, 0.1]"
    assert list(table["best"]) == [0.9, 0.93]


def test_ranges_in_words_say_what_was_searched_and_why(narrowing_record):
    words = ranges_in_words(narrowing_record)
    assert words[0] == "Round 1 (n-r1) searched weight_decay in [1e-08, 0.0001], lr in [1e-06, 0.01]."
    assert "the best 5 trials of n-r1 had lr in [0.002, 0.009]; pressed against the high bound" in words[1]
    assert words[-1].startswith("Stopped: round limit (2).")


def test_rule_text_reads_well_for_a_fraction_and_a_count(narrowing_record):
    fraction = {**narrowing_record, "rule": {**narrowing_record["rule"], "top_k": None, "top_fraction": 0.1}}
    assert "Rule: the top 10% of the trials, padding" in ranges_in_words(fraction)[-1]
    assert "Rule: the top 5 trials, padding" in ranges_in_words(narrowing_record)[-1]
    assert not any("top top" in w for w in ranges_in_words(fraction) + ranges_in_words(narrowing_record))


def test_beyond_in_words_names_the_pressed_bounds_the_step_and_its_gain(narrowing_record):
    record = {**narrowing_record, "final": {"chosen": {"study": "n-beyond"}}, "beyond": {
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
    skipped = {**narrowing_record, "beyond": {"widen": 0.0, "parent": "n-r2", "n_top": 5, "pressed": {}, "ran": False,
                                    "reason": "no step beyond the book was asked for (widen 0)"}}
    assert beyond_in_words(skipped)[1:] == ["No step beyond the book: no step beyond the book was asked for (widen 0)."]
    assert "pressed against no bound of its box" in beyond_in_words(skipped)[0]
    assert beyond_in_words(narrowing_record) == []
