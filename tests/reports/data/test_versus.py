"""reports.data.versus, the data of `hpsearch compare`'s page, from hand-made studies (conftest's make_study):
comparable studies only, direction-aware best, honest intervals, a winner only when its interval excludes the
others."""

from __future__ import annotations

import numpy as np
import pytest

from reports.data.versus import check_comparable, settings_diff, study_scores, verdict

HIGH = [0.90, 0.91, 0.92, 0.93, 0.94]
LOW = [0.50, 0.51, 0.52, 0.53, 0.54]


def test_only_two_or_more_studies_of_one_direction_and_objective_compare(make_study):
    with pytest.raises(ValueError, match="two or more studies; got 1"):
        check_comparable([make_study("a", HIGH)])
    with pytest.raises(ValueError, match="do not share a direction .a: maximize, b: minimize."):
        check_comparable([make_study("a", HIGH), make_study("b", LOW, direction="minimize")])
    with pytest.raises(ValueError, match="different metrics .objectives a: mlp, b: batch-norm."):
        check_comparable([make_study("a", HIGH), make_study("b", HIGH, objective="batch-norm")])


def test_best_follows_the_direction_and_intervals_need_three_trials(make_study):
    rng = np.random.default_rng(0)
    mins = study_scores([make_study("a", HIGH, direction="minimize"), make_study("b", [0.3, 0.2])], rng=rng, n_boot=200)
    assert mins.loc[0, "best"] == 0.90 and mins.loc[0, "best trial"] == 0  # a minimizing study's best: its minimum
    assert mins.loc[0, "mean_low"] < 0.92 < mins.loc[0, "mean_high"]
    assert np.isnan(mins.loc[1, "mean_low"]) and np.isnan(mins.loc[1, "median_high"])  # 2 trials: no CI
    winner, text = verdict(mins, "maximize")
    assert winner is None and text.startswith("No clear winner: b has fewer than 3 COMPLETE trials")


@pytest.mark.parametrize(("direction", "expected"), [("maximize", "high"), ("minimize", "low")])
def test_a_winner_only_when_its_interval_excludes_the_others(direction, expected, make_study):
    rng = np.random.default_rng(0)
    apart = study_scores([make_study("high", HIGH), make_study("low", LOW)], rng=rng, n_boot=500)
    winner, text = verdict(apart, direction)
    assert winner == expected and text.startswith(f"{expected} wins:")
    close = study_scores([make_study("one", HIGH), make_study("two", [v + 0.005 for v in HIGH])], rng=rng, n_boot=500)
    winner, text = verdict(close, direction)
    assert winner is None and "overlaps" in text


def test_settings_that_differ(make_study):
    a, b = make_study("a", HIGH, sampler="random"), make_study("b", LOW, sampler="tpe")
    diff = settings_diff([a, b])
    assert diff["setting"].tolist() == ["sampler"] and diff.loc[0, "a"] == "random" and diff.loc[0, "b"] == "tpe"
