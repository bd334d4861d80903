"""The tabular benchmark: a tiny grid built with the parallel runner, stored, looked up, and replayed.

The grid (4 lr x 2 weight decays x 2 optimizers x 1 init scale x 2 replicates = 32 trials of a 784-16-16-10
net for 3 epochs) is built once per module on 2 workers through hpsearch.run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from hpsearch import ObjectiveSettings, book_space, evaluate
from hpsearch.benchmark import METHODS, Table, Task, build_table, load_or_build, mlp_table, replay_run, table_path
from hpsearch.benchmark.table import fingerprint
from hpsearch.objectives.mlp import evaluate_on_test
from hpsearch.samplers.planned import plan

TINY = ObjectiveSettings(n_samples=150, hidden=(16, 16), epochs=3, batch_size=40)
DEFN = mlp_table("tiny", settings=TINY, lr=(1e-4, 1e-3, 1e-2, 1e-1), weight_decay=(1e-6, 1e-4),
                optimizer=("sgd", "adam"), init_scale=(1.0,), replicates=2)
TASK = Task("tiny", book_space(lr=(1e-4, 1e-1), weight_decay=(1e-6, 1e-4)), TINY, table="tiny")


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> Table:
    return build_table(DEFN, out_dir=tmp_path_factory.mktemp("tables"), n_jobs=2)


def test_the_table_holds_every_cell_and_round_trips_without_pickle(table, tmp_path):
    assert table.val_acc.shape == (4, 2, 2, 1, 2, 3)
    assert (table.epochs_run > 0).all() and np.isfinite(table.test_acc).all()
    assert len({int(s) for s in table.seed.ravel()}) == 32  # every (cell, replicate) its own training seed
    path = table.save(tmp_path / "t.npz")
    with np.load(path, allow_pickle=False) as z:  # no object arrays: loadable without pickle
        assert "header" in z.files
    again = Table.load(path)
    assert again.defn == DEFN and again.meta["trials"] == 32
    np.testing.assert_array_equal(again.val_acc, table.val_acc)
    np.testing.assert_array_equal(again.seed, table.seed)


def test_load_or_build_uses_the_cache_and_studies_carry_a_fingerprint(table, tmp_path):
    table.save(table_path(DEFN, tmp_path))
    assert load_or_build(DEFN, out_dir=tmp_path).meta == table.meta  # no training: the cached table
    assert all(f"-{fingerprint(DEFN)}-" in s for s in table.meta["studies"])


def test_replay_and_live_training_agree_on_grid_points(table):
    """Every grid cell and replicate: training live with the stored seed gives the stored curve and test score."""
    with threadpool_limits(limits=1):  # as the workers that built the table
        for idx in np.ndindex(*table.val_acc.shape[:-1]):
            params = table.cell_params(idx[:-1])
            seed = int(table.seed[idx])
            n = int(table.epochs_run[idx])
            live = evaluate(params, TINY, seed=seed)
            np.testing.assert_array_equal(np.float32(live.curves["val_acc"]), table.val_acc[idx][:n])
            assert live.epochs_run == n and live.diverged == bool(table.diverged[idx])
            if idx[0] == 2:  # test scores: one lr row is enough
                assert np.float32(evaluate_on_test(params, TINY, seed=seed)[1]) == table.test_acc[idx]


def test_off_grid_rule_snaps_in_log10_units(table):
    cell = table.cell
    assert cell({"lr": 1e-3, "weight_decay": 1e-4, "optimizer": "adam"}) == (1, 1, 1, 0)
    assert cell({"lr": 3e-3, "weight_decay": 1e-6})[0] == 1  # log10 distances 0.477 < 0.523: 1e-3
    assert cell({"lr": 4e-3, "weight_decay": 1e-6})[0] == 2  # 0.602 > 0.398: 1e-2
    assert cell({"lr": 10 ** -2.5, "weight_decay": 1e-6})[0] == 1  # an exact tie goes to the lower value
    assert cell({"lr": 1e-9, "weight_decay": 1.0})[:2] == (0, 1)  # outside the grid: its edges
    assert cell({"lr": 1e-3, "weight_decay": 1e-5})[2:] == (0, 0)  # optimizer sgd and init scale 1 by default
    with pytest.raises(ValueError, match="not on the grid"):
        cell({"lr": 1e-3, "weight_decay": 1e-5, "optimizer": "rmsprop"})
    with pytest.raises(ValueError, match="log10"):
        cell({"lr": 1e-3, "weight_decay": 0.0})


def _core(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["order", "state", "value", "epochs", "replicate", "param_lr", "param_weight_decay"]]


@pytest.mark.parametrize("method", ["tpe-hyperband", "cmaes", "random-median", "narrowing"])
def test_replay_is_deterministic(table, method):
    a, run_a = replay_run(table, TASK, METHODS[method], 3, budget=12)
    b, run_b = replay_run(table, TASK, METHODS[method], 3, budget=12)
    pd.testing.assert_frame_equal(_core(a), _core(b))  # Hyperband's brackets hash the (fixed) study name
    assert run_a["best_value"] == run_b["best_value"] and run_a["test_acc"] == run_b["test_acc"]


def test_planned_samplers_replay_the_live_plan(table):
    a, run_a = replay_run(table, TASK, METHODS["random"], 3, budget=12)
    expected = plan(TASK.space, "random", seed=3, n=12)
    assert a["param_lr"].tolist() == [p["lr"] for p in expected]
    assert len(a) == 12 and a["epochs"].sum() == 36 and run_a["epochs_used"] == 36
    best = a.loc[a["state"] == "COMPLETE", "value"].max()
    assert run_a["best_value"] == best


@pytest.mark.parametrize("method", ["tpe", "cmaes", "qmc", "tpe-hyperband", "random-median"])
def test_every_method_replays_to_the_epoch_budget(table, method):
    frame, run = replay_run(table, TASK, METHODS[method], 0, budget=10)
    limit = 10 * TINY.epochs
    assert frame["epochs"].sum() >= limit and run["epochs_used"] <= limit
    inside = frame.loc[frame["in_budget"]]
    assert inside["cum_epochs"].iloc[-1] == run["epochs_used"]
    if METHODS[method].pruner != "none":
        pruned = frame.loc[frame["state"] == "PRUNED"]
        assert (pruned["epochs"] < TINY.epochs).all()
    assert 0.0 <= run["test_acc"] <= 1.0


def test_narrowing_replay_runs_rounds_inside_the_task_box(table):
    frame, run = replay_run(table, TASK, METHODS["narrowing"], 1, budget=12)
    assert frame["round"].tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    assert frame["param_lr"].between(1e-4, 1e-1).all()
    assert frame["param_weight_decay"].between(1e-6, 1e-4).all()
    assert run["trials"] == 12


def test_replay_refuses_a_task_trained_under_other_settings(table):
    other = Task("other", TASK.space, ObjectiveSettings(n_samples=150, hidden=(16, 16), epochs=4), table="tiny")
    with pytest.raises(ValueError, match="other settings"):
        replay_run(table, other, METHODS["random"], 0, budget=2)
