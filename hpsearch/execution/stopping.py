"""Stopping a launch or a worker: Ctrl-C, a stop file, a dead launcher, and the time budget's one Deadline.

A worker stops when asked to (:class:`StopToken`: the first SIGINT in its process, a stop file the launcher
creates, or the death of the launching process) or when its :class:`Deadline` has passed. A running trial
then stops at its next evaluation by raising :class:`Interrupted`. A time budget is checked by
:func:`check_time_budget` and turned into a deadline by :meth:`Deadline.after`: one check, one wording, one
clock (``time.time()``, so the deadline crosses process boundaries as a plain number).
"""

from __future__ import annotations

import logging
import math
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hpsearch.execution.stale import pid_alive, worker_id

__all__ = ["Deadline", "Interrupted", "StopToken", "check_time_budget", "stop_on_sigint"]

log = logging.getLogger(__name__)

MAX_BUDGET = 1e9  # seconds (about 31 years): beyond it a budget is a typo


def check_time_budget(time_budget: object, what: str = "time_budget") -> float | None:
    """``time_budget`` in seconds as a float (None: no budget); a one-line ValueError for anything else, naming
    the budget as the caller's user wrote it (``what``: ``time_budget`` in the API, ``--time-budget`` on a
    command line)."""
    if time_budget is None:
        return None
    ok = isinstance(time_budget, int | float) and not isinstance(time_budget, bool)
    if not ok or not 0 < time_budget < MAX_BUDGET:  # also refuses NaN and infinity
        shown = f"{time_budget:g}" if ok else repr(time_budget)
        raise ValueError(f"{what} {shown} is invalid; give seconds > 0, e.g. 3600 (none: no budget)")
    return float(time_budget)


@dataclass(frozen=True)
class Deadline:
    """The wall-clock end of a time budget as ``time.time()`` seconds (``at=None``: no budget)."""

    at: float | None = None

    @classmethod
    def after(cls, time_budget: object, what: str = "time_budget") -> Deadline:
        """The deadline ``time_budget`` seconds from now (checked by :func:`check_time_budget`)."""
        budget = check_time_budget(time_budget, what)
        return cls(None if budget is None else time.time() + budget)

    def passed(self) -> bool:
        """Whether the deadline has passed (never, without a budget)."""
        return self.at is not None and time.time() >= self.at

    def remaining(self) -> float:
        """Seconds left (infinity without a budget, 0 once passed)."""
        return math.inf if self.at is None else max(0.0, self.at - time.time())


class Interrupted(Exception):
    """Raised inside a trial (at an evaluation) when its worker was asked to stop or ran out of time."""

    def __init__(self, message: str, *, reason: str = "interrupted") -> None:
        super().__init__(message)
        self.reason = reason


class StopToken:
    """Whether a worker should stop: set in this process (SIGINT), through a shared stop file, or because the
    launching process ``parent`` is gone (killed: its workers must not run on as orphans)."""

    def __init__(self, path: str | None = None, parent: int | None = None) -> None:
        self.path = path
        self._event = threading.Event()
        self._parent = parent
        self._child = parent is not None and os.getppid() == parent  # then a new parent pid says it died

    def orphaned(self) -> bool:
        """Whether the launching process has died."""
        if self._parent is None:
            return False
        gone = os.getppid() != self._parent if self._child else not pid_alive(self._parent)
        if gone and not self._event.is_set():
            log.warning("worker %s: its launcher (pid %d) is gone; stopping", worker_id(), self._parent)
            self._event.set()
        return gone

    def set(self) -> None:
        self._event.set()
        if self.path is not None:
            try:
                Path(self.path).touch()
            except OSError:
                log.warning("could not create the stop file %s", self.path, exc_info=True)

    def is_set(self) -> bool:
        return self._event.is_set() or (self.path is not None and os.path.exists(self.path)) or self.orphaned()


@contextmanager
def stop_on_sigint(stop: StopToken) -> Iterator[None]:
    """While inside: the first SIGINT sets ``stop``, a second one raises KeyboardInterrupt (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []

    def handler(signum: int, frame: object) -> None:
        received.append(signum)
        if len(received) > 1:
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        log.info("process %s: stopped by SIGINT (a trial it was running is failed and re-queued)", worker_id())
