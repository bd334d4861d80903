"""Grid tables whose axes are data: a conv-net table built for real, its snapping on numeric and categorical
axes, the npz round trip, format 1 files of the book grids, and the real-size definitions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from hpsearch.benchmark import TABLES, TASKS, Axis, Table, TableDef, mlp_table
from hpsearch.benchmark.procedures import into_space
from hpsearch.objectives.cnn import CnnSettings, evaluate
from hpsearch.objectives.mlp import ObjectiveSettings
from hpsearch.objectives.protocol import fullsize_settings
from hpsearch.space import book_space
from tests.hpsearch.benchmark.conftest import CNN_DEFN, CNN_SETTINGS


def test_a_cnn_table_holds_every_cell_with_its_costs_and_round_trips(cnn_table, tmp_path):
    assert cnn_table.val_acc.shape == (2, 2, 2, 2, 6) and cnn_table.epochs == 6  # 3 epochs x 2 evaluations
    done = cnn_table.epochs_run == 6
    assert done.all() and np.isfinite(cnn_table.value).all() and np.isfinite(cnn_table.test_acc).all()
    spent = cnn_table.eval_seconds
    assert (np.diff(spent, axis=-1) > 0).all()  # the seconds a trial had spent grow evaluation by evaluation
    np.testing.assert_array_equal(spent[..., -1], cnn_table.seconds)  # the last one is the whole trial
    path = cnn_table.save(tmp_path / "t.npz")
    with np.load(path, allow_pickle=False) as z:
        assert json.loads(str(z["header"]))["format"] == 2
    again = Table.load(path)
    assert again.defn == CNN_DEFN
    for name in ("val_acc", "eval_seconds", "value", "test_acc", "seconds", "seed"):
        np.testing.assert_array_equal(getattr(again, name), getattr(cnn_table, name))


def test_a_stored_cnn_cell_is_the_live_trial(cnn_table):
    """Its curve, and its score on the whole validation split (the evaluations used a subsample of it)."""
    at = (1, 0, 0, 1)
    params = {**cnn_table.cell_params(at[:-1]), **CNN_DEFN.fixed}
    with threadpool_limits(limits=1):
        live = evaluate(params, CNN_SETTINGS, seed=int(cnn_table.seed[at]))
    np.testing.assert_array_equal(np.float32(live.curves["val_acc"]), cnn_table.val_acc[at])
    assert np.float32(live.value) == cnn_table.value[at]


def test_numeric_axes_snap_and_categorical_axes_match(cnn_table):
    cell = cnn_table.cell
    assert cell({"lr": 3e-3, "filters1": 3, "batch_norm": False}) == (0, 1, 1)  # log10: 3e-3 -> 1e-3, 3 -> 4
    assert cell({"lr": 1.0, "filters1": 1, "batch_norm": True, "optimizer": "adam"}) == (1, 0, 0)  # edges
    with pytest.raises(ValueError, match="not on the grid"):
        cell({"lr": 1e-3, "filters1": 2, "batch_norm": "yes"})
    with pytest.raises(ValueError, match="fixes it to 'adam'"):
        cell({"lr": 1e-3, "filters1": 2, "batch_norm": True, "optimizer": "momentum"})
    with pytest.raises(ValueError, match="no value for 'batch_norm'"):
        cell({"lr": 1e-3, "filters1": 2})
    linear = Axis("dropout", (0.0, 0.2, 0.4), "linear")
    assert [linear.snap(v) for v in (-1.0, 0.05, 0.25, 0.39, 7.0)] == [0, 0, 1, 2, 2]
    with pytest.raises(ValueError, match="increasing"):
        Axis("lr", (1e-2, 1e-3), "log")
    with pytest.raises(ValueError, match="both an axis and fixed"):
        TableDef("x", axes=(Axis("lr", (1e-3,), "log"),), fixed={"lr": 1e-3})


def test_format_1_tables_load_as_their_replays_read_them_and_other_formats_are_refused(tmp_path):
    settings = ObjectiveSettings(n_samples=150, hidden=(16, 16), epochs=3, batch_size=40)
    old = {"name": "old", "settings": settings.to_dict(), "replicates": 1, "lr": [1e-3, 1e-2],
           "weight_decay": [1e-6], "optimizer": ["sgd"], "init_scale": [1.0]}
    val = np.array([[0.1, 0.2, 0.3], [0.5, np.nan, np.nan]], dtype=np.float32).reshape(2, 1, 1, 1, 1, 3)
    cells = {"test_acc": np.full((2, 1, 1, 1, 1), 0.4, np.float32),
             "seconds": np.array([3.0, 0.7], np.float32).reshape(2, 1, 1, 1, 1),
             "epochs_run": np.array([3, 1], np.int16).reshape(2, 1, 1, 1, 1),
             "diverged": np.array([False, True]).reshape(2, 1, 1, 1, 1),
             "seed": np.array([5, 6], np.int64).reshape(2, 1, 1, 1, 1)}
    path = tmp_path / "old.npz"
    np.savez_compressed(path, header=np.array(json.dumps({"defn": old, "meta": {}})), val_acc=val, **cells)
    table = Table.load(path)
    assert table.defn == mlp_table("old", settings=settings, lr=(1e-3, 1e-2), weight_decay=(1e-6,),
                                   optimizer=("sgd",), init_scale=(1.0,), replicates=1)
    assert table.value.ravel().tolist() == pytest.approx([0.3, 0.5])  # the last evaluation run
    np.testing.assert_allclose(table.eval_seconds[0].ravel(), [1.0, 2.0, 3.0])  # spread evenly
    assert table.eval_seconds[1].ravel()[0] == pytest.approx(0.7) and np.isnan(table.eval_seconds[1].ravel()[1])
    np.savez_compressed(path, header=np.array(json.dumps({"format": 99, "defn": old, "meta": {}})), val_acc=val,
                        **cells)
    with pytest.raises(ValueError, match="table format 99 is not readable here"):
        Table.load(path)


def test_the_real_size_grid_and_task():
    defn, task = TABLES["fashion-cnn"], TASKS["fashion-cnn"]
    assert defn.objective == "table-cnn" and defn.n_cells == 64 and defn.settings.n_evals == 32
    # the script's protocol, less the test-time flip averaging the stored table was built without
    assert defn.settings == fullsize_settings(CnnSettings, epochs=8, tta_flip=False) and defn.settings.n_val == 10_000
    assert fullsize_settings(CnnSettings, epochs=8).tta_flip and not defn.settings.tta_flip
    assert task.settings == defn.settings and task.target == 0.92 and task.objective == "cnn"
    assert task.space["filters1"].low == 16 and task.space["filters2"].high == 64 and task.space["lr"].log
    assert task.space["dense"].fixed == 128 and task.space["blocks"].fixed == 2
    moved = [into_space(p["params"], task.space) for p in task.priors]  # the script's priors, in the box
    assert moved[0] == {"lr": 1e-3, "optimizer": "adam", "filters1": 32, "filters2": 64, "batch_norm": True}
    assert moved[1]["lr"] == pytest.approx(10**-1.5) and moved[1]["optimizer"] == "momentum"  # 0.05 clipped
    quick = TASKS["fashion-cnn-quick"]
    assert quick.settings.dataset == "mnist-5k" and quick.target is None
    assert TABLES["book"] == mlp_table("book") and TASKS["book"].space == book_space()


SHIPPED = Path(__file__).resolve().parents[3] / "bench" / "tables" / "table-fashion-cnn.npz"


def test_the_shipped_real_size_table_is_the_grid_as_defined_now_and_complete():
    # built once (docs/benchmark.md); a change to the grid's definition must come with a rebuilt table
    table = Table.load(SHIPPED)
    assert table.defn == TABLES["fashion-cnn"]
    assert table.val_acc.shape == (4, 2, 2, 2, 2, 1, 32) and (table.epochs_run == 32).all()
    assert np.isfinite(table.value).all() and np.isfinite(table.test_acc).all() and not table.diverged.any()
    assert (np.diff(table.eval_seconds, axis=-1) > 0).all()
    np.testing.assert_array_equal(table.eval_seconds[..., -1], table.seconds)
    # a trial's score is on the whole validation split, its curve on 2,000 images: they agree to a few points
    assert np.abs(table.value - table.val_acc[..., -1]).max() < 0.03
