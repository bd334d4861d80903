"""The ``cnn`` objective end to end on a few hundred images, and the mlp's new options."""

from __future__ import annotations

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState

from hpsearch import StudySpec, export, get_objective, run
from hpsearch.objectives.cnn import CnnSettings, cnn_space, evaluate
from hpsearch.objectives.mlp import ObjectiveSettings
from hpsearch.objectives.mlp import evaluate as evaluate_mlp

TINY = CnnSettings(n_samples=400, n_val=100, epochs=2, batch_size=50, evals_per_epoch=2, eval_val_n=50)
PARAMS = {"lr": 0.05, "optimizer": "momentum", "blocks": 2, "filters1": 8, "filters2": 8, "kernel_size": 3,
          "batch_norm": True, "dropout": 0.2, "dense": 32}


def test_cnn_trial_learns_and_scores_on_the_whole_validation_split():
    res = evaluate(PARAMS, TINY, seed=0)
    assert not res.diverged and res.epochs_run == 4  # 2 epochs x 2 evaluations (on 50 validation images)
    assert len(res.curves["val_acc"]) == 4
    assert res.curves["train_loss"][-1] < res.curves["train_loss"][0]
    assert res.value > 0.3  # ten classes: chance is 0.1
    # the score is measured on all 100 validation images: a multiple of 1/100, not only of 1/50
    assert res.value * 100 == pytest.approx(round(res.value * 100))
    again = evaluate(PARAMS, TINY, seed=0)
    assert again.value == res.value and again.curves == res.curves  # a trial re-runs exactly


def test_block_count_decides_which_filter_parameters_apply():
    one = evaluate({**PARAMS, "blocks": 1, "filters2": 999}, TINY, seed=1)  # filters2 unused with one block
    assert np.isfinite(one.value)
    space = cnn_space()
    drawn = {"optimizer": "adam", "filters1": 8, "filters2": 8, "filters3": 8}
    assert set(space.active({**drawn, "blocks": 1})) == {"optimizer", "blocks", "filters1"}
    assert set(space.active({**drawn, "blocks": 2})) == {"optimizer", "blocks", "filters1", "filters2"}
    assert set(space.active({**drawn, "blocks": 3})) == {"optimizer", "blocks", "filters1", "filters2", "filters3"}
    with pytest.raises(ValueError, match="'hidden'"):
        evaluate({**PARAMS, "hidden": 3}, TINY, seed=0)


def test_cnn_study_with_conditional_space_tpe_and_hyperband_runs_on_two_workers(tmp_path):
    spec = StudySpec(name="cnn-tiny", objective="cnn", space=cnn_space().fix(filters1=8, dense=32),
                     settings=TINY, n_trials=6, sampler="tpe", pruner="hyperband", seed=2, out_dir=str(tmp_path))
    study = run(spec, n_jobs=2, progress=False)
    trials = study.get_trials(deepcopy=False)
    finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert len(finished) == 6
    for t in finished:
        blocks = t.params["blocks"]
        assert ("filters2" in t.params) == (blocks >= 2) and ("filters3" in t.params) == (blocks == 3)
    tables = export(study)
    assert set(tables.trials["state"]) <= {"COMPLETE", "PRUNED"}
    reloaded = StudySpec.from_dict(study.user_attrs["spec"])
    assert reloaded.settings == TINY and isinstance(reloaded.settings, CnnSettings)
    assert get_objective("cnn").direction == "maximize"


def test_cnn_spec_needs_cnn_settings():
    with pytest.raises(ValueError, match="CnnSettings"):
        StudySpec(name="x", objective="cnn", space=cnn_space())


def test_pruner_resource_counts_every_evaluation():
    spec = StudySpec(name="x", objective="cnn", space=cnn_space(), settings=TINY, pruner="hyperband")
    from hpsearch.study.lifecycle import _pruner

    pruner = _pruner(spec)
    assert isinstance(pruner, optuna.pruners.HyperbandPruner) and pruner._max_resource == 4


def test_mlp_gains_batch_norm_and_dropout_as_searchable_options():
    settings = ObjectiveSettings(n_samples=300, hidden=(32, 32), epochs=3)
    plain = evaluate_mlp({"lr": 0.05}, settings, seed=0)
    bn = evaluate_mlp({"lr": 0.05, "batch_norm": True}, settings, seed=0)
    drop = evaluate_mlp({"lr": 0.05, "dropout": 0.3}, settings, seed=0)
    zero = evaluate_mlp({"lr": 0.05, "dropout": 0.0, "batch_norm": False}, settings, seed=0)
    assert zero.curves == plain.curves  # ratio 0 and batch_norm False are the plain net
    assert bn.curves != plain.curves and drop.curves != plain.curves
    assert all(np.isfinite(r.value) for r in (plain, bn, drop))
