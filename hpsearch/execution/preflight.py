"""Checks a launch makes before it writes anything: worker counts, BLAS threads, the data, the storage's place.

Each raises a one-line ValueError naming the bad value and the fix; nothing is created before they pass.
:func:`worker_count` is the one place a number of workers is read, in joblib's convention, for the
library (``run(n_jobs=-1)``), the CLI (``--n-jobs``), the study scripts and the benchmarks alike.
"""

from __future__ import annotations

import os

from hpsearch.execution.stopping import check_time_budget
from hpsearch.objectives.data import load_data
from hpsearch.objectives.settings import TrainingSettings
from hpsearch.spec import StudySpec
from hpsearch.storages.opener import is_database
from hpsearch.study import check_resume
from safefiles import check_file_place

__all__ = ["check_blas_threads", "check_data", "check_launch", "check_places", "script_workers", "worker_count"]


def worker_count(n_jobs: object) -> int:
    """Worker processes for ``n_jobs`` in joblib's convention: None or -1 means every core, -2 every core but
    one, and so on; 0 (only create the study) and positive numbers are taken as they are. A one-line
    ValueError for a count that is not an integer or leaves no worker on this machine."""
    cores = os.cpu_count() or 1
    if n_jobs is None:
        return cores
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int):
        raise ValueError(f"n_jobs={n_jobs!r} is invalid; give a number of worker processes (-1: every core, "
                         "0: only create the study)")
    if n_jobs >= 0:
        return n_jobs
    if cores + 1 + n_jobs < 1:
        raise ValueError(f"n_jobs={n_jobs} leaves no worker on this machine's {cores} cores; give a number of "
                         f"workers >= 0, or -1 (every core) to -{cores}")
    return cores + 1 + n_jobs


def script_workers(n_jobs: object, option: str = "--n-jobs") -> int:
    """:func:`worker_count` for a study script, whose result needs trials: 0 (create the study, train
    nothing) is refused in one line instead of ending with an empty page."""
    count = worker_count(n_jobs)
    if count == 0:
        raise ValueError(f"{option} 0 would only create the study and train nothing; give 1 or more workers "
                         "(-1: every core)")
    return count


def check_blas_threads(blas_threads: object) -> None:
    """``blas_threads`` must be None (leave BLAS alone) or a number of threads >= 1."""
    if blas_threads is not None and (isinstance(blas_threads, bool) or not isinstance(blas_threads, int)
                                     or blas_threads < 1):
        raise ValueError(f"blas_threads={blas_threads!r} is invalid; give a number of threads >= 1 (None: leave)")


def check_places(spec: StudySpec) -> None:
    """A journal path that cannot hold a journal file (a folder, /dev/null, a folder of /proc, under a regular
    file...) is a one-line ValueError before anything is written."""
    if not is_database(spec.storage_url):
        check_file_place(spec.storage_url, "journal")


_DATA_OK: set[tuple] = set()


def check_data(spec: StudySpec) -> None:
    """Load the study's data once before any trial: missing or corrupt files fail here (a one-line
    ValueError), not as a failed trial in the storage. Cached per process."""
    settings = spec.settings
    dataset = getattr(settings, "dataset", None)
    if not isinstance(dataset, str):
        return
    if isinstance(settings, TrainingSettings):
        load_data(settings)  # cached by the objective: the first trial reuses it
        return
    if dataset not in _DATA_OK:
        from netcore.data import load_dataset

        load_dataset(dataset)
        _DATA_OK.add(dataset)


def check_launch(spec: StudySpec, *, n_jobs: object, blas_threads: object, time_budget: object,
                 budget_name: str = "time_budget") -> int:
    """Every check of a launch, in the one order that writes nothing when one fails: the arguments, the
    journal's place, the storage (an existing study must have the same spec; a refused database fails here,
    before the data cache is touched), then the data. Returns the number of workers."""
    workers = worker_count(n_jobs)
    check_blas_threads(blas_threads)
    check_time_budget(time_budget, budget_name)
    check_places(spec)
    check_resume(spec)
    check_data(spec)
    return workers
