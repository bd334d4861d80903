"""Issue 12, item 2: the final pick is chosen on validation and scored on the test split exactly once."""

from __future__ import annotations

import dataclasses

import pytest

from hpsearch import StudySpec, run, wide_space
from hpsearch.final import final_pick
from hpsearch.objective import ObjectiveSettings
from hpsearch.objectives import OBJECTIVES, get_objective

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


def _study(tmp_path, name):
    spec = StudySpec(name=name, objective="mlp-counted", space=wide_space(conditionals=False), settings=SETTINGS,
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
