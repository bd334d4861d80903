"""The replays of one-epoch-top-k (the tiny conv-net table) and hpsearch-default (a hand-made table whose
stored seconds differ, so cost-aware stopping shows)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hpsearch.benchmark import METHODS, Axis, Table, TableDef, Task, replay_run
from hpsearch.benchmark.procedures import WarmStart, screening_plan
from hpsearch.objectives.mlp import ObjectiveSettings
from hpsearch.samplers.planned import plan
from hpsearch.space import ParamSpec, SearchSpace
from tests.hpsearch.benchmark.conftest import CNN_TASK

CORE = ["order", "round", "number", "state", "value", "epochs", "replicate", "param_lr", "param_filters1"]


def test_one_epoch_top_k_takes_exactly_the_best_k_of_the_screening_to_full_length(cnn_table):
    frame, run = replay_run(cnn_table, CNN_TASK, METHODS["one-epoch-top-k"], 4, budget=6)
    n, k = screening_plan(6, 6, 2, 0.5)  # 36 evaluations: 18 screen 9 configurations, 4 x 4 continue
    assert (n, k) == (9, 4)
    first, second = frame.loc[frame["round"] == 1], frame.loc[frame["round"] == 2]
    assert len(first) == 9 and (first["epochs"] == 1.0).all()  # one epoch = 2 evaluations
    assert first["param_lr"].tolist() == [p["lr"] for p in plan(CNN_TASK.space, "random", seed=4, n=9)]
    kept = first.loc[first["state"] == "PAUSED"]
    best = first.sort_values(["value", "number"], ascending=[False, True], kind="stable")["number"].head(4)
    assert kept["number"].tolist() == sorted(best.tolist())  # the top k by one-epoch score, no other
    assert set(first["state"]) == {"PAUSED", "PRUNED"}
    assert second["number"].tolist() == best.tolist()  # continued in the order of their rank
    assert (second["state"] == "COMPLETE").all() and (second["epochs"] == 2.0).all()  # to the full 3 epochs
    for row in second.itertuples():
        params = {"lr": row.param_lr, "filters1": row.param_filters1, "batch_norm": row.param_batch_norm}
        assert row.value == pytest.approx(float(cnn_table.value[(*cnn_table.cell(params), row.replicate)]))
    assert run["epochs_used"] == 17.0 and run["trials"] == 13
    again, _ = replay_run(cnn_table, CNN_TASK, METHODS["one-epoch-top-k"], 4, budget=6)
    pd.testing.assert_frame_equal(again[CORE], frame[CORE])
    other, _ = replay_run(cnn_table, CNN_TASK, METHODS["one-epoch-top-k"], 5, budget=6)
    assert other["param_lr"].tolist() != frame["param_lr"].tolist()


SETTINGS = ObjectiveSettings(n_samples=150, hidden=(16, 16), epochs=10, batch_size=40)
FAST_GOOD = np.linspace(0.1, 0.9, 10)  # lr 1e-3: 10 s an evaluation, rising
SLOW_BAD = np.full(10, 0.35)  # lr 1e-2: better than the other at its first evaluation, worse at equal seconds


def _costs_table(slow_seconds: float) -> Table:
    defn = TableDef("costs", settings=SETTINGS, axes=(Axis("lr", (1e-3, 1e-2), "log"),), replicates=1)
    curves = np.stack([FAST_GOOD, SLOW_BAD]).reshape(2, 1, 10).astype(np.float32)
    steps = np.arange(1, 11)
    spent = np.stack([10.0 * steps, slow_seconds * steps]).reshape(2, 1, 10)
    return Table(defn=defn, val_acc=curves, eval_seconds=spent, value=curves[..., -1].copy(),
                 test_acc=np.full((2, 1), 0.5, np.float32), seconds=spent[..., -1].astype(np.float32),
                 epochs_run=np.full((2, 1), 10, np.int16), diverged=np.zeros((2, 1), bool),
                 seed=np.arange(2).reshape(2, 1), meta={})


TASK = Task("costs", SearchSpace((ParamSpec("lr", low=1e-3, high=1e-2, log=True),)), SETTINGS, table="costs",
            priors=({"params": {"lr": 1e-3}, "source": "fast"}, {"params": {"lr": 1e-2}, "source": "slow"}))


@pytest.mark.parametrize(("slow_seconds", "stopped_at", "spent", "startup"),
                         [(100.0, 1, 100.0, 6), (10.0, 5, 50.0, 3)])
def test_hpsearch_default_stops_a_slow_bad_configuration_at_equal_seconds(slow_seconds, stopped_at, spent, startup):
    """Slow (100 s an evaluation): the seconds budget 4 x 550 s puts rungs at 11, 33, 99 s; its first evaluation
    (100 s) crosses all three, and at 33 s the fast configuration held 0.367 > 0.35: stopped there. Fast (10 s):
    rungs at 5, 15, 45 s; at 45 s the other held 0.456: stopped at its fifth evaluation. Counted in evaluations,
    it would lead at the first (0.35 > 0.1). The start-up scales with the seconds budget: 2,200 s hold 66 trials
    stopped at their second rung (a tenth: 6), 400 s hold 26 (3, the least)."""
    table = _costs_table(slow_seconds)
    frame, run = replay_run(table, TASK, METHODS["hpsearch-default"], 0, budget=4)
    assert frame["param_lr"].iloc[:2].tolist() == [1e-3, 1e-2]  # the priors first
    fast, slow = frame.iloc[0], frame.iloc[1]
    assert fast["state"] == "COMPLETE" and fast["epochs"] == 10
    assert slow["state"] == "PRUNED" and slow["epochs"] == stopped_at
    assert slow["seconds"] == pytest.approx(spent, abs=0.5)  # the table's seconds (plus the sampler's cost)
    warm = WarmStart.for_run(table, TASK, 0, 4)
    assert warm.startup == 2 + startup and len(warm.slots) == 2 + startup  # the priors, then the start-up
    again, _ = replay_run(table, TASK, METHODS["hpsearch-default"], 0, budget=4)
    pd.testing.assert_frame_equal(again[["state", "value", "epochs", "param_lr"]],
                                  frame[["state", "value", "epochs", "param_lr"]])
    assert run["best_value"] == pytest.approx(0.9)


def test_hpsearch_default_replays_the_cnn_table_deterministically(cnn_table):
    a, run_a = replay_run(cnn_table, CNN_TASK, METHODS["hpsearch-default"], 2, budget=8)
    b, run_b = replay_run(cnn_table, CNN_TASK, METHODS["hpsearch-default"], 2, budget=8)
    pd.testing.assert_frame_equal(a[CORE], b[CORE])
    assert run_a["best_value"] == run_b["best_value"] and run_a["epochs_used"] <= 8 * 3


def test_the_replay_only_methods_are_refused_live_in_one_line(tmp_path):
    from hpsearch.benchmark import BenchmarkSpec, run_benchmark

    spec = BenchmarkSpec(name="x", tasks=(TASK,), methods=("random", "one-epoch-top-k"), seeds=(0,), budget=2,
                         out_dir=str(tmp_path))
    with pytest.raises(ValueError, match="'one-epoch-top-k' runs in replay only"):
        run_benchmark(spec, mode="live")
    assert not any(tmp_path.iterdir())  # refused before anything trained or was written
