"""``run(spec, n_jobs=k)``: create (or resume) the study, then run k worker processes on its storage.

k = 1 runs the worker in this process; k > 1 starts k loky processes through joblib, each running
:func:`hpsearch.worker.run_worker` with only plain data (the spec as a dict and its index). The progress bar
polls the storage from this process meanwhile. The study ends with exactly ``spec.n_trials`` finished trials.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import time

import optuna
from joblib import Parallel, delayed

from hpsearch.environment import blas, machine, versions
from hpsearch.progress import ProgressBar
from hpsearch.spec import StudySpec
from hpsearch.storage import warn_if_sqlite
from hpsearch.study import create_study
from hpsearch.worker import run_worker

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
        if n_jobs == 1:
            run_worker(spec, 0, blas_threads=blas_threads)
        else:
            data = spec.to_dict()
            jobs = (delayed(run_worker)(data, i, blas_threads=blas_threads) for i in range(n_jobs))
            Parallel(n_jobs=n_jobs, backend="loky")(jobs)
    wall = time.perf_counter() - t0
    _record_run(study, n_jobs=n_jobs, blas_threads=blas_threads, started=started, wall=wall)
    log.info("study %s: %d workers, %.1f s", spec.name, n_jobs, wall)
    return study
