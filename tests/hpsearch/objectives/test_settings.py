"""TrainingSettings and the training recipe: off by default, validated, passed to TrainConfig, old dicts load."""

from __future__ import annotations

import dataclasses

import pytest

from hpsearch.objectives.mlp import ObjectiveSettings, evaluate
from hpsearch.objectives.settings import TrainingSettings
from netcore.trainer import TrainConfig

RECIPE = {"warmup": None, "augment_shift": 0, "augment_flip": False, "label_smoothing": 0.0, "ema_decay": 0.0}
ON = {"augment_shift": 2, "augment_flip": True, "label_smoothing": 0.1, "ema_decay": 0.9,
      "lr_schedule": "warmup-cosine", "warmup": 0.2}


def test_the_recipe_is_off_by_default_in_settings_and_in_their_train_config():
    s = TrainingSettings()
    cfg = s.train_config()
    for name, off in RECIPE.items():
        assert getattr(s, name) == off and getattr(cfg, name) == off
        assert {f.name: f.default for f in dataclasses.fields(TrainConfig)}[name] == off
    assert cfg == TrainConfig(epochs=s.epochs, batch_size=s.batch_size)


def test_each_recipe_field_reaches_train_config():
    cfg = TrainingSettings(**ON).train_config()
    for name, value in ON.items():
        assert getattr(cfg, name) == value


def test_settings_stored_before_the_recipe_existed_still_load():
    old = {k: v for k, v in ObjectiveSettings(hidden=(8,), epochs=2).to_dict().items() if k not in RECIPE}
    s = ObjectiveSettings.from_dict(old)
    assert s == ObjectiveSettings(hidden=(8,), epochs=2)
    on = ObjectiveSettings(hidden=(8,), **ON)
    assert ObjectiveSettings.from_dict(on.to_dict()) == on


@pytest.mark.parametrize("bad,match", [
    ({"augment_shift": -1}, "augment_shift"), ({"augment_shift": 1.0}, "augment_shift"),
    ({"augment_flip": "yes"}, "augment_flip"), ({"label_smoothing": 1.0}, "label_smoothing"),
    ({"ema_decay": 1.5}, "ema_decay"), ({"warmup": 0.1}, "warmup-cosine"),
    ({"warmup": -0.1, "lr_schedule": "warmup-cosine"}, "warmup"),
])
def test_bad_recipe_values_are_refused_in_one_line(bad, match):
    with pytest.raises(ValueError, match=match) as err:
        TrainingSettings(**bad)
    assert str(err.value).startswith("settings:") and "\n" not in str(err.value)


@pytest.mark.parametrize("option", [
    {"augment_shift": 2}, {"augment_flip": True}, {"label_smoothing": 0.1}, {"ema_decay": 0.8},
    {"lr_schedule": "warmup-cosine"},
])
def test_each_option_changes_a_trial_through_the_objective(tiny_settings, option):
    params = {"lr": 0.05, "optimizer": "momentum"}
    base = evaluate(params, tiny_settings, seed=1)
    again = evaluate(params, dataclasses.replace(tiny_settings, **RECIPE), seed=1)
    assert again.curves == base.curves  # the recipe spelled out as off is the book's trial
    changed = evaluate(params, dataclasses.replace(tiny_settings, **option), seed=1)
    assert changed.curves != base.curves


def test_tta_flip_is_off_by_default_and_refused_unless_a_bool():
    assert TrainingSettings().tta_flip is False
    old = {k: v for k, v in ObjectiveSettings(hidden=(8,), epochs=2).to_dict().items() if k != "tta_flip"}
    assert ObjectiveSettings.from_dict(old).tta_flip is False  # stored before the field existed: off
    with pytest.raises(ValueError, match="tta_flip") as err:
        TrainingSettings(tta_flip="yes")
    assert str(err.value).startswith("settings:") and "\n" not in str(err.value)


def test_tta_flip_scores_the_trial_and_its_net_by_the_flip_average_and_trains_alike(tiny_settings):
    from hpsearch.objectives.data import load_data
    from hpsearch.objectives.mlp import fit
    params = {"lr": 0.05, "optimizer": "momentum"}
    tiny_settings = dataclasses.replace(tiny_settings, mode="shuffle")  # the last evaluation after the last update
    plain_net, plain = fit(params, tiny_settings, seed=1)
    net, res = fit(params, dataclasses.replace(tiny_settings, tta_flip=True), seed=1)
    assert net.flip_average and not plain_net.flip_average
    assert (net.params == plain_net.params).all()  # training is unchanged: only the scoring averages
    assert res.curves == plain.curves  # the evaluations during training stay plain (the pruners compare them)
    data = load_data(tiny_settings)
    assert res.value == net.evaluate(data.x_val, data.t_val)[0]
    net.flip_average = False
    assert plain.value == net.evaluate(data.x_val, data.t_val)[0]
