"""Benchmark search methods: which sampler and pruner reaches a good score first, by how much, how sure.

Compares the book's random search with TPE, CMA-ES, QMC, TPE + Hyperband, random + median pruning, the
book's range-narrowing procedure, the one-epoch-then-top-k baseline and hpsearch's default (warm start, TPE,
cost-aware ASHA in seconds; these two in replay only), on every task of ``hpsearch.benchmark.tasks`` (the
book's section 6.5 search on the embedded digits, the same on Fashion-MNIST, the learning rate alone per
optimizer, a wide 4-parameter space), over >= 10 seeds per method, at equal budgets (``--budget`` trials'
worth of epochs). ``--tasks fashion-cnn`` is the real-size comparison: the conv-net family on the full
Fashion-MNIST, its grid (64 cells x 8 epochs) built once, about 1 h 40 min to 2 h on 2 quiet cores (the
script times a few of its cells and prints its estimate first); ``--tasks fashion-cnn-quick`` is its stand-in
of seconds.

``--mode replay`` (default) looks every trial up in a tabular benchmark: each task's grid of full learning
curves (lr x weight decay x optimizer x init scale x 2 training seeds) is trained ONCE on the parallel
workers and cached as ``<out>/tables/table-<name>.npz`` (about 6 minutes for the book grid on 2 cores); the
benchmark itself then replays in seconds. ``--mode live`` trains every trial (hours at full budget; use it at
a small budget or on one task). Off-grid rule of the replay: each numeric parameter snaps to the nearest grid
value in log10 units, categorical values match exactly.

Writes ``<out>/<name>/export/`` (tidy trials and runs, metric tables, meta.json) and the report
``<out>/<name>/index.html``, and prints the headline: the best method's speed-up over random search on the
book task (ERT to reach random search's median final best score) with its 95% bootstrap CI. ``--reference``,
``--headline-method`` and ``--headline-axis`` change whom it compares, about whom, in epochs or seconds.

Run:
    python studies/benchmark_search_methods.py                        # replay, all tasks, 10 seeds, budget 100
    python studies/benchmark_search_methods.py --seeds 30 --tasks book
    python studies/benchmark_search_methods.py --mode live --tasks book --budget 20 --seeds 10 --n-jobs 2
    python studies/benchmark_search_methods.py --quick                # a one-minute look (small grid and net)
    python studies/benchmark_search_methods.py --dataset fashion-mnist  # only the tasks on Fashion-MNIST
    python studies/benchmark_search_methods.py --tasks fashion-cnn --reference tpe-hyperband \
        --headline-method hpsearch-default --headline-axis seconds --seeds 20 --budget 40  # real size
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import optuna

from hpsearch.benchmark import (
    DEFAULT_METHODS,
    DEFAULT_TASKS,
    LIVE_METHODS,
    TASKS,
    BenchmarkSpec,
    Table,
    analyze,
    get_table_def,
    get_task,
    grid_specs,
    mlp_table,
    register_table,
    register_task,
    run_benchmark,
    table_path,
    write_export,
)
from hpsearch.benchmark.grid import decades
from hpsearch.benchmark.table import time_cells
from hpsearch.errors import OneLineParser
from hpsearch.execution.estimate import estimate
from hpsearch.execution.preflight import script_workers
from netcore.data import DATASETS
from reports import render_benchmark


def _names(text: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    return default if not text else tuple(n.strip() for n in text.split(",") if n.strip())


def _quick(tasks: tuple[str, ...]) -> tuple[str, ...]:
    """Quick variants of the tasks: a registered ``<task>-quick`` (fashion-cnn-quick), else 300 images, a
    784-50-50-10 net, 10 epochs of batch 30 (80 updates); grids with 1 lr per decade and 3 weight decays."""
    out = []
    for name in tasks:
        if f"{name}-quick" in TASKS or name.endswith("-quick"):
            out.append(name if name.endswith("-quick") else f"{name}-quick")
            continue
        task = get_task(name)
        settings = replace(task.settings, n_samples=300, hidden=(50, 50), epochs=10, batch_size=30)
        base = get_table_def(task.table)
        defn = mlp_table(f"{base.name}-quick", settings=settings, lr=decades(-6, -1, 1),
                         weight_decay=(1e-8, 1e-6, 1e-4), optimizer=base.values("optimizer"),
                         init_scale=base.values("init_scale"), replicates=base.replicates)
        register_table(defn, replace=True)
        out.append(register_task(replace(task, name=f"{name}-quick", settings=settings, table=defn.name),
                                 replace=True).name)
    return tuple(out)


def _announce_tables(spec: BenchmarkSpec, folder: Path, n_jobs: int) -> None:
    """Say which grid tables are cached and how long building the others takes (timed on this machine)."""
    for name in dict.fromkeys(t.table for t in spec.tasks):
        defn = get_table_def(name)
        path = table_path(defn, folder)
        cached = Table.load(path) if path.is_file() else None
        if cached is not None and cached.defn == defn:
            print(f"grid {name}: cached in {path}; its best cell scores {np.nanmax(cached.value):.4f} on validation")
            continue
        print(f"grid {name}: not built yet; timing one evaluation of a few of its cells ...", flush=True)
        specs = grid_specs(defn, out_dir=folder)
        est = estimate(specs[0], n_jobs, per_trial=time_cells(defn), studies=len(specs))
        print(f"grid {name} ({defn.n_cells} cells x {defn.replicates} replicate(s) of {defn.settings.epochs} "
              f"epochs, built once and cached in {path}): " + est.line("building it"), flush=True)


def _on_dataset(tasks: tuple[str, ...], dataset: str | None) -> tuple[str, ...]:
    """The tasks whose data set is ``dataset`` (all of them for None); none left is an error naming the others."""
    if dataset is None:
        return tasks
    kept = tuple(t for t in tasks if get_task(t).settings.dataset == dataset)
    if not kept:
        have = sorted({f"{t} ({get_task(t).settings.dataset})" for t in tasks})
        raise ValueError(f"no task on --dataset {dataset} among {', '.join(have)}; pick another data set or task")
    return kept


def _parser() -> argparse.ArgumentParser:
    ap = OneLineParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=("replay", "live"), default="replay")
    ap.add_argument("--seeds", type=int, default=None, help="seeds per method and task (default 10; 3 with --quick)")
    ap.add_argument("--tasks", default=None, help="comma-separated task names (default: all in replay, "
                                                  "book in live mode)")
    ap.add_argument("--dataset", default=None, choices=DATASETS,
                    help="only the tasks on this data set (default: the tasks' own, all of them)")
    ap.add_argument("--methods", default=None, help="comma-separated method names (default: all)")
    ap.add_argument("--budget", type=int, default=None,
                    help="trials' worth of epochs per run (default 100; 20 with --quick)")
    ap.add_argument("--n-jobs", type=int, default=os.cpu_count() or 1,
                    help="worker processes (default and -1: every core)")
    ap.add_argument("--out", default="runs", help="output folder (default runs)")
    ap.add_argument("--name", default=None, help="benchmark name (default search-methods-<mode>)")
    ap.add_argument("--tables-dir", default=None, help="grid tables cache (default <out>/tables)")
    ap.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples (default 2000)")
    ap.add_argument("--reference", default="random", help="the method every speed-up is measured against "
                    "(default random; the real-size comparison: tpe-hyperband)")
    ap.add_argument("--headline-method", default=None, help="the method the headline is about (default: the "
                    "fastest), e.g. hpsearch-default")
    ap.add_argument("--headline-axis", choices=("epochs", "seconds"), default="epochs",
                    help="the budget the headline's verdict is on (default epochs)")
    ap.add_argument("--quick", action="store_true", help="3 seeds, budget 20, the book task (or the --dataset "
                    "task), small net and grid; --seeds/--budget/--tasks given explicitly win")
    ap.add_argument("-v", "--verbose", action="store_true")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    optuna.logging.set_verbosity(optuna.logging.INFO if args.verbose else optuna.logging.WARNING)
    seeds = args.seeds if args.seeds is not None else (3 if args.quick else 10)
    budget = args.budget if args.budget is not None else (20 if args.quick else 100)
    try:
        n_jobs = script_workers(args.n_jobs)
        if args.quick:
            default = ("fashion",) if args.dataset == "fashion-mnist" else ("book",)
            tasks = _quick(_on_dataset(_names(args.tasks, default), args.dataset))
        else:
            tasks = _on_dataset(_names(args.tasks, DEFAULT_TASKS if args.mode == "replay" else ("book",)),
                                args.dataset)
        methods = _names(args.methods, DEFAULT_METHODS if args.mode == "replay" else LIVE_METHODS)
        spec = BenchmarkSpec(name=args.name or f"search-methods-{args.mode}" + ("-quick" if args.quick else ""),
                             tasks=tasks, methods=methods, seeds=tuple(range(seeds)), budget=budget, out_dir=args.out,
                             reference=args.reference)
        for name in (args.reference, args.headline_method):
            if name is not None and name not in {m.name for m in spec.methods}:
                raise ValueError(f"method {name!r} is not among the methods compared ({', '.join(methods)}); "
                                 "add it to --methods")
        if args.mode == "replay":
            _announce_tables(spec, args.tables_dir or Path(args.out) / "tables", n_jobs)
    except ValueError as exc:
        print(f"benchmark_search_methods: {exc}", file=sys.stderr)
        return 2
    n_runs = len(spec.tasks) * len(spec.methods) * len(spec.seeds)
    print(f"{args.mode}: {len(spec.methods)} methods x {len(spec.tasks)} tasks x {len(spec.seeds)} seeds = "
          f"{n_runs} runs at {spec.budget} trials' worth of epochs each")
    t0 = time.perf_counter()

    def on_run(run: dict) -> None:
        print(f"  {run['task']:<12} {run['method']:<14} seed {run['seed']:>2}: best {run['best_value']:.3f}, "
              f"test {run['test_acc']:.3f}, {run['trials']} trials, {run['seconds_used']:.1f} s", flush=True)

    result = run_benchmark(spec, mode=args.mode, n_jobs=n_jobs, tables_dir=args.tables_dir, progress=True,
                           on_run=on_run if args.mode == "live" else None)
    ran = time.perf_counter() - t0
    print(f"analysing {n_runs} runs ({args.n_boot} bootstrap resamples) and writing the report", flush=True)
    book = "book-quick" if args.quick else "book"
    names = [t.name for t in spec.tasks]
    headline = book if book in names else names[0]
    analysis = analyze(result, rng=np.random.default_rng(0), n_boot=args.n_boot, headline_task=headline,
                       headline_axis=args.headline_axis, headline_method=args.headline_method)
    export_dir = write_export(result, analysis, spec.run_dir / "export")
    page = render_benchmark(export_dir)
    print(f"{n_runs} runs ({len(result.trials)} trials) in {ran:.1f} s; analysis and report in "
          f"{time.perf_counter() - t0 - ran:.1f} s")
    print(f"export: {export_dir}")
    print(f"report: {page}")
    print(analysis.headline.get("text", ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
