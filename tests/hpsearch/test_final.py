"""The final pick (hpsearch.final): chosen on validation in the objective's direction, scored on the test split
exactly once; one study or several (the narrowing rounds), one seed or several."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hpsearch import StudySpec, run, wide_space
from hpsearch.final import chosen_length, final_pick, lengths_for, makespan
from hpsearch.final.length import pace
from hpsearch.objectives.cnn import CnnSettings, cnn_space
from hpsearch.objectives.data import load_data
from hpsearch.objectives.mlp import ObjectiveSettings
from hpsearch.objectives.registry import OBJECTIVES, get_objective
from hpsearch.objectives.training import TrialResult
from netcore.trainer import TrainData

SETTINGS = ObjectiveSettings(n_samples=300, hidden=(32,), epochs=3, batch_size=50, mode="shuffle")


@pytest.fixture
def counted(monkeypatch):
    """The mlp objective under another name, counting how often the test split is read."""
    calls = {"test": 0}
    mlp = get_objective("mlp")

    def test_split(settings):
        calls["test"] += 1
        return mlp.test_split(settings)

    monkeypatch.setitem(OBJECTIVES, "mlp-counted", dataclasses.replace(mlp, name="mlp-counted", test_split=test_split))
    return calls


def _study(tmp_path, name, objective="mlp-counted"):
    spec = StudySpec(name=name, objective=objective, space=wide_space(conditionals=False), settings=SETTINGS,
                     n_trials=5, seed=1, out_dir=str(tmp_path))
    return spec, run(spec, n_jobs=1, progress=False)  # worker 0 runs in this process: its reads are counted


def test_the_search_never_reads_test_and_the_pick_reads_it_once(tmp_path, counted):
    spec, study = _study(tmp_path, "final")
    assert counted["test"] == 0
    final = final_pick(study, spec)
    assert counted["test"] == 1
    best = max((t for t in study.trials if t.value is not None), key=lambda t: t.value)
    assert final["trial"] == best.number and final["value"] == best.value
    assert final["retrain"] == "train+val" and final["n_train"] == 300 and final["n_test"] == 1000
    assert 0.0 <= final["test_acc"] <= 1.0
    again = final_pick(study, spec, retrain="train")  # stored: not trained, not scored again
    assert again == final and counted["test"] == 1
    assert study.user_attrs["final"] == final


def test_retraining_on_the_training_split_rebuilds_the_picked_net(tmp_path, counted):
    spec, study = _study(tmp_path, "same")
    final = final_pick(study, spec, retrain="train")
    best = study.trials[final["trial"]]
    assert final["n_train"] == 240
    # the same params, seed and data give the same trial again: its validation curve is the trial's
    fitted = get_objective("mlp").fit(final["params"], SETTINGS, seed=final["seed"])[1]
    assert fitted.value == best.value
    assert fitted.curves["val_acc"] == best.user_attrs["curves"]["val_acc"]


def test_a_study_without_a_usable_trial_is_refused(tmp_path, counted):
    spec = StudySpec(name="empty", objective="mlp-counted", space=wide_space(conditionals=False), settings=SETTINGS,
                     n_trials=2, out_dir=str(tmp_path))
    study = run(spec, n_jobs=0, progress=False)
    with pytest.raises(ValueError, match="no finished"):
        final_pick(study, spec)
    assert counted["test"] == 0 and "final" not in study.user_attrs


# -- a minimizing objective that is not the mlp: the validation ERROR of the conv nets ------------------------------
CNN = CnnSettings(n_samples=300, n_val=100, epochs=2, batch_size=50)
CNN_SPACE = cnn_space(optimizers=("momentum",)).fix(blocks=1, filters1=4, kernel_size=3, batch_norm=False,
                                                    dropout=0.0, dense=16, init_scale=1.0, weight_decay=1e-6)


def _error(result: TrialResult) -> TrialResult:
    return dataclasses.replace(result, value=1.0 - result.value)


@pytest.fixture
def cnn_error(monkeypatch):
    """``cnn-error``: the cnn objective scored by its validation error (minimize), counting test-split reads."""
    cnn = get_objective("cnn")
    calls = {"test": 0}

    def evaluate(params, settings, *, seed, on_epoch=None):
        return _error(cnn.evaluate(params, settings, seed=seed, on_epoch=on_epoch))

    def fit(params, settings, *, seed, on_epoch=None, data=None):
        net, res = cnn.fit(params, settings, seed=seed, on_epoch=on_epoch, data=data)
        return net, _error(res)

    def test_split(settings):
        calls["test"] += 1
        return cnn.test_split(settings)

    monkeypatch.setitem(OBJECTIVES, "cnn-error", dataclasses.replace(
        cnn, name="cnn-error", evaluate=evaluate, fit=fit, test_split=test_split, direction="minimize",
        metric="val_error"))
    return calls


def _cnn_study(tmp_path, name, *, seed):
    spec = StudySpec(name=name, objective="cnn-error", space=CNN_SPACE, settings=CNN, n_trials=4, seed=seed,
                     out_dir=str(tmp_path))
    return spec, run(spec, n_jobs=1, progress=False)


def test_a_minimizing_study_of_another_objective_picks_its_lowest_score(tmp_path, cnn_error):
    spec, study = _cnn_study(tmp_path, "err", seed=3)
    values = [t.value for t in study.trials]
    assert spec.direction == "minimize" and len(set(values)) > 1  # the trials differ: the pick means something
    final = final_pick(study, spec, retrain="train")
    lowest = min(study.trials, key=lambda t: t.value)
    assert final["trial"] == lowest.number and final["value"] == lowest.value
    assert final["direction"] == "minimize" and cnn_error["test"] == 1
    # the score is the accuracy of the picked conv net on the test images, trained with the trial's seed
    net, _ = get_objective("cnn").fit(final["params"], CNN, seed=final["seed"])
    x_test, t_test = get_objective("cnn").test_split(CNN)
    assert final["test_acc"] == float(net.accuracy(x_test, t_test)) == final["test_per_seed"][0]


def test_candidates_from_several_studies_are_revalidated_on_seeds_in_the_objective_direction(tmp_path, cnn_error):
    a_spec, a = _cnn_study(tmp_path, "err-a", seed=4)
    b_spec, b = _cnn_study(tmp_path, "err-b", seed=5)
    phases = []
    final = final_pick([a, b], [a_spec, b_spec], retrain="train", top=3, seeds=[11, 12], on_phase=phases.append)
    pool = sorted([t.value for t in a.trials] + [t.value for t in b.trials])
    assert [c["search_value"] for c in final["candidates"]] == pool[:3]  # the three lowest errors, lowest first
    for cand in final["candidates"]:  # each re-trained on both seeds, on the search's split, scored on validation
        spec = a_spec if cand["study"] == "err-a" else b_spec
        again = [get_objective("cnn-error").evaluate(cand["params"], spec.settings, seed=s).value for s in (11, 12)]
        assert cand["val_per_seed"] == again
    assert final["chosen"] == min(final["candidates"], key=lambda c: c["val_mean"])  # lowest mean error wins
    assert final["seeds"] == [11, 12] and len(final["test_per_seed"]) == 2 and cnn_error["test"] == 1
    assert final["test_acc"] == pytest.approx(sum(final["test_per_seed"]) / 2)
    assert final["studies"] == ["err-a", "err-b"] and a.user_attrs["final"] == final
    assert any("re-training 3 candidates on validation, 6 runs" in p for p in phases)
    # asked again about the same studies: the stored record, no training, no second look at the test split
    assert final_pick([a, b], [a_spec, b_spec], top=3, seeds=[11, 12]) == final and cnn_error["test"] == 1


def test_studies_of_different_objectives_are_refused(tmp_path, cnn_error, counted):
    spec, study = _cnn_study(tmp_path, "err-c", seed=6)
    other, other_study = _study(tmp_path, "mlp-c")
    with pytest.raises(ValueError, match="different objectives"):
        final_pick([study, other_study], [spec, other])
    assert cnn_error["test"] == counted["test"] == 0


def test_seeds_scored_side_by_side_give_the_scores_of_one_after_the_other(tmp_path):
    # two identical studies (same spec but the name): the same trials, so the same pick; its seeds trained in
    # two worker processes must give exactly the nets and scores trained one after the other
    scores = []
    for name, n_jobs in (("one-by-one", 1), ("side-by-side", 2)):
        spec = StudySpec(name=name, space=wide_space(conditionals=False), settings=SETTINGS, n_trials=3, seed=4,
                         out_dir=str(tmp_path))
        study = run(spec, n_jobs=1, progress=False)
        final = final_pick(study, spec, seeds=[5, 6, 7], n_jobs=n_jobs)
        assert final["seeds"] == [5, 6, 7] and len(final["seconds_per_seed"]) == 3
        assert final["parallel_seeds"] == n_jobs
        scores.append((final["trial"], final["test_per_seed"]))
    assert scores[0] == scores[1]
    assert len(set(scores[0][1])) > 1  # the seeds differ: three nets, not one scored thrice


def test_candidates_revalidated_side_by_side_give_the_scores_of_one_after_the_other(tmp_path):
    # the candidates' runs (2 candidates x 2 seeds) shared out among two worker processes: the same validation
    # scores, the same choice as trained one after the other in this process
    picks, finals = [], []
    for name, n_jobs in (("cands-one", 1), ("cands-two", 2)):
        spec = StudySpec(name=name, space=wide_space(conditionals=False), settings=SETTINGS, n_trials=4, seed=4,
                         out_dir=str(tmp_path))
        study = run(spec, n_jobs=1, progress=False)
        finals.append(final_pick(study, spec, top=2, seeds=[5, 6], n_jobs=n_jobs))
        picks.append([(c["trial"], c["val_per_seed"]) for c in finals[-1]["candidates"]] + [finals[-1]["trial"]])
    assert picks[0] == picks[1]
    (first, first_vals), (second, second_vals) = picks[0][:2]
    assert first != second and first_vals != second_vals  # two configurations, each trained on both seeds
    best = finals[0]["candidates"][0]
    again = [get_objective("mlp").evaluate(best["params"], SETTINGS, seed=s).value for s in (5, 6)]
    assert first_vals == again  # each run is the candidate trained with that seed on the search's split


# -- the length check: how long the pick is retrained, decided on validation -----------------------------------------
@pytest.mark.parametrize(("base", "longer", "min_gain", "maximize", "pays"), [
    (0.900, 0.902, 0.002, True, True),     # exactly the margin pays
    (0.900, 0.9019, 0.002, True, False),   # just under it does not
    (0.900, 0.950, 0.002, True, True),
    (0.900, 0.850, 0.0, True, False),      # worse never pays
    (0.100, 0.095, 0.002, False, True),    # an error: lower is better
    (0.100, 0.099, 0.002, False, False),
    (0.900, float("nan"), 0.0, True, False),
])
def test_a_longer_run_pays_only_by_the_margin_in_the_objective_direction(base, longer, min_gain, maximize, pays):
    chosen = chosen_length([10, 20], [base, longer], [False, False], min_gain=min_gain, maximize=maximize)
    assert chosen == (20 if pays else 10)


@pytest.mark.parametrize(("values", "diverged", "chosen"), [
    ([0.900, 0.910, 0.911], [False] * 3, 14),    # 28 is within the margin of 14: the shorter is kept
    ([0.900, 0.905, 0.920], [False] * 3, 28),    # 28 beats both shorter runs by the margin
    ([0.900, 0.899, 0.905], [False] * 3, 28),    # a dip in the middle does not end the ladder
    ([0.900, 0.930, 0.920], [False] * 3, 14),    # the best is in the middle
    ([0.900, 0.950, 0.990], [False, True, False], 28),  # a diverged run never counts
    ([0.900, 0.930, float("nan")], [False, False, False], 14),
    ([0.100, 0.950, 0.990], [True, True, True], 7),  # nothing trained: the trial's length
])
def test_a_ladder_keeps_the_shortest_length_within_the_margin_of_the_best(values, diverged, chosen):
    assert chosen_length([7, 14, 28], values, diverged, min_gain=0.002) == chosen


@pytest.mark.parametrize(("base", "factor", "lengths"), [
    (20, 2, [20, 40]), (7, 4, [7, 14, 28]), (3, 3, [3, 6, 9]), (10, 1.5, [10, 15]), (1, 1.2, [1, 2]),
    (5, 10, [5, 10, 20, 40, 50]),
])
def test_the_check_doubles_up_to_its_factor(base, factor, lengths):
    assert lengths_for(base, factor) == lengths


@pytest.mark.parametrize(("weights", "n_jobs", "wall"), [
    ([7, 14, 28], 2, 28),   # the longest alone, the two shorter ones on the other worker
    ([7, 14, 28], 1, 49), ([40, 40, 40], 2, 80), ([40, 40, 40], 3, 40), ([40, 40, 40], 8, 40), ([], 2, 0),
])
def test_side_by_side_runs_share_the_workers_longest_first(weights, n_jobs, wall):
    assert makespan(weights, n_jobs) == wall


def _fit_score(params, settings, seed, data):
    mlp = get_objective("mlp")
    net, _ = mlp.fit(params, settings, seed=seed, data=data)
    x_test, t_test = mlp.test_split(settings)
    return float(net.accuracy(x_test, t_test))


@pytest.mark.parametrize(("min_gain", "n_jobs"), [(0.0, 1), (0.99, 2)])
def test_the_length_check_compares_two_lengths_on_validation_and_retrains_for_the_chosen_one(tmp_path, counted,
                                                                                                min_gain, n_jobs):
    # side by side, the worker processes know only the registered objectives: there the plain mlp runs
    spec, study = _study(tmp_path, f"length-{n_jobs}", "mlp-counted" if n_jobs == 1 else "mlp")
    phases = []
    final = final_pick(study, spec, seeds=[8, 9], longer=3, min_gain=min_gain, n_jobs=n_jobs, on_phase=phases.append)
    check = final["length_check"]
    assert check["epochs"] == [3, 6, 9] and check["seed"] == 8 and check["factor"] == 3.0
    # the oracle: the objective itself, trained on the search's split with the first retraining seed
    mlp = get_objective("mlp")
    expected = [mlp.evaluate(final["params"], dataclasses.replace(SETTINGS, epochs=e), seed=8).value
                for e in (3, 6, 9)]
    assert check["values"] == expected and check["diverged"] == [False] * 3
    # by hand: the shortest length within the margin of the best
    best = max(expected)
    at = next(i for i, v in enumerate(expected) if v == best or best - v < min_gain)
    assert final["epochs"] == (3, 6, 9)[at] == check["chosen_epochs"]
    assert check["paid"] is (at > 0) and check["gain"] == pytest.approx(expected[at] - expected[0])
    if min_gain == 0.99:
        assert not check["paid"]  # no run gains 99 points of accuracy
    # the nets scored on test were trained for the chosen length on training + validation, once per seed
    split = load_data(SETTINGS)
    data = TrainData(np.concatenate([split.x_train, split.x_val]), np.concatenate([split.t_train, split.t_val]),
                     split.x_val, split.t_val)
    chosen = dataclasses.replace(SETTINGS, epochs=final["epochs"])
    assert final["test_per_seed"] == [_fit_score(final["params"], chosen, s, data) for s in (8, 9)]
    assert counted["test"] == (1 if n_jobs == 1 else 0)  # the pick's one read: the check never reads test
    assert any("length check" in p for p in phases)


def test_the_length_check_pays_where_a_longer_run_helps(tmp_path, counted):
    # one epoch of a 300-image MLP is far from trained: eight times as long must pay, and the retraining follows
    spec = StudySpec(name="short", objective="mlp-counted", space=wide_space(conditionals=False).fix(lr=0.05),
                     settings=dataclasses.replace(SETTINGS, epochs=1), n_trials=1, seed=2, out_dir=str(tmp_path))
    study = run(spec, n_jobs=1, progress=False)
    final = final_pick(study, spec, longer=8)
    check = final["length_check"]
    assert check["epochs"] == [1, 2, 4, 8] and check["paid"] and final["epochs"] > 1
    at = check["epochs"].index(final["epochs"])
    assert all(check["values"][at] >= v + 0.002 for v in check["values"][:at])  # it beat every shorter run


@pytest.mark.parametrize("longer", [0.5, 1, True, float("nan"), 11, "2"])
def test_a_bad_length_factor_is_refused_before_anything_trains(tmp_path, counted, longer):
    spec, study = _study(tmp_path, "bad-length")
    with pytest.raises(ValueError, match="longer=.* is invalid; give a factor above 1"):
        final_pick(study, spec, longer=longer)
    assert counted["test"] == 0 and "final" not in study.user_attrs


@pytest.mark.parametrize(("seconds", "evaluations", "per_epoch", "expected"), [
    (226.0, 28, 4, 226.0 / 7),   # a 7-epoch trial of the real-size protocol: 4 evaluations an epoch
    (60.0, 3, 1, 20.0),          # the book's protocol: one evaluation an epoch
    (None, 28, 4, None), (10.0, 0, 4, None),
])
def test_the_pick_s_pace_is_seconds_per_epoch_not_per_evaluation(seconds, evaluations, per_epoch, expected):
    assert pace({"seconds": seconds, "epochs_run": evaluations}, per_epoch) == expected


def test_a_fixed_retraining_length_trains_for_it_without_a_check(tmp_path, counted):
    spec, study = _study(tmp_path, "fixed-length")
    final = final_pick(study, spec, seeds=[8], epochs=7)
    assert final["length_check"] is None and final["epochs"] == 7 and final["trial_epochs"] == 3
    # the oracle: the pick trained for 7 epochs on training + validation with the seed, scored on test
    split = load_data(SETTINGS)
    data = TrainData(np.concatenate([split.x_train, split.x_val]), np.concatenate([split.t_train, split.t_val]),
                     split.x_val, split.t_val)
    assert final["test_per_seed"] == [_fit_score(final["params"], dataclasses.replace(SETTINGS, epochs=7), 8, data)]
    assert counted["test"] == 1


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"epochs": 0}, "epochs=0 is invalid"), ({"epochs": 2.5}, "epochs=2.5 is invalid"),
    ({"epochs": True}, "epochs=True is invalid"), ({"epochs": 6, "longer": 2}, "not both"),
])
def test_a_bad_retraining_length_is_refused_before_anything_trains(tmp_path, counted, kwargs, match):
    spec, study = _study(tmp_path, "bad-epochs")
    with pytest.raises(ValueError, match=match):
        final_pick(study, spec, **kwargs)
    assert counted["test"] == 0 and "final" not in study.user_attrs


def test_with_tta_flip_the_test_score_is_the_flip_average_and_the_plain_score_is_kept(tmp_path, counted):
    settings = dataclasses.replace(SETTINGS, tta_flip=True)
    spec = StudySpec(name="tta", objective="mlp-counted", space=wide_space(conditionals=False), settings=settings,
                     n_trials=3, seed=1, out_dir=str(tmp_path))
    study = run(spec, n_jobs=1, progress=False)
    final = final_pick(study, spec, seeds=[8, 9])
    split = load_data(settings)
    data = TrainData(np.concatenate([split.x_train, split.x_val]), np.concatenate([split.t_train, split.t_val]),
                     split.x_val, split.t_val)
    mlp = get_objective("mlp")
    x_test, t_test = mlp.test_split(settings)
    for seed, score, plain in zip((8, 9), final["test_per_seed"], final["test_per_seed_plain"], strict=True):
        net, _ = mlp.fit(final["params"], settings, seed=seed, data=data)
        assert net.flip_average and score == float(net.accuracy(x_test, t_test))
        net.flip_average = False
        assert plain == float(net.accuracy(x_test, t_test))
    assert final["test_acc"] == pytest.approx(np.mean(final["test_per_seed"]))
    assert counted["test"] == 1
