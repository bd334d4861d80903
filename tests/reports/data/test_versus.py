"""The page of `hpsearch compare` from hand-made exports: comparable studies only, direction-aware best, honest
intervals, a winner only when its interval excludes the others, the settings that differ."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reports import StudyExport, render_study_comparison
from reports.compare_studies import check_comparable, settings_diff, study_scores, verdict


def _study(name: str, values: list[float], *, direction: str = "maximize", objective: str = "mlp",
           sampler: str = "random") -> StudyExport:
    n = len(values)
    trials = pd.DataFrame({
        "study": name, "number": np.arange(n), "state": "COMPLETE", "value": values, "best_val_acc": values,
        "diverged": False, "seconds": 1.0, "epochs_run": 2, "worker": "w", "seed": np.arange(n),
        "datetime_start": None, "datetime_complete": None, "param_lr": np.geomspace(1e-3, 1e-1, n)})
    curves = pd.DataFrame([{"study": name, "number": k, "epoch": e, "metric": "val_acc", "value": v * (e + 1) / 2}
                           for k, v in enumerate(values) for e in range(2)])
    meta = {"direction": direction, "sampler": sampler, "seed": 0,
            "spec": {"objective": objective, "sampler": sampler, "n_trials": n, "settings": {"epochs": 2}}}
    return StudyExport.from_frames(trials, curves, meta)


HIGH = [0.90, 0.91, 0.92, 0.93, 0.94]
LOW = [0.50, 0.51, 0.52, 0.53, 0.54]


def test_only_two_or_more_studies_of_one_direction_and_objective_compare():
    with pytest.raises(ValueError, match="two or more studies; got 1"):
        check_comparable([_study("a", HIGH)])
    with pytest.raises(ValueError, match="do not share a direction .a: maximize, b: minimize."):
        check_comparable([_study("a", HIGH), _study("b", LOW, direction="minimize")])
    with pytest.raises(ValueError, match="different metrics .objectives a: mlp, b: batch-norm."):
        check_comparable([_study("a", HIGH), _study("b", HIGH, objective="batch-norm")])


def test_best_follows_the_direction_and_intervals_need_three_trials():
    rng = np.random.default_rng(0)
    mins = study_scores([_study("a", HIGH, direction="minimize"), _study("b", [0.3, 0.2])], rng=rng, n_boot=200)
    assert mins.loc[0, "best"] == 0.90 and mins.loc[0, "best trial"] == 0  # a minimizing study's best: its minimum
    assert mins.loc[0, "mean_low"] < 0.92 < mins.loc[0, "mean_high"]
    assert np.isnan(mins.loc[1, "mean_low"]) and np.isnan(mins.loc[1, "median_high"])  # 2 trials: no CI
    winner, text = verdict(mins, "maximize")
    assert winner is None and text.startswith("No clear winner: b has fewer than 3 COMPLETE trials")


@pytest.mark.parametrize(("direction", "expected"), [("maximize", "high"), ("minimize", "low")])
def test_a_winner_only_when_its_interval_excludes_the_others(direction, expected):
    rng = np.random.default_rng(0)
    apart = study_scores([_study("high", HIGH), _study("low", LOW)], rng=rng, n_boot=500)
    winner, text = verdict(apart, direction)
    assert winner == expected and text.startswith(f"{expected} wins:")
    close = study_scores([_study("one", HIGH), _study("two", [v + 0.005 for v in HIGH])], rng=rng, n_boot=500)
    winner, text = verdict(close, direction)
    assert winner is None and "overlaps" in text


def test_settings_that_differ_and_the_page(tmp_path):
    a, b = _study("a", HIGH, sampler="random"), _study("b", LOW, sampler="tpe")
    diff = settings_diff([a, b])
    assert diff["setting"].tolist() == ["sampler"] and diff.loc[0, "a"] == "random" and diff.loc[0, "b"] == "tpe"
    page = render_study_comparison([a, b], out_dir=tmp_path).read_text(encoding="utf-8")
    assert "a wins:" in page and "winner: a" in page
    assert "Best score so far, every study on one axis" in page and page.count("<img") == 3
    with pytest.raises(ValueError, match="two or more studies"):
        render_study_comparison([a], out_dir=tmp_path / "x")
    assert not (tmp_path / "x").exists()
