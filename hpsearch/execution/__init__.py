"""Execution: running a study's trials on worker processes, on one machine or many.

- :mod:`~hpsearch.execution.launch`: :func:`run`, which creates (or resumes) the study and runs k workers;
- :mod:`~hpsearch.execution.worker`: the loop one worker runs: claim a slot, train it, tell the result;
- :mod:`~hpsearch.execution.stopping`: Ctrl-C, stop files, a dead launcher, and the time budget's Deadline;
- :mod:`~hpsearch.execution.stale`: trials whose worker died, failed once and re-queued;
- :mod:`~hpsearch.execution.progress`: the launcher's progress bar over every worker's trials;
- :mod:`~hpsearch.execution.preflight`: the checks made before anything is written (worker counts, data,
  the storage's place).
"""

from hpsearch.execution.launch import run
from hpsearch.execution.preflight import worker_count
from hpsearch.execution.stale import fail_stale
from hpsearch.execution.stopping import Deadline
from hpsearch.execution.worker import run_worker

__all__ = ["Deadline", "fail_stale", "run", "run_worker", "worker_count"]
