"""reports.load: reading and validating export folders (the export schema of docs/architecture.md)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from reports import ExportError, StudyExport, load_export, write_export


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_round_trip_keeps_the_tables(tmp_path, make_export, fmt):
    export = make_export()
    folder = write_export(export, tmp_path / "runs" / "tiny" / "export", fmt=fmt)
    back = load_export(folder)
    assert back.source == folder
    assert back.study == "tiny"
    assert back.params == ["lr", "weight_decay", "optimizer", "momentum"]
    pd.testing.assert_series_equal(back.trials["value"], export.trials["value"])
    assert back.trials["diverged"].dtype == bool
    assert back.trials["diverged"].tolist() == [False] * 6 + [True, False]
    assert len(back.curves) == len(export.curves)
    assert back.meta["importance"]["lr"] == 0.6


def test_the_study_folder_finds_its_export_subfolder(tmp_path, make_export):
    write_export(make_export(), tmp_path / "tiny" / "export", fmt="csv")
    assert load_export(tmp_path / "tiny").source == tmp_path / "tiny" / "export"


def test_a_missing_column_is_named(trials):
    with pytest.raises(ExportError, match="'seconds'"):
        StudyExport.from_frames(trials.drop(columns=["seconds"]))


def test_a_missing_curve_column_is_named(trials, curves):
    with pytest.raises(ExportError, match="curves has no column 'metric'"):
        StudyExport.from_frames(trials, curves.drop(columns=["metric"]))


def test_a_folder_without_trials_says_so(tmp_path):
    with pytest.raises(ExportError, match="no trials.parquet or trials.csv"):
        load_export(tmp_path)


def test_curves_and_meta_may_be_absent(tmp_path, trials):
    trials.to_csv(tmp_path / "trials.csv", index=False)
    export = load_export(tmp_path)
    assert export.curves.empty and list(export.curves.columns) == ["study", "number", "epoch", "metric", "value"]
    assert export.meta == {}
    assert export.direction == "maximize"


def test_csv_text_booleans_and_missing_values_are_normalised(tmp_path, trials):
    trials["diverged"] = ["True", "False", None, "false", "1", "0", "TRUE", ""]
    trials.to_csv(tmp_path / "trials.csv", index=False)
    got = load_export(tmp_path).trials["diverged"]
    assert got.tolist() == [True, False, False, False, True, False, True, False]


def test_rows_are_sorted_by_number_and_space_flags_are_read(trials, meta):
    export = StudyExport.from_frames(trials.iloc[::-1], None, meta)
    assert export.trials["number"].tolist() == list(range(8))
    assert export.is_log("lr") and not export.is_log("momentum") and not export.is_log("nope")
    assert export.is_categorical("optimizer") and not export.is_categorical("lr")


def test_without_a_space_a_text_column_is_categorical(trials):
    export = StudyExport.from_frames(trials)
    assert export.is_categorical("optimizer") and not export.is_categorical("lr")
    assert not export.is_log("lr")


def test_meta_is_written_as_json(tmp_path, make_export):
    folder = write_export(make_export(), tmp_path / "e")
    assert json.loads((folder / "meta.json").read_text())["seed"] == 42
    assert np.isnan(load_export(folder).trials.loc[4, "value"])
