"""The export schema: exactly the columns and keys documented in docs/hpsearch.md, from the storage alone."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hpsearch import ParamSpec, SearchSpace, export, run, wide_space
from hpsearch.export import CURVE_COLUMNS, META_KEYS, TRIAL_COLUMNS
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


def test_export_by_name_needs_a_storage():
    with pytest.raises(ValueError, match="needs its storage"):
        export("some-study")
