"""reports.data.final: the final pick's test scores over its retraining seeds (old one-seed records too), the
warm start's configurations and box, and the scheduling in words."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from reports.data.final import final_scores, prior_box, prior_configs, schedule_rows


def test_scores_over_three_seeds_have_mean_spread_and_a_t_interval():
    per_seed = [0.9012, 0.8987, 0.9041]
    scores = final_scores({"test_per_seed": per_seed, "seeds": [11, 12, 13], "seconds_per_seed": [3.0, 4.0, 5.0],
                           "test_acc": statistics.fmean(per_seed)})
    assert scores.n == 3 and scores.per_seed["seed"].tolist() == [11, 12, 13]
    assert scores.per_seed["test_acc"].tolist() == per_seed
    assert scores.per_seed["train_seconds"].tolist() == [3.0, 4.0, 5.0]
    assert scores.mean == pytest.approx(statistics.fmean(per_seed))
    assert scores.std == pytest.approx(statistics.stdev(per_seed))
    assert (scores.low, scores.high) == (min(per_seed), max(per_seed))
    low, high = scores.ci
    assert low < scores.mean < high and high - scores.mean == pytest.approx(scores.mean - low)
    assert high - low > scores.high - scores.low  # t with 2 degrees of freedom: wider than the range here


def test_one_or_two_seeds_give_no_interval_and_an_old_record_reads_as_one_seed():
    old = final_scores({"test_acc": 0.9, "seed": 7, "train_seconds": 12.0})
    assert old.n == 1 and old.mean == 0.9 and old.std is None and old.ci is None
    assert old.per_seed["seed"].tolist() == [7] and old.per_seed["train_seconds"].tolist() == [12.0]
    two = final_scores({"test_per_seed": [0.9, 0.92], "seeds": [1, 2], "test_acc": 0.91})
    assert two.n == 2 and two.ci is None and two.std == pytest.approx(np.std([0.9, 0.92], ddof=1))


def test_priors_and_schedule_as_tables():
    priors = {"configs": [{"params": {"lr": 0.001, "optimizer": "adam"}, "source": "book defaults"},
                          {"params": {"lr": 0.0123456}, "source": "study fm-1 trial 17"}],
              "box": {"lr": [1e-4, 0.1]}, "startup_trials": 8, "box_source": "study fm-1"}
    configs = prior_configs(priors)
    assert configs["source"].tolist() == ["book defaults", "study fm-1 trial 17"]
    assert configs["params"].tolist() == ["lr=0.001, optimizer=adam", "lr=0.01235"]
    assert prior_box(priors).to_dict("records") == [{"param": "lr", "low": 1e-4, "high": 0.1}]
    assert prior_box({**priors, "box": None}).empty and prior_configs(None).empty
    rows = dict(schedule_rows({"pruner": "asha-cost", "resource": "seconds", "min_resource": 30.0,
                               "reduction_factor": 3, "rungs": [30.0, 90.0, 270.0], "max_trial_seconds": None,
                               "endgame_seconds": 120.0}))
    assert rows["rungs"] == "30 s, 90 s, 270 s" and rows["longest trial"] == "no cap"
    assert rows["reduction factor"] == "3" and schedule_rows(None) == []
    assert rows["end game"] == "no new trial starts in the last 120 s"
    # as hpsearch stores it (hpsearch.samplers.asha.CostSchedule.to_dict)
    stored = {"min_resource": 36.0, "reduction_factor": 3, "max_trial_seconds": 1800.0, "endgame": True,
              "pruner": "asha-cost", "resource": "seconds", "rungs": [36.0, 108.0, 324.0, 972.0]}
    rows = dict(schedule_rows(stored))
    assert rows["end game"].startswith("on: no trial starts") and rows["longest trial"] == "1800 s"
    assert "a trial whose pace says it cannot finish by then stops" in rows["end game"]
    assert rows["first rung (min resource)"] == "36 s" and rows["rungs"] == "36 s, 108 s, 324 s, 972 s"
    assert dict(schedule_rows({**stored, "endgame": False}))["end game"] == "off"
