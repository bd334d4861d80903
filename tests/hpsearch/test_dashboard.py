"""What optuna-dashboard and optuna.visualization read from our storages: the metric name of the study and
every epoch's validation score as an intermediate value, with or without a pruner (Optuna's own APIs)."""

from __future__ import annotations

import optuna
import pytest

from hpsearch.execution.launch import run
from hpsearch.storages.opener import open_storage


@pytest.mark.parametrize("pruner", ["none", "median"])
def test_every_epoch_score_is_an_intermediate_value_and_the_metric_is_named(make_spec, pruner):
    spec = make_spec(f"dash-{pruner}", n_trials=3, pruner=pruner)
    run(spec, n_jobs=1, progress=False)
    study = optuna.load_study(study_name=spec.name, storage=open_storage(spec.storage_url, create=False))
    assert study.metric_names == ["val_acc"]
    for t in study.trials:
        val = t.user_attrs["curves"]["val_acc"]
        assert len(val) == spec.settings.epochs
        assert t.intermediate_values == dict(enumerate(val))
        assert t.value == val[-1]


def test_an_experiment_names_its_own_metric(make_spec, tmp_path):
    from hpsearch.experiments.grid import grid_space, grid_spec
    from hpsearch.experiments.surface2d import SurfaceSettings

    spec = grid_spec("bowl", "surface2d", SurfaceSettings(epochs=5), grid_space({"optimizer": ["sgd", "adam"]}),
                     out_dir=str(tmp_path / "runs"))
    study = run(spec, n_jobs=0)
    assert study.metric_names == ["f at the last point"]
