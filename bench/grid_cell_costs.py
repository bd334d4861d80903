"""What an epoch of each architecture of a conv-net grid table costs here: the planning figure of its build.

For every architecture of the grid (the filters and batch-norm axes; the other axes do not change the cost),
trains one cell of the table's own objective under the table's settings on one BLAS thread, as a build worker
does, stops it after a few evaluations and prints the seconds an epoch (evaluations included), then the
build's expected wall time on ``--workers`` workers side by side: cells x epochs x the mean epoch / workers
(a worker beside another runs about as fast as one alone on an idle 2-core machine; on a busy one, slower).

Run: python bench/grid_cell_costs.py [--table fashion-cnn] [--evals 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

from threadpoolctl import threadpool_limits

from hpsearch.benchmark import get_table_def
from hpsearch.execution.estimate import duration
from hpsearch.objectives.data import load_data
from hpsearch.objectives.registry import get_objective

COST_AXES = ("filters1", "filters2", "filters3", "blocks", "batch_norm", "dense", "kernel_size")


def _stamps(evaluate, params: dict, settings, evals: int) -> list[float]:
    """The clock at each evaluation of one trial stopped after ``evals`` + 1 of them."""
    stamps: list[float] = []

    def stop(epoch: int, value: float) -> bool:
        stamps.append(time.perf_counter())
        return len(stamps) > evals

    evaluate(params, settings, seed=0, on_epoch=stop)
    return stamps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--table", default="fashion-cnn")
    ap.add_argument("--evals", type=int, default=2, help="timed evaluations per architecture (after one warm-up)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    defn = get_table_def(args.table)
    settings = defn.settings
    per_epoch_evals = settings.n_evals // settings.epochs
    cost_axes = [a for a in defn.axes if a.name in COST_AXES]
    others = {a.name: a.values[0] for a in defn.axes if a.name not in COST_AXES}
    evaluate = get_objective(defn.objective).evaluate
    print(f"table {defn.name}: {defn.n_cells} cells x {defn.replicates} replicate(s) x {settings.epochs} epochs; "
          f"load average {os.getloadavg()[0]:.1f}")
    with threadpool_limits(limits=1):
        load_data(settings)
        costs = []
        for values in itertools.product(*(a.values for a in cost_axes)):
            arch = dict(zip((a.name for a in cost_axes), values, strict=True))
            stamps = _stamps(evaluate, {**others, **defn.fixed, **arch}, settings, args.evals)
            per_epoch = (stamps[-1] - stamps[0]) / (len(stamps) - 1) * per_epoch_evals
            costs.append(per_epoch)
            print(f"  {arch}: {per_epoch:.1f} s an epoch", flush=True)
    mean = sum(costs) / len(costs)
    total = defn.n_cells * defn.replicates * settings.epochs * mean / max(args.workers, 1)
    print(f"mean {mean:.1f} s an epoch: the build takes about {duration(total)} on {args.workers} workers")


if __name__ == "__main__":
    main()
