"""``run(spec, n_jobs=k)``: create (or resume) the study, then run k workers on its storage.

Worker 0 runs in this process (it starts at once: no process to spawn, nothing to import again); workers
1..k-1 run in loky processes (joblib's reusable executor), each calling
:func:`hpsearch.execution.worker.run_worker` with plain data only (the spec as a dict and its index). The
progress bar polls the storage from this process meanwhile, in a thread. The study ends with exactly
``spec.n_trials`` finished trials. The checks made before anything is written are
:mod:`hpsearch.execution.preflight`'s.

Ctrl-C (SIGINT) in this process stops every worker of the launch cleanly: worker 0 sees the signal, creates
a stop file that workers 1..k-1 check at each epoch end and between trials, each running trial is failed and
its slot re-queued, and once all workers have returned :func:`run` raises KeyboardInterrupt. Re-running the
spec resumes the study. An exception in worker 0 stops the other workers the same way before it propagates.

``time_budget=S`` bounds the launch's wall clock: no trial starts after S seconds, running trials stop at
their next evaluation (failed and re-queued, like an interrupted trial), and :func:`run` returns the study
as it stands, a valid result to export and report; running the spec again resumes it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import os
import shutil
import tempfile
import time
from concurrent.futures import BrokenExecutor, Future
from pathlib import Path

import optuna
from joblib.externals.loky import get_reusable_executor

from hpsearch.environment import blas, machine, versions
from hpsearch.execution.preflight import check_launch
from hpsearch.execution.progress import ProgressBar
from hpsearch.execution.scheduling import ensure_schedule
from hpsearch.execution.stopping import Deadline, StopToken, check_time_budget, stop_on_sigint
from hpsearch.execution.worker import finished_count, run_worker
from hpsearch.spec import StudySpec
from hpsearch.storages.locks import study_lock
from hpsearch.storages.opener import is_database, warn_if_sqlite
from hpsearch.study import create_study

__all__ = ["run"]

log = logging.getLogger(__name__)


def _record_run(
    study: optuna.Study,
    *,
    n_jobs: int,
    blas_threads: int | None,
    started: str,
    wall: float,
    interrupted: bool,
    time_budget: float | None = None,
    out_of_time: bool = False,
) -> dict:
    run = {
        "started": started,
        "wall_seconds": wall,
        "n_workers": n_jobs,
        "versions": versions(),
        "machine": machine(),
        "blas": blas(blas_threads),
    }
    if interrupted:
        run["interrupted"] = True
    if time_budget is not None:
        run["time_budget"] = time_budget
        run["out_of_time"] = out_of_time
    with study_lock(study._storage, study.study_name):  # other launchers may record theirs meanwhile
        study.set_user_attr("runs", [*study.user_attrs.get("runs", []), run])
    return run


def _wait(futures: list[Future]) -> tuple[int, bool]:
    """Wait for EVERY worker, then re-raise the first worker exception; dead worker processes are counted,
    not raised: their RUNNING trials are stale (dead pid) and the remaining workers re-run them.
    Returns (dead workers, whether a worker was interrupted)."""
    lost, interrupted, error = 0, False, None
    for f in futures:
        try:
            interrupted |= bool(f.result().get("interrupted"))
        except BrokenExecutor:
            lost += 1
        except BaseException as exc:  # re-raised below, once every worker has returned
            error = error or exc
    if error is not None:
        raise error
    return lost, interrupted


def _absolute(spec: StudySpec) -> StudySpec:
    """The spec with absolute paths: a reused loky worker keeps the working folder it was started in, so a
    relative out_dir or journal path would name another file there."""
    changes = {"out_dir": str(Path(spec.out_dir).resolve())}
    if spec.storage and not is_database(spec.storage):
        changes["storage"] = str(Path(spec.storage).resolve())
    return spec.replace(**changes)


def _launch(
    spec: StudySpec, n_jobs: int, blas_threads: int | None, stop_file: str, deadline: Deadline
) -> tuple[int, bool]:
    """Run worker 0 here and workers 1..n_jobs-1 in loky processes; returns (dead workers, interrupted)."""
    futures: list[Future] = []
    common = {"blas_threads": blas_threads, "stop_file": stop_file, "preflight": False, "deadline": deadline.at}
    if n_jobs > 1:
        executor = get_reusable_executor(max_workers=n_jobs - 1)
        data = _absolute(spec).to_dict()
        # a worker whose launcher was killed stops, never orphaned
        futures = [executor.submit(run_worker, data, i, parent=os.getpid(), **common) for i in range(1, n_jobs)]
    try:
        mine = run_worker(spec, 0, **common)
    except BaseException:
        Path(stop_file).touch()  # the other workers stop at their next epoch; then worker 0's error propagates
        with contextlib.suppress(Exception):  # (theirs are most likely the same failure, seen later)
            _wait(futures)
        raise
    lost, interrupted = _wait(futures)
    return lost, interrupted or mine["interrupted"]


def run(
    spec: StudySpec,
    *,
    n_jobs: int | None = None,
    progress: bool = True,
    blas_threads: int | None = 1,
    time_budget: float | None = None,
) -> optuna.Study:
    """Run study ``spec`` with ``n_jobs`` worker processes (joblib's convention: None or -1 = every core, -2
    every core but one; 0 = only create the study), for at most ``time_budget`` seconds of wall clock if given
    (see the module docstring).

    Re-running a spec resumes its study up to ``spec.n_trials``. Returns the study, carrying this launch's
    record as ``study.run_record`` (started, wall_seconds, n_workers, versions, machine, blas, and with a
    budget time_budget and out_of_time: whether the budget ended the launch before the study was complete;
    None when ``n_jobs=0``): the same dict is appended to the study's user attribute ``runs``. Bad
    arguments, missing or corrupt data and an unusable storage raise a one-line ValueError before anything
    is written; Ctrl-C raises KeyboardInterrupt once every worker has stopped (see the module docstring).
    """
    n_jobs = check_launch(spec, n_jobs=n_jobs, blas_threads=blas_threads, time_budget=time_budget)
    deadline = Deadline.after(time_budget)
    study = create_study(spec)
    study.run_record = None
    if n_jobs == 0:
        return study
    schedule = ensure_schedule(study, spec, time_budget, n_jobs)
    warn_if_sqlite(spec.storage_url, n_jobs)
    started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    stop_dir = tempfile.mkdtemp(prefix="hpsearch-stop-")
    stop_file = os.path.join(stop_dir, "stop")
    try:
        # a Ctrl-C while worker 0 is not running (e.g. waiting for the others) still stops every worker
        with ProgressBar(spec, enabled=progress), stop_on_sigint(StopToken(stop_file)):
            lost, interrupted = _launch(spec, n_jobs, blas_threads, stop_file, deadline)
            interrupted |= os.path.exists(stop_file)
    finally:
        shutil.rmtree(stop_dir, ignore_errors=True)
    if interrupted and finished_count(study, spec.n_trials) < spec.n_trials:
        wall = time.perf_counter() - t0
        _record_run(study, n_jobs=n_jobs, blas_threads=blas_threads, started=started, wall=wall, interrupted=True)
        done = finished_count(study, spec.n_trials)
        log.info("study %s interrupted: %d/%d trials finished; run it again to resume", spec.name, done,
                 spec.n_trials)
        raise KeyboardInterrupt(f"study {spec.name} interrupted: {done}/{spec.n_trials} trials finished")
    done = finished_count(study, spec.n_trials)
    # with the asha end-game, workers stop shortly before the deadline: nothing left could reach a rung in time
    expired = done < spec.n_trials and deadline.at is not None and (deadline.passed() or schedule is not None)
    if lost and not expired:
        if done < spec.n_trials:
            raise RuntimeError(
                f"study {spec.name}: {lost} worker process(es) died and {done}/{spec.n_trials} trials are "
                "finished; run the spec again to resume"
            )
        log.warning("study %s: %d worker process(es) died; their trials were re-run by the others", spec.name, lost)
    wall = time.perf_counter() - t0
    study.run_record = _record_run(study, n_jobs=n_jobs, blas_threads=blas_threads, started=started, wall=wall,
                                   interrupted=False, time_budget=check_time_budget(time_budget),
                                   out_of_time=expired)
    if expired:
        log.info("study %s: time budget of %g s spent with %d/%d trials finished; run it again to go on",
                 spec.name, time_budget, done, spec.n_trials)
    log.info("study %s: %d workers, %.1f s", spec.name, n_jobs, wall)
    return study
