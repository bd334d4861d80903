"""The export schema: exactly the columns and keys documented in docs/hpsearch.md, from the storage alone."""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState

from hpsearch import ParamSpec, SearchSpace, export, run, run_worker, wide_space
from hpsearch.export import CURVE_COLUMNS, META_KEYS, TRIAL_COLUMNS
from hpsearch.objectives.training import TrialResult
from hpsearch.storages.opener import open_storage
from hpsearch.study import claim, create_study, requeue
from netcore import blas as netcore_blas

DOC = Path(__file__).resolve().parents[2] / "docs" / "hpsearch.md"


def _documented_tables() -> list[list[str]]:
    """The first cell of every row of each table in the doc's "Export schema" section."""
    text = DOC.read_text(encoding="utf-8").split("## Export schema", 1)[1]
    tables, current = [], []
    for line in text.splitlines():
        cell = re.match(r"\|\s*`([^`]+)`\s*\|", line)
        if cell:
            current.append(cell.group(1))
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def test_the_documented_schema_is_the_code_schema():
    trials, curves, meta = _documented_tables()
    assert tuple(trials) == TRIAL_COLUMNS
    assert tuple(curves) == CURVE_COLUMNS
    assert tuple(meta) == META_KEYS


@pytest.fixture
def exported(make_spec, tmp_path):
    space = wide_space().fix(optimizer="momentum", init_scale=1.0)
    spec = make_spec("exp", space=space, n_trials=5, pruner="sha")
    run(spec, n_jobs=1, progress=False)
    out = tmp_path / "out"
    return spec, export(spec.name, spec.storage_url, out), out


def test_export_writes_the_documented_tables(exported):
    spec, tables, out = exported
    params = [f"param_{n}" for n in spec.space.names]
    assert list(tables.trials.columns) == [*TRIAL_COLUMNS, *params]
    assert list(tables.curves.columns) == list(CURVE_COLUMNS)
    assert tuple(tables.meta) == META_KEYS
    for name in ("trials", "curves"):
        for fmt, read in (("csv", pd.read_csv), ("parquet", pd.read_parquet)):
            again = read(out / f"{name}.{fmt}")
            assert list(again.columns) == list(getattr(tables, name).columns)
            assert len(again) == len(getattr(tables, name))
    meta = json.loads((out / "meta.json").read_text())
    assert meta["study"] == "exp" and meta["n_workers"] == 1 and meta["wall_seconds"] > 0
    assert meta["metric"] == "val_acc"  # the objective's metric, as Optuna holds it (study.metric_names)
    assert meta["spec"]["name"] == "exp" and meta["space"]["lr"]["log"] is True
    assert meta["blas"]["threads_per_worker"] == 1 and "numpy" in meta["versions"]
    assert meta["blas"]["netcore_direct_blas"] is netcore_blas.available(np.float32)  # which conv path ran


def test_trials_and_curves_hold_the_study(exported):
    spec, tables, _ = exported
    trials, curves = tables.trials, tables.curves
    assert len(trials) == 5 and set(trials["state"]) <= {"COMPLETE", "PRUNED"}
    assert trials["value"].notna().all() and trials["seed"].nunique() == 5
    assert (trials["param_optimizer"] == "momentum").all() and trials["param_momentum"].notna().all()
    assert trials["param_beta1"].isna().all()  # inactive conditional
    for number, group in curves.groupby("number"):
        epochs = trials.set_index("number").loc[number, "epochs_run"]
        assert set(group["metric"]) == {"train_acc", "val_acc", "train_loss", "val_loss"}
        assert (group.groupby("metric")["epoch"].max() == epochs - 1).all()
        val = group[group["metric"] == "val_acc"].sort_values("epoch")["value"].tolist()
        assert val[-1] == trials.set_index("number").loc[number, "value"]


def test_diverged_trials_export_finite_values_and_nan_losses(make_spec, tmp_path):
    space = SearchSpace((ParamSpec("lr", low=10.0, high=100.0, log=True), ParamSpec("weight_decay", fixed=1e3)))
    spec = make_spec("exp-div", space=space, n_trials=2)
    tables = export(run(spec, n_jobs=1, progress=False), out_dir=False)
    assert tables.trials["diverged"].all() and tables.trials["value"].map(math.isfinite).all()
    assert tables.trials["param_weight_decay"].eq(1e3).all()
    assert not (tmp_path / "runs" / "exp-div" / "export").exists()


def test_a_partly_run_study_exports_the_trials_that_ran_and_counts_the_unused_slots(make_spec, tmp_path):
    spec = make_spec("exp-part", n_trials=3)
    run(spec, n_jobs=1, progress=False)  # slots 0-2 run
    study = run(spec.replace(n_trials=8), n_jobs=0, progress=False)  # slots 3-7 planned, none claimed
    running = claim(study, 8)  # slot 3 is running at export time
    failed = claim(study, 8)  # slot 4 starts, fails (as an interrupted trial does) and is re-queued
    study.tell(failed, state=TrialState.FAIL)
    assert requeue(study, study.get_trials(deepcopy=False)[failed.number])
    tables = export(study, out_dir=tmp_path / "out")

    storage = open_storage(spec.storage_url, create=False)  # Optuna's own view, through a fresh connection
    every = optuna.load_study(study_name=spec.name, storage=storage).get_trials(deepcopy=False)
    waiting = [t for t in every if t.state == TrialState.WAITING]
    assert len(waiting) == 1 and waiting[0].user_attrs["slot"] == 4  # slot 4's retry; 5-7 have no trial yet
    assert sorted(t.user_attrs["slot"] for t in every) == [0, 1, 2, 3, 4, 4]
    ran = sorted(t.number for t in every if t.state != TrialState.WAITING)
    for frame in (tables.trials, pd.read_csv(tmp_path / "out" / "trials.csv"),
                  pd.read_parquet(tmp_path / "out" / "trials.parquet")):
        assert sorted(frame["number"]) == ran and "WAITING" not in set(frame["state"])
    by_number = tables.trials.set_index("number")
    assert by_number.loc[failed.number, "state"] == "FAIL" and by_number.loc[running.number, "state"] == "RUNNING"
    assert set(tables.curves["number"]) <= set(ran)
    meta = json.loads((tmp_path / "out" / "meta.json").read_text())
    assert meta["n_trials"] == 8 and meta["slots_ran"] == 5 and meta["unused_slots"] == 3
    assert meta["waiting_left_out"] == len(waiting) and meta["counts"]["WAITING"] == len(waiting)
    assert sum(meta["counts"].values()) == len(every) == len(tables.trials) + len(waiting)


def _first_quick_then_slow(params, settings, *, seed, on_epoch=None):
    """The first trial ends at once; later ones evaluate every 0.1 s for 2 s: a 0.5 s budget stops the second."""
    calls = _first_quick_then_slow.calls = getattr(_first_quick_then_slow, "calls", 0) + 1
    for epoch in range(1 if calls == 1 else 20):
        if calls > 1:
            time.sleep(0.1)
        if on_epoch is not None and on_epoch(epoch, 0.5):
            break
    curves = {"train_acc": [0.5], "val_acc": [0.5], "train_loss": [1.0], "val_loss": [1.0]}
    return TrialResult(0.5, 0.5, False, False, 20, 100, 0.1, curves, [0])


def test_a_study_stopped_by_its_time_budget_exports_only_the_trials_that_ran(make_spec, tmp_path):
    spec = make_spec("exp-budget", n_trials=4)
    study = create_study(spec)
    _first_quick_then_slow.calls = 0
    summary = run_worker(spec, objective=_first_quick_then_slow, deadline=time.time() + 0.5, blas_threads=None)
    assert summary["out_of_time"]
    every = study.get_trials(deepcopy=False)
    states = Counter(t.state for t in every)
    # slot 1's retry waits; slots 2 and 3 were never claimed, so they have no trial
    assert states[TrialState.COMPLETE] == 1 and states[TrialState.FAIL] == 1 and states[TrialState.WAITING] == 1
    assert len(every) == 3
    tables = export(study, out_dir=False)
    assert sorted(tables.trials["state"]) == ["COMPLETE", "FAIL"]
    assert sorted(tables.trials["number"]) == sorted(t.number for t in every if t.state != TrialState.WAITING)
    assert sorted(tables.trials["slot"]) == [0, 1]
    meta = tables.meta  # slot 1's retry waits to run again: left out, but slot 1 ran
    assert (meta["slots_ran"], meta["unused_slots"], meta["waiting_left_out"], meta["n_trials"]) == (2, 2, 1, 4)


def test_the_study_page_says_how_many_slots_ran(make_spec, tmp_path):
    from reports import render

    spec = make_spec("exp-page", n_trials=2)
    run(spec, n_jobs=1, progress=False)
    study = run(spec.replace(n_trials=7), n_jobs=0, progress=False)
    export(study, out_dir=tmp_path / "out")
    page = render(tmp_path / "out", out_dir=tmp_path / "page").read_text(encoding="utf-8")
    assert "2 of 7 slots ran (5 never started)" in page and "<th>waiting</th><td>0</td>" in page


def test_the_warm_start_and_the_schedule_are_exported_as_the_study_holds_them(make_spec):
    priors = {"configs": [{"params": {"lr": 0.01}, "source": "book defaults"}], "startup_trials": 1}
    study = run(make_spec("exp-warm", n_trials=2, priors=priors, pruner="asha"), n_jobs=1, progress=False)
    meta = export(study, out_dir=False).meta
    assert meta["priors"] == study.user_attrs["priors"] and meta["priors"]["configs"][0]["source"] == "book defaults"
    assert meta["schedule"] == study.user_attrs["schedule"] and meta["schedule"]["rungs"]
    plain = export(run(make_spec("exp-plain", n_trials=1), n_jobs=1, progress=False), out_dir=False).meta
    assert plain["priors"] is None and plain["schedule"] is None


def test_export_by_name_needs_a_storage():
    with pytest.raises(ValueError, match="needs its storage"):
        export("some-study")
