"""A warm start (hpsearch.samplers.priors): prior configurations and box-drawn start-up trials become the first
slots, are recorded in the study, are checked against the space, and earlier studies give their best trials."""

from __future__ import annotations

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from hpsearch import create_study
from hpsearch.samplers.priors import check_priors, from_studies, prior_slots, startup_for_budget
from hpsearch.study import claim, open_study

CONFIGS = [{"params": {"lr": 0.003, "weight_decay": 1e-5}, "source": "the book's advice"},
           {"params": {"lr": 0.0005}, "source": "user"}]
BOX = {"lr": [1e-4, 1e-3], "weight_decay": [1e-6, 1e-5]}


def _fixed(trial):
    return trial.system_attrs.get("fixed_params", {})


def test_prior_configurations_then_box_draws_are_the_first_slots_and_are_recorded(make_spec):
    priors = {"configs": CONFIGS, "box": BOX, "box_source": "a narrowing", "startup_trials": 4}
    spec = make_spec("warm", n_trials=8, sampler="tpe", priors=priors)
    study = create_study(spec)
    assert study.trials == []  # a slot's trial is created when a worker claims it
    claimed = [claim(study, spec.n_trials) for _ in range(spec.n_trials)]
    assert [t.user_attrs["slot"] for t in claimed] == list(range(8))  # the first claim is the first prior
    assert claim(study, spec.n_trials) is None
    by_slot = {t.user_attrs["slot"]: _fixed(t) for t in study.trials}
    assert by_slot[0] == CONFIGS[0]["params"] and by_slot[1] == CONFIGS[1]["params"]
    for k in range(2, 6):  # the start-up draws: inside the box, every other parameter from the space
        assert 1e-4 <= by_slot[k]["lr"] <= 1e-3 and 1e-6 <= by_slot[k]["weight_decay"] <= 1e-5
    assert len({by_slot[k]["lr"] for k in range(2, 6)}) == 4
    assert by_slot[6] == {} and by_slot[7] == {}  # TPE's from here on
    recorded = study.user_attrs["priors"]
    assert recorded["configs"][0]["source"] == "the book's advice" and recorded["box"] == BOX
    assert recorded["startup_trials"] == 4 and study.user_attrs["spec"]["priors"] == recorded
    # TPE models once the 6 prior slots are done
    assert open_study(spec, sampler_seed=1).sampler._n_startup_trials == 6


def test_the_draws_depend_on_the_study_seed_only():
    from hpsearch.space import book_space

    priors = check_priors({"box": BOX, "startup_trials": 3}, book_space())
    a = prior_slots(priors, book_space(), seed=5)
    assert a == prior_slots(priors, book_space(), seed=5) and a != prior_slots(priors, book_space(), seed=6)
    assert prior_slots(None, book_space(), seed=5) == []


@pytest.mark.parametrize(
    ("priors", "message"),
    [
        ({"configs": [{"params": {"lr": 5.0}}]}, r"configs\[0\] sets lr=5.0, outside"),
        ({"configs": [{"params": {"depth": 3}}]}, r"names 'depth', which is not in the space"),
        ({"box": {"lr": [1e-3, 1e-4]}}, r"low > high; swap them"),
        ({"box": {"lr": [1e-3]}}, r"is not \[low, high\]"),
        ({"startup_trials": -1}, r"startup_trials=-1 must be"),
        ({"configs": [], "warm": 1}, r"unknown key 'warm'"),
        ([1, 2], r"is not an object"),
    ],
)
def test_bad_priors_are_refused_in_one_line_before_anything_is_written(make_spec, tmp_path, priors, message):
    with pytest.raises(ValueError, match=message) as info:
        make_spec("bad", priors=priors)
    assert str(info.value).startswith("spec: priors: ") and "\n" not in str(info.value)
    assert not (tmp_path / "runs").exists()


def test_more_prior_configurations_than_slots_are_refused(make_spec):
    with pytest.raises(ValueError, match="n_trials=1 is below the 2 prior configurations"):
        make_spec("few", n_trials=1, priors={"configs": CONFIGS})


def _finished(direction, values):
    study = optuna.create_study(study_name=f"earlier-{direction}", direction=direction)
    dist = {"lr": FloatDistribution(1e-6, 1.0, log=True)}
    for i, v in enumerate(values):
        study.add_trial(create_trial(params={"lr": 10.0 ** -(i + 1)}, distributions=dist, value=v))
    study.add_trial(create_trial(params={"lr": 0.5}, distributions=dist, state=TrialState.PRUNED,
                                 intermediate_values={0: 0.99}))
    return study


def test_earlier_studies_give_their_best_trials_in_their_direction():
    from hpsearch.space import book_space

    space = book_space()  # lr in [1e-6, 1e-2]: trial 0 (lr 0.1) does not fit and is skipped
    up = from_studies([_finished("maximize", [0.99, 0.5, 0.9, 0.7])], space, top=2)
    assert [c["params"]["lr"] for c in up] == [1e-3, 1e-4]
    assert up[0]["source"] == "study earlier-maximize trial 2 (value 0.9000)"
    down = from_studies([_finished("minimize", [0.1, 0.5, 0.9, 0.2])], space, top=1)
    assert [c["params"]["lr"] for c in down] == [1e-4]


def test_start_up_scales_with_the_budget():
    assert startup_for_budget(None, 2, 30.0) == 10
    assert startup_for_budget(60.0, 1, 30.0) == 3
    assert startup_for_budget(3600.0, 2, 36.0) == 6  # 7200 / 108 = 66 trials expected: a tenth
    assert startup_for_budget(36000.0, 2, 36.0) == 10
