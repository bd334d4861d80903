"""reports.data.study on the hand-made tiny study (see conftest.py for its table)."""

from __future__ import annotations

import numpy as np
import pytest

from reports.data import study as S


def test_state_counts_include_every_state_diverged_and_total(trials):
    counts = S.state_counts(trials)
    assert counts.to_dict() == {"COMPLETE": 5, "PRUNED": 1, "FAIL": 1, "RUNNING": 1, "WAITING": 0,
                                "DIVERGED": 1, "TOTAL": 8}
    assert list(counts.index[:5]) == ["COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING"]


def test_unknown_states_are_counted_too(trials):
    trials.loc[7, "state"] = "ZOMBIE"
    assert S.state_counts(trials)["ZOMBIE"] == 1


def test_best_trial_per_direction(trials):
    assert S.best_trial(trials, "maximize")["number"] == 5
    assert S.best_trial(trials, "minimize")["number"] == 6


def test_no_best_trial_without_a_complete_value(trials):
    trials["state"] = "FAIL"
    assert S.best_trial(trials) is None
    assert S.top_k(trials, 5).empty
    assert S.best_so_far(trials).empty


def test_trial_params_leave_out_absent_conditional_ones(trials):
    assert S.trial_params(trials.loc[0]) == {"lr": 1e-3, "weight_decay": 1e-4, "optimizer": "sgd"}
    assert S.trial_params(trials.loc[1])["momentum"] == 0.9


def test_top_k_is_best_first_with_ties_by_number(trials):
    top = S.top_k(trials, 3)
    assert top["number"].tolist() == [5, 1, 3]  # 1 and 3 tie at 0.7
    assert top["rank"].tolist() == [1, 2, 3]
    assert {"lr", "weight_decay", "optimizer", "momentum", "seconds", "diverged"} <= set(top.columns)
    # the export's epochs_run counts evaluations: shown under that name, with its values
    assert "epochs_run" not in top.columns
    assert top["evaluations_run"].tolist() == trials.set_index("number").loc[[5, 1, 3], "epochs_run"].tolist()
    assert S.top_k(trials, 3, "minimize")["number"].tolist() == [6, 0, 1]
    assert len(S.top_k(trials, 100)) == 5


def test_best_so_far_follows_trial_numbers(trials):
    hist = S.best_so_far(trials)
    assert hist["number"].tolist() == [0, 1, 3, 5, 6]
    assert hist["best"].tolist() == [0.5, 0.7, 0.7, 0.9, 0.9]
    assert hist["index"].tolist() == [1, 2, 3, 4, 5]
    assert hist["diverged"].tolist() == [False, False, False, False, True]
    assert S.best_so_far(trials, "minimize")["best"].tolist() == [0.5, 0.5, 0.5, 0.5, 0.1]


def test_param_frame_keeps_complete_trials_that_have_the_param(trials):
    frame = S.param_frame(trials, "weight_decay")
    assert frame["number"].tolist() == [0, 1, 5, 6]  # 3 lacks it; 2, 4, 7 are not COMPLETE
    assert frame["diverged"].tolist() == [False, False, False, True]
    assert S.param_frame(trials, "momentum")["number"].tolist() == [1, 3]
    with pytest.raises(KeyError, match="'nope'"):
        S.param_frame(trials, "nope")


def test_time_and_seed_summaries(trials, meta):
    times = S.time_summary(trials, meta)
    assert times["trial_seconds_total"] == 36.0
    assert times["trial_seconds_mean"] == 4.5 and times["trial_seconds_median"] == 4.5
    assert times["wall_seconds"] == 19.5 and times["n_workers"] == 2 and times["workers_seen"] == 2
    seeds = S.seed_summary(trials, meta)
    assert seeds == {"study_seed": 42, "trial_seeds": 8, "trial_seed_min": 100, "trial_seed_max": 107}


def test_curve_wide_pivots_one_metric(curves):
    wide = S.curve_wide(curves, "val_acc", [2, 5])
    assert wide.index.tolist() == [2, 5] and wide.columns.tolist() == [0, 1, 2]
    assert np.isnan(wide.loc[2, 2])
    assert wide.loc[5, 2] == pytest.approx(0.9)
    assert S.curve_wide(curves, "no_such_metric").empty


def test_parallel_frame_normalises_log_categorical_and_score(trials):
    data = S.parallel_frame(trials, ["lr", "optimizer", "momentum"], log={"lr"}, categorical={"optimizer"})
    assert data.names == ["lr", "optimizer", "momentum", "score"]
    assert data.numbers.tolist() == [0, 1, 3, 5, 6]
    # lr log10: -3, -2, -1, -3, 0 -> (x + 3) / 3
    np.testing.assert_allclose(data.matrix[:, 0], [0, 1 / 3, 2 / 3, 0, 1])
    # categories sorted by (length, text): sgd, adam, momentum -> codes 0, 2, 2, 1, 0 over 2
    np.testing.assert_allclose(data.matrix[:, 1], [0, 1, 1, 0.5, 0])
    # momentum only on trials 1 (0.9) and 3 (0.5)
    np.testing.assert_allclose(data.matrix[:, 2], [np.nan, 1, 0, np.nan, np.nan])
    np.testing.assert_allclose(data.matrix[:, 3], [0.5, 0.75, 0.75, 1.0, 0.0])
    assert data.ticks[0] == ("0.001", "1") and data.ticks[1] == ("sgd", "momentum")
    assert data.diverged.tolist() == [False, False, False, False, True]


def test_a_seed_parameter_keeps_its_prefix_beside_the_trial_seed(trials):
    top = S.top_k(trials.assign(param_seed=np.arange(len(trials)) % 3), 3)
    assert top["number"].tolist() == [5, 1, 3]
    assert top["seed"].tolist() == [105, 101, 103]  # the trial's training seed
    assert top["param_seed"].tolist() == [2, 1, 0]  # the grid parameter, under its full column name
    assert "lr" in top.columns and "param_lr" not in top.columns  # other parameters lose the prefix


def test_slots_ran_from_meta_and_from_an_older_export_that_kept_its_waiting_rows(trials):
    new = {"n_trials": 300, "slots_ran": 20, "unused_slots": 280, "waiting_left_out": 281}
    summary = S.slots_ran(trials, new)
    assert summary == {"ran": 20, "slots": 300, "unused": 280}
    assert S.slots_text(summary) == "20 of 300 slots ran (280 never started)"
    old = trials.copy()
    old.loc[old.index[:3], "state"] = "WAITING"  # an export made before WAITING slots were left out
    summary = S.slots_ran(old, {"n_trials": len(old)})
    assert summary == {"ran": len(old) - 3, "slots": len(old), "unused": 3}
    assert S.slots_text(S.slots_ran(trials, {"n_trials": len(trials)})) == f"{len(trials)} of {len(trials)} slots ran"
    assert S.slots_text({"ran": 4, "slots": None, "unused": 0}) == "4 slots ran"
