"""The experiment objectives (hpsearch.experiments): the book's semantics, checked cheaply by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from hpsearch import StudySpec
from hpsearch.experiments import batch_norm, fair, optimizer_curves, overfit, surface2d, weight_init
from hpsearch.experiments.common import book_eval_every, book_loop, derived_rng, result
from hpsearch.experiments.grid import grid_space, grid_spec
from hpsearch.objectives.mlp import ObjectiveSettings, evaluate_on_test


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(1):  # tiny matrices: threads only cost time on a shared machine
        yield


def test_surface_first_steps_by_hand():
    sgd = surface2d.evaluate({"optimizer": "sgd"}, surface2d.SurfaceSettings(), seed=0)
    assert len(sgd.curves["x"]) == 30
    assert (sgd.curves["x"][0], sgd.curves["y"][0]) == (-7.0, 2.0)
    # grad f(-7, 2) = (-0.7, 4); SGD lr 0.95
    assert sgd.curves["x"][1] == pytest.approx(-7 + 0.95 * 0.7)
    assert sgd.curves["y"][1] == pytest.approx(2 - 0.95 * 4)
    mom = surface2d.evaluate({"optimizer": "momentum"}, surface2d.SurfaceSettings(), seed=0)
    # v1 = -0.1 g0; point 2 = point 1 + 0.9 v1 - 0.1 g1
    g0 = np.array([-0.7, 4.0])
    p1 = np.array([-7.0, 2.0]) - 0.1 * g0
    g1 = np.array([p1[0] / 10, 2 * p1[1]])
    p2 = p1 + 0.9 * (-0.1 * g0) - 0.1 * g1
    assert [mom.curves["x"][2], mom.curves["y"][2]] == pytest.approx(p2.tolist())
    assert mom.value == pytest.approx(mom.curves["f"][-1])
    assert surface2d.book_lr("adagrad") == 1.5 and surface2d.book_lr("adam") == 0.3


def _capture(monkeypatch, module, name):
    seen = []
    real = getattr(module, name)

    def spy(*args, **kwargs):
        seen.append(kwargs["rng"].bit_generator.state["state"]["state"])
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return seen


def test_same_batches_across_optimizers_within_a_seed_independent_inits(monkeypatch):
    batches = _capture(monkeypatch, optimizer_curves, "book_loop")
    inits = _capture(monkeypatch, optimizer_curves, "build_mlp")
    s = optimizer_curves.CurveSettings(epochs=12, hidden=(16,))
    runs = [({"optimizer": "sgd", "seed": 0}, 11), ({"optimizer": "adam", "seed": 0}, 99),
            ({"optimizer": "sgd", "seed": 1}, 11)]
    results = [optimizer_curves.evaluate(p, s, seed=slot) for p, slot in runs]
    assert batches[0] == batches[1] != batches[2]  # the seed parameter decides, not the slot seed
    assert len({inits[0], inits[1], inits[2]}) == 3  # the book's independently initialised nets
    shared = _capture(monkeypatch, optimizer_curves, "build_mlp")
    for name in ("sgd", "adam"):
        optimizer_curves.evaluate({"optimizer": name, "seed": 0}, s.__class__(epochs=12, hidden=(16,),
                                  shared_init=True), seed=0)
    assert shared[0] == shared[1]
    r = results[0]
    assert len(r.curves["loss"]) == 12 == len(r.curves["loss_smooth"]) and r.samples == 12 * 128
    assert r.value == pytest.approx(np.mean(r.curves["loss"][6:]))
    assert r.curves["test_acc"] == [r.best_val_acc]


def test_book_loop_records_the_post_update_loss_of_the_same_batch():
    class Net:  # loss = w^2 / 2 on every batch; gradient w
        def __init__(self):
            self.params, self.grads = np.array([1.0]), np.zeros(1)

        def gradient(self, x, t):
            self.grads[:] = self.params
            return 0.5 * float(self.params[0] ** 2)

        def loss(self, x, t, train=False):
            return 0.5 * float(self.params[0] ** 2)

    from netcore.optim import make_optimizer
    x, t = np.zeros((5, 1)), np.zeros(5, dtype=int)
    post = book_loop(Net(), make_optimizer("sgd", lr=0.5), x, t, rng=derived_rng(0, "b"), batch_size=2,
                     updates=3, every=2)
    assert post.losses == pytest.approx([0.125, 0.03125, 0.0078125])  # w: 1 -> 0.5 -> 0.25 -> 0.125
    assert post.steps == [0, 2] and post.updates == 3 and post.samples == 6
    pre = book_loop(Net(), make_optimizer("sgd", lr=0.5), x, t, rng=derived_rng(0, "b"), batch_size=2, updates=2,
                    loss_record="pre")
    assert pre.losses == pytest.approx([0.5, 0.125])


def test_book_eval_every_follows_the_float_modulo():
    assert book_eval_every(1000, 100) == 10 and book_eval_every(300, 100) == 3
    assert book_eval_every(1000, 128) == 125 and book_eval_every(50, 100) == 1


def test_batch_norm_scales_schedule_and_a_cheap_run():
    assert len(batch_norm.SCALES) == 16
    assert batch_norm.SCALES[0] == 1.0 and batch_norm.SCALES[-1] == pytest.approx(1e-4)
    assert batch_norm.SCALES[1] == pytest.approx(0.541, abs=1e-3)
    assert batch_norm.updates_for(batch_norm.BatchNormSettings()) == 191
    cheap = batch_norm.BatchNormSettings(n_train=200, hidden=(20, 20), epochs=3)
    res = batch_norm.evaluate({"w_index": 4, "norm": "batch_norm", "seed": 0}, cheap, seed=0)
    assert res.step == [0, 2, 4] and res.samples == 5 * 100 and len(res.curves["train_acc"]) == 3
    assert res.value == res.curves["train_acc"][-1]
    with pytest.raises(ValueError, match="norm="):
        batch_norm.evaluate({"w_index": 0, "norm": "bn", "seed": 0}, cheap, seed=0)


def test_overfit_schedule_labels_and_a_cheap_run():
    assert overfit.updates_for(overfit.OverfitSettings()) == 601 and overfit.OverfitSettings().epochs == 201
    cheap = overfit.OverfitSettings(hidden=(20,), epochs=4, eval_test_n=100)
    res = overfit.evaluate({"regularizer": "dropout", "dropout": 0.15, "seed": 0}, cheap, seed=0)
    assert res.step == [0, 3, 6, 9] and res.samples == 10 * 100
    assert len(res.curves["train_acc"]) == len(res.curves["test_acc"]) == 4
    assert res.value == res.curves["test_acc"][-1]
    assert overfit.label({"regularizer": "weight_decay", "weight_decay": 0.1}) == "weight decay 0.1"
    assert overfit.label({"regularizer": "dropout", "dropout": 0.2}) == "dropout 0.2"
    assert overfit.label({"regularizer": "none"}) == "none"


def test_histograms_share_draws_so_relu_he_is_xavier_times_sqrt2_per_layer():
    s = weight_init.HistSettings(n_inputs=50)
    xav = weight_init.activations("relu", "xavier", s, 3)
    he = weight_init.activations("relu", "he", s, 3)
    for k, (a, b) in enumerate(zip(xav, he, strict=True), start=1):  # ReLU is positively homogeneous
        assert np.allclose(b, a * np.sqrt(2.0) ** k)
    res = weight_init.evaluate({"activation": "sigmoid", "init": "std=1", "seed": 0}, s, seed=0)
    assert [len(res.curves[f"hist_layer{k}"]) for k in range(1, 6)] == [30] * 5
    assert sum(res.curves["hist_layer1"]) == 50 * 100  # sigmoid lies in (0, 1): every value counted
    assert weight_init.scale_of("std=0.01", 100) == 0.01 and weight_init.scale_of("he", 100) == pytest.approx(
        np.sqrt(0.02))


def test_fair_configs_selection_and_test_scores():
    d = fair.default_config("adam")
    assert d["params"] == {"optimizer": "adam", "lr": 0.001, "weight_decay": 0.0, "beta1": 0.9, "beta2": 0.999}
    assert fair.default_config("rmsprop")["params"]["rho"] == 0.99
    trials = pd.DataFrame({"number": [0, 1, 2, 3], "state": ["COMPLETE"] * 3 + ["FAIL"],
                           "value": [0.5, 0.9, 0.7, np.nan], "diverged": [False, True, False, False],
                           "param_lr": [0.1, 5.0, 0.01, 0.2], "param_optimizer": ["sgd"] * 4})
    assert fair.best_params(trials) == {"lr": 0.01, "optimizer": "sgd"}  # the diverged 0.9 is not picked
    base = ObjectiveSettings(n_samples=150, hidden=(16,), epochs=2, batch_size=40)
    settings = fair.TestSettings(base=base, configs=(d, fair.tuned_config("adam", 0, {"optimizer": "adam",
                                                                                      "lr": 0.003})))
    spec = fair.test_spec("t", settings, [0, 1])
    assert spec.n_trials == 4 and StudySpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    res = fair.evaluate({"config": "adam:tuned:0", "seed": 1}, settings, seed=0)
    seed = int(derived_rng(1, "test-run").integers(2**31))
    _, expected = evaluate_on_test({"optimizer": "adam", "lr": 0.003}, base, seed=seed)
    assert res.value == expected == res.curves["test_acc"][0]


@pytest.mark.parametrize("settings", [surface2d.SurfaceSettings(), optimizer_curves.CurveSettings(hidden=(8,)),
                                      weight_init.HistSettings(), batch_norm.BatchNormSettings(),
                                      overfit.OverfitSettings(eval_test_n=10)], ids=lambda s: type(s).__name__)
def test_settings_round_trip_and_state_their_semantics(settings):
    again = type(settings).from_dict(json.loads(json.dumps(settings.to_dict())))
    assert again == settings
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in settings.semantics())
    with pytest.raises(ValueError, match="unknown field 'nope'"):
        type(settings).from_dict({"nope": 1})


def test_grid_spec_runs_every_point_once_and_results_must_be_finite():
    space = grid_space({"regularizer": ["none", "dropout"], "seed": [0, 1, 2]},
                       conditional={"dropout": ("regularizer", ["dropout"], [0.2, 0.15])})
    spec = grid_spec("g", "overfit", overfit.OverfitSettings(), space)
    assert spec.n_trials == 3 + 6 and spec.sampler == "grid"
    with pytest.raises(ValueError, match="finite"):
        result(float("nan"), {})
