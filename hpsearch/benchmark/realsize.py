"""The real-size task: the conv-net family on the full Fashion-MNIST, replayed from a grid built once.

``fashion-cnn``: studies/fashion_mnist.py's protocol (:func:`hpsearch.objectives.protocol.fullsize_settings`:
50,000 train / 10,000 validation, four evaluations per epoch on 2,000 validation images, the modern recipe
without test-time flip averaging)
for :data:`EPOCHS` epochs, on the grid

* lr 10^-3, 10^-2.5, 10^-2, 10^-1.5 (log axis) x optimizer momentum, adam
* x filters1 16, 32 x filters2 32, 64 (log axes: the ends of the script's ranges) x batch norm on, off,

with 2 conv blocks of 3x3 kernels, dense 128, dropout 0.3, weight decay 1e-6 and init scale 1 fixed
(:data:`FIXED`: the script's priors' choices; weight decay the book prior's, as the L2 term of a coupled
decay would pull Adam's weights hard at 5e-4); one training replicate per cell: 64 trials of 32 evaluations.

Its cost: quarter epochs of each of the 8 architectures timed on one worker (2026-12-06, a 2-core EPYC VM
busy with another job, load average 2.7-3.7) gave 12-76 s an epoch; scaled by 46/76 (docs/fullsize.md: the
32-64 net with batch norm takes 46 s an epoch with two workers side by side on the quiet machine), an epoch
averages 22 s over the architectures (16-32: 7 s without batch norm, 13 s with; 32-64: 41 and 46 s), so
64 cells x 8 epochs on 2 workers take about 95 minutes, the evaluations included, plus under 2% for the final
validation and test scores: about 1 h 40 min on a quiet 2-core machine, 2 h if the scaling flatters (it is
rough: the load moved while timing; the benchmark script's own timing on the busy machine, load 3.6, said
3 h 22 min). The benchmark script times one evaluation of a few cells on the machine at hand and prints its
own estimate before it builds. The task
searches the grid's box and starts warm from the script's prior configurations moved into it; its target is
0.92 validation accuracy (issue 21's real-size comparison; the quick task's is the reference's median final
best, as every other task's).

``fashion-cnn-quick``: the same axes made tiny (2 learning rates, 400 mnist-5k images, 4-8 / 8-16 filters,
dense 16, two epochs of batch 20 with two evaluations each: 32 trials), built in seconds: the tests' and
``--quick``'s stand-in, whose scores mean little.
"""

from __future__ import annotations

from hpsearch.benchmark.grid import Axis, TableDef, decades
from hpsearch.benchmark.tasks import Task, register_table, register_task
from hpsearch.objectives.cnn import CnnSettings
from hpsearch.objectives.protocol import PRIOR_CONFIGS, fullsize_settings

__all__ = ["EPOCHS", "FIXED", "cnn_table"]

EPOCHS = 8
# the script's priors' choices where the grid holds no axis (weight decay the book prior's 1e-6)
FIXED = {"blocks": 2, "kernel_size": 3, "dense": 128, "dropout": 0.3, "weight_decay": 1e-6, "init_scale": 1.0}
TARGET = 0.92


def cnn_table(name: str, settings: CnnSettings, *, lr: tuple[float, ...] = decades(-3, -1.5, 2),
              filters1: tuple[int, ...] = (16, 32), filters2: tuple[int, ...] = (32, 64), fixed: dict | None = None,
              replicates: int = 1) -> TableDef:
    """A ``table-cnn`` grid: lr x optimizer x filters1 x filters2 x batch norm under ``settings``."""
    return TableDef(name, settings=settings, objective="table-cnn", replicates=replicates,
                    axes=(Axis("lr", lr, "log"), Axis("optimizer", ("momentum", "adam")),
                          Axis("filters1", filters1, "log"), Axis("filters2", filters2, "log"),
                          Axis("batch_norm", (True, False))),
                    fixed=FIXED if fixed is None else fixed)


def _task(defn: TableDef, description: str, target: float | None) -> Task:
    return Task(defn.name, defn.task_space(), defn.settings, defn.name, description, objective="cnn",
                priors=tuple(PRIOR_CONFIGS["cnn"]), target=target)


# tta_flip off: the table was built before test-time flip averaging (it changes the scores, not the training)
FULL = cnn_table("fashion-cnn", fullsize_settings(CnnSettings, epochs=EPOCHS, tta_flip=False))
QUICK = cnn_table("fashion-cnn-quick",
                  fullsize_settings(CnnSettings, dataset="mnist-5k", epochs=2, full=False, n_samples=400, n_val=100,
                                    batch_size=20, eval_val_n=50, eval_train_n=50),
                  lr=decades(-2.5, -1.5, 1), filters1=(4, 8), filters2=(8, 16), fixed={**FIXED, "dense": 16})

register_table(FULL)
register_table(QUICK)
register_task(_task(FULL, f"conv nets on the full Fashion-MNIST (50,000 / 10,000), {EPOCHS} epochs, modern recipe",
                    TARGET))
register_task(_task(QUICK, "the fashion-cnn grid made tiny: 400 mnist-5k images, 2 epochs (a test's stand-in)",
                    None))
