"""``run(spec, n_jobs=k)``: create (or resume) the study, then run k workers on its storage.

Worker 0 runs in this process (it starts at once: no process to spawn, nothing to import again); workers
1..k-1 run in loky processes (joblib's reusable executor), each calling :func:`hpsearch.worker.run_worker`
with plain data only (the spec as a dict and its index). The progress bar polls the storage from this
process meanwhile, in a thread. The study ends with exactly ``spec.n_trials`` finished trials.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import time
from concurrent.futures import BrokenExecutor, Future

import optuna
from joblib.externals.loky import get_reusable_executor

from hpsearch.environment import blas, machine, versions
from hpsearch.progress import ProgressBar
from hpsearch.spec import StudySpec
from hpsearch.storage import warn_if_sqlite
from hpsearch.study import create_study
from hpsearch.worker import finished_count, run_worker

__all__ = ["run"]

log = logging.getLogger(__name__)


def _record_run(study: optuna.Study, *, n_jobs: int, blas_threads: int | None, started: str, wall: float) -> None:
    runs = list(study.user_attrs.get("runs", []))
    runs.append(
        {
            "started": started,
            "wall_seconds": wall,
            "n_workers": n_jobs,
            "versions": versions(),
            "machine": machine(),
            "blas": blas(blas_threads),
        }
    )
    study.set_user_attr("runs", runs)


def _wait(futures: list[Future]) -> int:
    """Wait for every worker; re-raise a worker's exception, but count (not raise) dead worker processes:
    their RUNNING trials are stale (dead pid) and the remaining workers re-run them."""
    lost = 0
    for f in futures:
        try:
            f.result()
        except BrokenExecutor:
            lost += 1
    return lost


def run(
    spec: StudySpec,
    *,
    n_jobs: int | None = None,
    progress: bool = True,
    blas_threads: int | None = 1,
) -> optuna.Study:
    """Run study ``spec`` with ``n_jobs`` worker processes (None = every core; 0 = only create the study).

    Re-running a spec resumes its study up to ``spec.n_trials``. Returns the study.
    """
    if n_jobs is None:
        n_jobs = os.cpu_count() or 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 0:
        raise ValueError(f"n_jobs={n_jobs!r} is invalid; give a number of worker processes >= 1 (0: create only)")
    study = create_study(spec)
    if n_jobs == 0:
        return study
    warn_if_sqlite(spec.storage_url, n_jobs)
    started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    with ProgressBar(spec, enabled=progress):
        futures = []
        if n_jobs > 1:
            executor = get_reusable_executor(max_workers=n_jobs - 1)
            data = spec.to_dict()
            futures = [executor.submit(run_worker, data, i, blas_threads=blas_threads) for i in range(1, n_jobs)]
        try:
            run_worker(spec, 0, blas_threads=blas_threads)
        finally:
            lost = _wait(futures)
    if lost:
        done = finished_count(study, spec.n_trials)
        if done < spec.n_trials:
            raise RuntimeError(
                f"study {spec.name}: {lost} worker process(es) died and {done}/{spec.n_trials} trials are "
                "finished; run the spec again to resume"
            )
        log.warning("study %s: %d worker process(es) died; their trials were re-run by the others", spec.name, lost)
    wall = time.perf_counter() - t0
    _record_run(study, n_jobs=n_jobs, blas_threads=blas_threads, started=started, wall=wall)
    log.info("study %s: %d workers, %.1f s", spec.name, n_jobs, wall)
    return study
