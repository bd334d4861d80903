"""A tiny conv-net grid table, built once per session for real (16 trials on 2 workers through hpsearch.run):
lr (log) x filters1 (log) x batch norm (categorical), one conv block of 2 or 4 filters, 200 mnist-5k images,
3 epochs of 2 evaluations each (on a 25-image validation subsample), 2 replicates."""

from __future__ import annotations

import pytest

from hpsearch.benchmark import Axis, Table, TableDef, Task, build_table
from hpsearch.objectives.cnn import CnnSettings

CNN_SETTINGS = CnnSettings(dataset="mnist-5k", n_samples=200, n_val=50, epochs=3, batch_size=25, evals_per_epoch=2,
                           eval_val_n=25, eval_train_n=25)
CNN_DEFN = TableDef("tiny-cnn", settings=CNN_SETTINGS, objective="table-cnn",
                    axes=(Axis("lr", (1e-3, 1e-2), "log"), Axis("filters1", (2, 4), "log"),
                          Axis("batch_norm", (True, False))),
                    fixed={"blocks": 1, "dense": 8, "kernel_size": 3, "optimizer": "adam"}, replicates=2)
CNN_TASK = Task("tiny-cnn", CNN_DEFN.task_space(), CNN_SETTINGS, table="tiny-cnn", objective="cnn")


@pytest.fixture(scope="session")
def cnn_table(tmp_path_factory) -> Table:
    return build_table(CNN_DEFN, out_dir=tmp_path_factory.mktemp("cnn-tables"), n_jobs=2)
