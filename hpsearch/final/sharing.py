"""Runs shared out among worker processes side by side (one BLAS thread each), longest first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from joblib.externals.loky import get_reusable_executor

__all__ = ["makespan", "shared_out"]


def _shares(weights: Sequence[float], jobs: int) -> list[list[int]]:
    """Indices of ``weights`` shared out among ``jobs`` workers, longest first to the least loaded one (equal
    weights: round robin)."""
    loads, shares = [0.0] * jobs, [[] for _ in range(jobs)]
    for i in sorted(range(len(weights)), key=lambda i: -weights[i]):  # stable: equal weights keep their order
        k = loads.index(min(loads))
        shares[k].append(i)
        loads[k] += weights[i]
    return [sorted(share) for share in shares if share]


def shared_out(task: Callable[..., list], items: Sequence[Any], n_jobs: int, *args: Any,
               weights: Sequence[float] | None = None) -> list:
    """``task(share, *args)`` over ``items``, shared out among up to ``n_jobs`` worker processes (``weights``:
    the items' costs, the longest go first to the least loaded worker); the results in the order of
    ``items``. With one job it runs here. ``task`` and ``items`` must pickle (a module-level function, plain
    data)."""
    jobs = max(1, min(n_jobs, len(items)))
    if jobs == 1:
        return task(list(items), *args)
    # loky's reusable executor, as the launch's workers (joblib.Parallel would clash with it in a process that
    # launched a study: both share loky's one executor)
    executor = get_reusable_executor(max_workers=jobs)
    shares = _shares(weights if weights is not None else [1.0] * len(items), jobs)
    futures = [executor.submit(task, [items[i] for i in share], *args) for share in shares]
    out: list = [None] * len(items)
    for share, future in zip(shares, futures, strict=True):
        for i, result in zip(share, future.result(), strict=True):
            out[i] = result
    return out


def makespan(weights: Sequence[float], n_jobs: int) -> float:
    """The wall time of ``weights`` shared out as :func:`shared_out` does on ``n_jobs`` workers."""
    jobs = max(1, min(n_jobs, len(weights)))
    return max((sum(weights[i] for i in share) for share in _shares(weights, jobs)), default=0.0)
