"""The objective registry: a registered objective runs as a study, with its direction and its own curves."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pytest

from hpsearch import SearchSpace, StudySpec, export, run
from hpsearch.objectives.mlp import ObjectiveSettings
from hpsearch.objectives.registry import Objective, get_objective, register
from hpsearch.objectives.training import TrialResult
from hpsearch.space import ParamSpec


@dataclass(frozen=True)
class QuadSettings:
    epochs: int = 3
    center: float = 0.3

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, d):
        return cls(**d)


def _quad(params, settings, *, seed, on_epoch=None):
    x = params["x"]
    losses = [(x - settings.center) ** 2 * (k + 1) for k in range(settings.epochs)]
    return TrialResult(value=losses[-1], best_val_acc=0.0, diverged=False, stopped=False,
                       epochs_run=settings.epochs, samples=0, seconds=0.0,
                       curves={"quad_loss": losses}, step=list(range(settings.epochs)))


QUAD = register(Objective("test-quad", QuadSettings, _quad, ("x",), direction="minimize"))


def test_registered_objective_runs_as_a_study_with_its_direction_and_curves(tmp_path):
    space = SearchSpace((ParamSpec("x", low=-1.0, high=1.0),))
    spec = StudySpec(name="quad", space=space, objective="test-quad", settings=QuadSettings(), n_trials=6,
                     out_dir=str(tmp_path))
    study = run(spec, n_jobs=1, progress=False)
    assert study.direction.name == "MINIMIZE"
    tables = export(study, out_dir=False)
    best = tables.trials.loc[tables.trials["value"].idxmin()]
    assert best["value"] == pytest.approx((best["param_x"] - 0.3) ** 2 * 3)
    assert set(tables.curves["metric"]) == {"quad_loss"}
    assert len(tables.curves) == 6 * 3
    again = StudySpec.from_dict(spec.to_dict())
    assert again.settings == QuadSettings() and again.objective == "test-quad"


def test_spec_rejects_mismatched_settings_params_and_unknown_objectives():
    space = SearchSpace((ParamSpec("x", low=-1.0, high=1.0),))
    with pytest.raises(ValueError, match="settings is not a QuadSettings"):
        StudySpec(name="q", space=space, objective="test-quad", settings=ObjectiveSettings())
    with pytest.raises(ValueError, match="parameter 'weight_decay' is unknown to the objective 'test-quad'"):
        StudySpec(name="q", objective="test-quad", settings=QuadSettings())
    with pytest.raises(ValueError, match="objective 'nope' is unknown"):
        StudySpec(name="q", objective="nope")
    with pytest.raises(ValueError, match="registered already"):
        register(Objective("test-quad", QuadSettings, _quad, ("y",)))
    assert get_objective("mlp").direction == "maximize"
