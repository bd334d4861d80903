"""Benchmarking search methods: which sampler and pruner reaches a good score first, and how sure we are.

    from hpsearch.benchmark import BenchmarkSpec, run_benchmark, analyze, write_export
    spec = BenchmarkSpec(name="bench", tasks=("book",), seeds=tuple(range(10)), budget=100)
    result = run_benchmark(spec, mode="replay", n_jobs=2)     # or mode="live": real training
    analysis = analyze(result, rng=np.random.default_rng(0))
    write_export(result, analysis, spec.run_dir / "export")   # then reports.render_benchmark(...)

Registries: :mod:`~hpsearch.benchmark.methods` (random = the book, tpe, cmaes, qmc, tpe-hyperband,
random-median, narrowing, one-epoch-top-k, hpsearch-default) and :mod:`~hpsearch.benchmark.tasks` (book,
fashion, lr-<optimizer>, wide, and the grids their replays read; :mod:`~hpsearch.benchmark.realsize` adds
fashion-cnn and fashion-cnn-quick, whose grid is built on first use). A grid's axes are data
(:mod:`~hpsearch.benchmark.grid`). See docs/benchmark.md.
"""

from hpsearch.benchmark import realsize  # registers the fashion-cnn tables and tasks (not in DEFAULT_TASKS)
from hpsearch.benchmark.export import Analysis, analyze, headline, write_export
from hpsearch.benchmark.grid import Axis, mlp_table
from hpsearch.benchmark.methods import (
    DEFAULT_METHODS,
    LIVE_METHODS,
    METHODS,
    REFERENCE,
    Method,
    get_method,
    register_method,
)
from hpsearch.benchmark.replay import replay_run
from hpsearch.benchmark.results import BenchmarkResult
from hpsearch.benchmark.runner import BenchmarkSpec, live_run, run_benchmark
from hpsearch.benchmark.table import Table, build_table, grid_specs, load_or_build, table_path
from hpsearch.benchmark.tasks import (
    DEFAULT_TASKS,
    TABLES,
    TASKS,
    TableDef,
    Task,
    get_table_def,
    get_task,
    register_table,
    register_task,
)

__all__ = [
    "Analysis", "Axis", "BenchmarkResult", "BenchmarkSpec", "DEFAULT_METHODS", "DEFAULT_TASKS", "LIVE_METHODS",
    "METHODS", "Method", "REFERENCE", "TABLES", "TASKS", "Table", "TableDef", "Task", "analyze", "build_table",
    "get_method", "get_table_def", "get_task", "grid_specs", "headline", "live_run", "load_or_build",
    "mlp_table", "realsize", "register_method", "register_table", "register_task", "replay_run", "run_benchmark",
    "table_path", "write_export",
]
