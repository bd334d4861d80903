"""The runner over method x seed x task: live at a tiny budget, and replay on one or two workers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hpsearch import ObjectiveSettings, book_space, train_seed
from hpsearch.benchmark import BenchmarkSpec, Task, analyze, build_table, mlp_table, run_benchmark, write_export
from hpsearch.benchmark.export import TABLES
from hpsearch.samplers.planned import plan

TINY = ObjectiveSettings(n_samples=150, hidden=(16, 16), epochs=3, batch_size=40)
TASK = Task("tiny", book_space(lr=(1e-4, 1e-1), weight_decay=(1e-6, 1e-4)), TINY, table="tiny-runner")


@pytest.mark.slow
def test_live_benchmark_two_methods_two_seeds(tmp_path):
    spec = BenchmarkSpec(name="b", tasks=(TASK,), methods=("random-median", "narrowing"), seeds=(0, 1),
                         budget=8, out_dir=str(tmp_path))
    seen = []
    result = run_benchmark(spec, mode="live", n_jobs=1, on_run=seen.append)
    runs, trials = result.runs, result.trials
    assert [(r["method"], r["seed"]) for r in seen] == [("random-median", 0), ("random-median", 1),
                                                        ("narrowing", 0), ("narrowing", 1)]
    assert runs[["method", "seed"]].values.tolist() == [["random-median", 0], ["random-median", 1],
                                                        ["narrowing", 0], ["narrowing", 1]]
    limit = 8 * TINY.epochs
    for (method, _seed), g in trials.groupby(["method", "seed"]):
        if method == "random-median":  # resumed with more slots until the pruned trials spent the budget
            assert g["epochs"].sum() >= limit
        else:  # 4 rounds of 8 // 4 trials
            assert g["round"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert (runs["epochs_used"] <= limit).all()
    assert runs["test_acc"].between(0, 1).all() and runs["best_value"].between(0, 1).all()
    # the planned random draws and the training seeds are hpsearch's, slot by slot
    med = trials.loc[(trials["method"] == "random-median") & (trials["seed"] == 1)].sort_values("number")
    expected = plan(TASK.space, "random", seed=1, n=len(med))
    assert np.allclose(med["param_lr"], [p["lr"] for p in expected])
    assert med["train_seed"].tolist() == [train_seed(1, k) for k in range(len(med))]
    # the chosen configuration is the best COMPLETE trial within the budget
    for _, run in runs.iterrows():
        g = trials.loc[(trials["method"] == run["method"]) & (trials["seed"] == run["seed"]) & trials["in_budget"]]
        assert run["best_value"] == g.loc[g["state"] == "COMPLETE", "value"].max()
    # resuming reproduces every result
    again = run_benchmark(spec, mode="live", n_jobs=1)
    pd.testing.assert_series_equal(again.runs["best_value"], runs["best_value"])


def test_replay_on_two_workers_equals_one_and_exports_every_table(tmp_path):
    defn = mlp_table("tiny-runner", settings=TINY, lr=(1e-4, 1e-3, 1e-2, 1e-1), weight_decay=(1e-6, 1e-4),
                    optimizer=("sgd",), init_scale=(1.0,), replicates=2)
    table = build_table(defn, out_dir=tmp_path / "tables", n_jobs=1)
    spec = BenchmarkSpec(name="r", tasks=(TASK,), methods=("random", "tpe", "random-median"), seeds=(0, 1, 2),
                         budget=6, out_dir=str(tmp_path))
    one = run_benchmark(spec, mode="replay", n_jobs=1, tables={"tiny-runner": table})
    two = run_benchmark(spec, mode="replay", n_jobs=2, tables={"tiny-runner": table})
    cols = ["task", "method", "seed", "order", "state", "value", "epochs"]
    pd.testing.assert_frame_equal(one.trials[cols], two.trials[cols])
    assert len(one.runs) == 9 and one.meta["mode"] == "replay"
    analysis = analyze(one, rng=np.random.default_rng(0), n_boot=100, headline_task="tiny")
    out = write_export(one, analysis, tmp_path / "export")
    for name in TABLES:
        assert (out / f"{name}.parquet").is_file() and (out / f"{name}.csv").is_file()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["headline"]["task"] == "tiny" and "definitions" in meta
    assert set(analysis.time_to_target["axis"]) == {"epochs", "seconds"}
    ref = analysis.time_to_target.query("method == 'random' and axis == 'epochs'")
    assert ref["speedup"].iloc[0] == pytest.approx(1.0)
