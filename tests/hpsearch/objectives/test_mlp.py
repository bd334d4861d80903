"""The objective without Optuna: the book's trial at a tiny budget, divergence, early stop, validation."""

from __future__ import annotations

import math

import pytest

from hpsearch.objectives.mlp import ObjectiveSettings, evaluate
from hpsearch.objectives.training import CURVES


def test_book_settings_at_a_tiny_budget_give_finite_scores_and_full_curves():
    settings = ObjectiveSettings(n_samples=200, epochs=3)  # the book's net and batch, fewer images/epochs
    res = evaluate({"weight_decay": 1e-6, "lr": 1e-2}, settings, seed=0)
    assert math.isfinite(res.value) and 0.0 <= res.value <= 1.0
    assert res.best_val_acc >= res.value
    assert res.epochs_run == settings.epochs and not res.diverged and not res.stopped
    for name in CURVES:
        assert len(res.curves[name]) == settings.epochs
    assert res.step == [0, 1, 2]  # 160 training images / batch 100 -> one update per epoch
    assert res.samples == 3 * 100 and res.seconds > 0


def test_the_same_seed_gives_the_same_result(tiny_settings):
    a = evaluate({"lr": 0.05}, tiny_settings, seed=11)
    b = evaluate({"lr": 0.05}, tiny_settings, seed=11)
    c = evaluate({"lr": 0.05}, tiny_settings, seed=12)
    assert a.curves == b.curves and a.value == b.value
    assert a.curves != c.curves


def test_divergence_is_a_result_with_a_finite_score():
    res = evaluate({"lr": 1e3, "weight_decay": 1e-6}, ObjectiveSettings(n_samples=200, epochs=3), seed=0)
    assert res.diverged
    assert math.isfinite(res.value) and math.isfinite(res.best_val_acc)
    assert res.epochs_run >= 1


def test_on_epoch_sees_each_validation_accuracy_and_can_stop(tiny_settings):
    seen = []

    def hook(epoch, val_acc):
        seen.append((epoch, val_acc))
        return epoch == 1

    res = evaluate({"lr": 0.01}, tiny_settings, seed=0, on_epoch=hook)
    assert [e for e, _ in seen] == [0, 1]
    assert res.stopped and res.epochs_run == 2
    assert [v for _, v in seen] == res.curves["val_acc"]


@pytest.mark.parametrize(
    "params",
    [
        {"optimizer": "momentum", "lr": 0.01, "momentum": 0.8},
        {"optimizer": "nesterov", "lr": 0.01, "momentum": 0.8},
        {"optimizer": "adam", "lr": 1e-3, "beta1": 0.85, "beta2": 0.99},
        {"optimizer": "rmsprop", "lr": 1e-3, "rho": 0.95},
        {"optimizer": "adagrad", "lr": 1e-2, "init_scale": 0.5},
    ],
)
def test_every_optimizer_and_its_knobs_are_wired(params, tiny_settings):
    res = evaluate(params, tiny_settings, seed=0)
    assert res.epochs_run == tiny_settings.epochs


def test_unknown_parameters_and_bad_settings_are_rejected(tiny_settings):
    with pytest.raises(ValueError, match="'batch' is unknown"):
        evaluate({"lr": 0.01, "batch": 3}, tiny_settings, seed=0)
    with pytest.raises(ValueError, match="dtype"):
        ObjectiveSettings(dtype="float16")
    with pytest.raises(ValueError, match="val_fraction"):
        ObjectiveSettings(n_samples=4, val_fraction=0.1)
    with pytest.raises(ValueError, match="epochs"):
        ObjectiveSettings(epochs=0)


def test_settings_round_trip_as_plain_data():
    s = ObjectiveSettings(hidden=(8, 4), epochs=2, dtype="float64")
    assert ObjectiveSettings.from_dict(s.to_dict()) == s


def test_evaluate_on_test_trains_identically_and_scores_the_unseen_test_split():
    from hpsearch.objectives.mlp import evaluate_on_test

    settings = ObjectiveSettings(epochs=10, n_samples=300, hidden=(30, 30))
    params = {"lr": 0.003, "weight_decay": 1e-6, "optimizer": "adam"}
    res, test_acc = evaluate_on_test(params, settings, seed=3)
    again = evaluate(params, settings, seed=3)
    assert res.curves == again.curves and res.value == again.value
    assert 0.3 < test_acc <= 1.0
    assert round(test_acc * 1000) == test_acc * 1000  # mnist-5k's test split has 1,000 images
