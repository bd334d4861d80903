"""One runner over method x seed x task, live (real training on the parallel workers) or in replay (tables).

Equal budgets: every run gets ``budget`` trials' worth of epochs (``budget x task epochs``). A live study
starts with ``budget`` slots and, when pruned or diverged trials left epochs unspent, is resumed with more
slots until its finished trials have spent the budget (trials past it are kept but flagged ``in_budget =
False``). The narrowing procedure runs ``rounds`` rounds of ``budget // rounds`` trials. Seconds are counted
per trial (a live trial's wall time from claim to tell, sampling included; a replayed trial's stored training
time plus the measured sampler cost), summed in completion order: comparisons in seconds use each task's
smallest seconds total, so every run is observed up to it.

Seeds: run seed s is the study seed of every method's study, so planned methods (random, qmc) share
parameter draws across pruners and every method's slot k trains with the same seed ``train_seed(s, k)``.
"""

from __future__ import annotations

import datetime as _dt
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hpsearch.benchmark.methods import DEFAULT_METHODS, REFERENCE, Method, get_method, narrow_rule
from hpsearch.benchmark.replay import quiet_optuna, replay_run
from hpsearch.benchmark.results import BenchmarkResult, run_frames
from hpsearch.benchmark.table import Table, load_or_build
from hpsearch.benchmark.tasks import Task, get_table_def, get_task
from hpsearch.environment import machine, versions
from hpsearch.execution.preflight import worker_count

__all__ = ["BenchmarkSpec", "run_benchmark", "live_run"]

MODES = ("live", "replay")


@dataclass(frozen=True)
class BenchmarkSpec:
    """What to compare: ``methods`` x ``seeds`` x ``tasks`` at ``budget`` trials' worth of epochs per run.
    Names are looked up in the registries; Task and Method objects are accepted as they are."""

    name: str = "benchmark"
    tasks: tuple[str | Task, ...] = ("book",)
    methods: tuple[str | Method, ...] = DEFAULT_METHODS
    seeds: tuple[int, ...] = tuple(range(10))
    budget: int = 100
    out_dir: str = "runs"
    reference: str = REFERENCE
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tasks", tuple(get_task(t) for t in self.tasks))
        object.__setattr__(self, "methods", tuple(get_method(m) for m in self.methods))
        object.__setattr__(self, "seeds", tuple(int(s) for s in self.seeds))
        if not self.tasks or not self.methods or not self.seeds:
            raise ValueError("benchmark: give at least one task, one method and one seed")
        if isinstance(self.budget, bool) or not isinstance(self.budget, int) or self.budget < 1:
            raise ValueError(f"benchmark: budget={self.budget!r} must be a positive number of trials")
        for m in self.methods:
            if m.narrowing and self.budget < m.rounds:
                raise ValueError(f"benchmark: budget={self.budget} is below {m.name}'s {m.rounds} rounds")

    @property
    def run_dir(self) -> Path:
        return Path(self.out_dir) / self.name

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "tasks": [t.to_dict() for t in self.tasks],
                "methods": [m.to_dict() for m in self.methods], "seeds": list(self.seeds), "budget": self.budget,
                "reference": self.reference, **dict(self.extra)}


# -- live ------------------------------------------------------------------------------------------------------
def _raw_trials(study: Any, names: list[str], rnd: int, per_epoch: int = 1) -> pd.DataFrame:
    from hpsearch.export import trials_table

    t = trials_table(study.study_name, study.get_trials(deepcopy=False), names)
    t = t.loc[t["state"].isin(["COMPLETE", "PRUNED"])].copy()
    start, end = pd.to_datetime(t["datetime_start"]), pd.to_datetime(t["datetime_complete"])
    wall = (end - start).dt.total_seconds()
    t["cost"] = wall.where(wall.notna(), t["seconds"])
    t = t.sort_values(["datetime_complete", "number"], kind="stable")
    return pd.DataFrame({"round": rnd, "study": t["study"], "number": t["number"], "state": t["state"],
                         "value": t["value"], "diverged": t["diverged"],
                         "epochs": t["epochs_run"] if per_epoch == 1 else t["epochs_run"] / per_epoch,
                         "seconds": t["cost"], "train_seed": t["seed"], "replicate": -1,
                         **{f"param_{n}": t[f"param_{n}"] for n in names}})


def _live_study(task: Task, method: Method, seed: int, *, budget: int, out_dir: Path, n_jobs: int | None,
                progress: bool) -> tuple[pd.DataFrame, Any]:
    from hpsearch.execution.launch import run
    from hpsearch.spec import StudySpec

    spec = StudySpec(name=f"{task.name}-{method.name}-s{seed}", space=task.space, settings=task.settings,
                     objective=task.objective, n_trials=budget, sampler=method.sampler, pruner=method.pruner,
                     seed=seed, out_dir=str(out_dir))
    limit = budget * task.settings.epochs
    names = list(task.space.names)
    while True:
        raw = _raw_trials(run(spec, n_jobs=n_jobs, progress=progress), names, 1, task.evals_per_epoch)
        used = int(raw["epochs"].sum())
        if used >= limit or raw.empty:
            return raw, spec
        per_trial = max(used / len(raw), 1.0)
        spec = spec.replace(n_trials=spec.n_trials + max(1, math.ceil((limit - used) / per_trial)))


def live_run(task: Task, method: Method, seed: int, *, budget: int, out_dir: str | Path, n_jobs: int | None = 1,
             progress: bool = False) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run ``method`` on ``task`` with real training (studies under ``out_dir``); returns the run's tidy trial
    rows and its run row. The chosen configuration is trained once more with its trial's seed and scored on
    the test split (the narrowing procedure's own final pick does this for it)."""
    from threadpoolctl import threadpool_limits

    from hpsearch.objectives.registry import get_objective

    if method.replay_only:
        raise ValueError(f"method {method.name!r} runs in replay only; use --mode replay or another method")
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    if method.narrowing:
        from hpsearch.narrowing.rounds import round_name, run_narrowing
        from hpsearch.spec import StudySpec
        from hpsearch.study import open_study

        size = max(budget // method.rounds, 1)
        spec = StudySpec(name=f"{task.name}-{method.name}-s{seed}", space=task.space, settings=task.settings,
                         objective=task.objective, n_trials=size, sampler=method.sampler, seed=seed,
                         out_dir=str(out_dir))
        res = run_narrowing(spec, rounds=method.rounds, rule=narrow_rule(method, task.space), n_jobs=n_jobs,
                            progress=progress, min_width=0.0, patience=method.rounds, final_top=1, final_seeds=1)
        parts = []
        for r in range(1, len(res.rounds) + 1):
            rspec = spec.replace(name=round_name(spec.name, r))
            parts.append(_raw_trials(open_study(rspec, sampler_seed=0), list(task.space.names), r,
                                     task.evals_per_epoch))
        raw = pd.concat(parts, ignore_index=True)
        test = float(res.final["test_mean"])
        return run_frames(raw, task, method, seed, budget=budget, wall=time.perf_counter() - t0,
                          test_of=lambda best: test)
    raw, spec = _live_study(task, method, seed, budget=budget, out_dir=out_dir, n_jobs=n_jobs, progress=progress)

    objective = get_objective(task.objective)

    def test_of(best: pd.Series) -> float:
        params = {k[len("param_"):]: v for k, v in best.items() if str(k).startswith("param_") and pd.notna(v)}
        with threadpool_limits(limits=1):  # the trial again with its seed, then one score on test
            net, _ = objective.fit(params, task.settings, seed=int(best["train_seed"]))
            return float(net.accuracy(*objective.test_split(task.settings)))

    return run_frames(raw, task, method, seed, budget=budget, wall=time.perf_counter() - t0, test_of=test_of)


# -- replay ----------------------------------------------------------------------------------------------------
def _replay_chunk(table: Table, jobs: list[tuple[Task, Method, int]], budget: int) -> list[tuple[pd.DataFrame, dict]]:
    with quiet_optuna():
        return [replay_run(table, task, method, seed, budget=budget) for task, method, seed in jobs]


def _replay_all(spec: BenchmarkSpec, tables: Mapping[str, Table], n_jobs: int) -> list[tuple[pd.DataFrame, dict]]:
    jobs = [(t, m, s) for t in spec.tasks for m in spec.methods for s in spec.seeds]
    by_table: dict[str, list[tuple[Task, Method, int]]] = {}
    for job in jobs:
        by_table.setdefault(job[0].table, []).append(job)
    if n_jobs <= 1:
        return [out for name, js in by_table.items() for out in _replay_chunk(tables[name], js, spec.budget)]
    from joblib.externals.loky import get_reusable_executor  # the executor hpsearch.run uses too

    executor = get_reusable_executor(max_workers=n_jobs)
    chunks = [(name, js[i::n_jobs * 4]) for name, js in by_table.items() for i in range(n_jobs * 4)]
    futures = [executor.submit(_replay_chunk, tables[name], js, spec.budget) for name, js in chunks if js]
    return [out for f in futures for out in f.result()]


def run_benchmark(spec: BenchmarkSpec, *, mode: str = "replay", n_jobs: int | None = 1, progress: bool = False,
                  tables: Mapping[str, Table] | None = None, tables_dir: str | Path | None = None,
                  on_run: Callable[[dict[str, Any]], None] | None = None) -> BenchmarkResult:
    """Run every (task, method, seed) of ``spec``. ``mode="live"`` trains (studies under
    ``<out_dir>/<name>/live``); ``mode="replay"`` looks trials up in each task's table: ``tables`` (by table
    name) or the cache under ``tables_dir`` (default ``<out_dir>/tables``), built there on first use.
    ``on_run(run_row)`` is called after each live run (progress reports belong to the caller). ``n_jobs``
    counts worker processes as :func:`hpsearch.execution.preflight.worker_count` reads them (None or -1:
    every core), in both modes."""
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} is unknown; use one of {', '.join(MODES)}")
    started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    workers = worker_count(n_jobs)
    table_meta: dict[str, Any] = {}
    if mode == "live":
        replay_only = [m.name for m in spec.methods if m.replay_only]
        if replay_only:
            raise ValueError(f"method {replay_only[0]!r} runs in replay only; use mode='replay' or drop it")
        parts = []
        for t, m, s in ((t, m, s) for t in spec.tasks for m in spec.methods for s in spec.seeds):
            parts.append(live_run(t, m, s, budget=spec.budget, out_dir=spec.run_dir / "live", n_jobs=workers,
                                  progress=progress))
            if on_run is not None:
                on_run(parts[-1][1])
    else:
        loaded = dict(tables or {})
        cache = Path(tables_dir) if tables_dir is not None else Path(spec.out_dir) / "tables"
        for name in dict.fromkeys(t.table for t in spec.tasks):
            if name not in loaded:
                loaded[name] = load_or_build(get_table_def(name), out_dir=cache, n_jobs=workers, progress=progress)
            table_meta[name] = {"defn": loaded[name].defn.to_dict(), **loaded[name].meta}
        parts = _replay_all(spec, loaded, max(workers, 1))
    order = {(t.name, m.name, s): i for i, (t, m, s) in
             enumerate((t, m, s) for t in spec.tasks for m in spec.methods for s in spec.seeds)}
    parts.sort(key=lambda p: order[(p[1]["task"], p[1]["method"], p[1]["seed"])])
    meta = {"benchmark": spec.describe(), "mode": mode, "started": started,
            "wall_seconds": time.perf_counter() - t0, "n_jobs": workers, "machine": machine(),
            "versions": versions(), "grid_tables": table_meta}
    return BenchmarkResult.combine(parts, meta)
