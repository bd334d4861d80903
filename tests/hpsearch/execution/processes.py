"""Helpers of the multi-process tests: wait for every process of a test, never leaving one running."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence


def communicate_all(procs: Sequence[subprocess.Popen], *, timeout: float = 600,
                    before: Callable[[], None] | None = None) -> list[tuple[str, str]]:
    """``before()`` (e.g. a start signal), then every process's (stdout, stderr); any process still running
    when this returns (a timeout, a failed assertion in ``before``) is killed and reaped."""
    try:
        if before is not None:
            before()
        return [p.communicate(timeout=timeout) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()
