"""Every optimizer with absurd learning rates and init scales.

With lr = 1e3 and an init scale far beyond any sane one, training overflows for all six optimizers: each
trial is COMPLETE, flagged ``diverged``, with a finite score (the validation accuracy at divergence); no
exception, and no NaN reaches a sampler or pruner (trial values and reported intermediate values, which is
all they read) or a report (exported scores, the rendered page).

An absurd learning rate alone (init scale 1) does not always overflow: ReLU units die and the loss saturates
at -log(1e-7) instead (finite, so not ``diverged``); those trials must still end COMPLETE and finite.
"""

from __future__ import annotations

import math
import re

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState

from hpsearch import ObjectiveSettings, ParamSpec, SearchSpace, export, run
from netcore.optim import OPTIMIZERS

ALL = tuple(OPTIMIZERS)


def _settings(dtype: str) -> ObjectiveSettings:
    return ObjectiveSettings(n_samples=150, hidden=(16,) * 4, epochs=3, batch_size=40, dtype=dtype)


def _every_optimizer(lr: float, init_scale: float) -> SearchSpace:
    return SearchSpace((
        ParamSpec("optimizer", kind="categorical", choices=ALL),
        ParamSpec("lr", fixed=lr),
        ParamSpec("init_scale", fixed=init_scale),
    ))


def _check_finite_everywhere(study: optuna.Study) -> None:
    for t in study.get_trials(deepcopy=False):
        assert t.state == TrialState.COMPLETE
        assert math.isfinite(t.value)
        assert all(math.isfinite(v) for v in t.intermediate_values.values())
        assert t.value == t.user_attrs["curves"]["val_acc"][-1]


def _check_report(study: optuna.Study, tmp_path, *, render_page: bool = True) -> None:
    from reports import render

    tables = export(study, out_dir=tmp_path / "export")
    assert np.isfinite(tables.trials["value"]).all() and np.isfinite(tables.trials["best_val_acc"]).all()
    if not render_page:  # rendering takes seconds: one page is enough
        return
    page = render(tmp_path / "export", out_dir=tmp_path / "report").read_text(encoding="utf-8")
    text = re.sub(r'src="data:[^"]*"', "", page)
    assert not re.search(r"\b(nan|NaN|inf|Infinity)\b", text)


@pytest.mark.parametrize(("dtype", "init_scale"), [("float32", 1e10), ("float64", 1e80)])
def test_every_optimizer_diverges_as_a_finite_flagged_result(make_spec, tmp_path, dtype, init_scale):
    spec = make_spec(f"absurd-{dtype}", space=_every_optimizer(1e3, init_scale), settings=_settings(dtype),
                     sampler="grid", pruner="median", n_trials=len(ALL))
    study = run(spec, n_jobs=1, progress=False)
    _check_finite_everywhere(study)
    trials = study.get_trials(deepcopy=False)
    assert sorted(t.params["optimizer"] for t in trials) == sorted(ALL)
    for t in trials:
        result = t.user_attrs["result"]
        assert result["diverged"] is True, t.params["optimizer"]
        assert 0.0 <= t.value <= 1.0 and result["best_val_acc"] >= t.value
        assert None in t.user_attrs["curves"]["val_loss"]  # the non-finite loss is stored as null, not NaN
    _check_report(study, tmp_path, render_page=dtype == "float32")


def test_an_absurd_learning_rate_alone_ends_complete_and_finite(make_spec):
    spec = make_spec("absurd-lr", space=_every_optimizer(1e3, 1.0), settings=_settings("float32"),
                     sampler="grid", pruner="median", n_trials=len(ALL))
    study = run(spec, n_jobs=1, progress=False)
    _check_finite_everywhere(study)
    assert {type(t.user_attrs["result"]["diverged"]) for t in study.trials} == {bool}


def test_an_adaptive_sampler_learns_from_diverged_trials(make_spec, tmp_path):
    space = SearchSpace((
        ParamSpec("optimizer", kind="categorical", choices=ALL),
        ParamSpec("lr", low=1e-1, high=1e4, log=True),
        ParamSpec("init_scale", low=1.0, high=1e12, log=True),
    ))
    spec = make_spec("absurd-tpe", space=space, settings=_settings("float32"), sampler="tpe", n_trials=14)
    study = run(spec, n_jobs=1, progress=False)  # TPE models the first 10 trials' values for the last 4
    _check_finite_everywhere(study)
    assert any(t.user_attrs["result"]["diverged"] for t in study.trials)
    _check_report(study, tmp_path, render_page=False)
