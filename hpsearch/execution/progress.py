"""A progress bar in the launching process: finished trials of ALL workers (read from the storage) and the
best value so far, in the study's direction. It polls its own storage object from a background thread, so it
also counts the trials that workers on other machines finish. On a terminal it is a tqdm bar; written to a
file or a pipe (a log) it is plain lines, one when the finished count changes (at most every ``line_every``
seconds) and one at the end, never tqdm's carriage-return frames.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass
from typing import TextIO

import optuna
from optuna.trial import TrialState
from tqdm.auto import tqdm

from hpsearch.spec import StudySpec
from hpsearch.storages.opener import open_storage

__all__ = ["Snapshot", "snapshot", "ProgressBar"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    finished: int
    running: int
    best: float | None


def snapshot(study: optuna.Study, n_trials: int) -> Snapshot:
    """Finished (COMPLETE + PRUNED) and running trials of slots < n_trials, and the best COMPLETE value in the
    study's direction (the lowest for a minimizing study)."""
    finished = running = 0
    best: float | None = None
    sign = -1.0 if study.direction == optuna.study.StudyDirection.MINIMIZE else 1.0
    for t in study.get_trials(deepcopy=False):
        if t.user_attrs.get("slot", 0) >= n_trials:
            continue
        if t.state == TrialState.RUNNING:
            running += 1
        elif t.state in (TrialState.COMPLETE, TrialState.PRUNED):
            finished += 1
            better = t.value is not None and (best is None or sign * t.value > sign * best)
            if t.state == TrialState.COMPLETE and better:
                best = t.value
    return Snapshot(finished, running, best)


class ProgressBar:
    """``with ProgressBar(spec):`` shows a tqdm bar until the block ends (no-op when ``enabled=False``)."""

    def __init__(self, spec: StudySpec, *, enabled: bool = True, interval: float = 0.5,
                 stream: TextIO | None = None, line_every: float = 10.0) -> None:
        self._spec = spec
        self._enabled = enabled
        self._interval = interval
        self._stream = stream
        self._line_every = line_every
        self._last_line: tuple[float, int] | None = None  # (time, finished) of the last plain line
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar: tqdm | None = None
        self._study: optuna.Study | None = None

    def _update(self, final: bool = False) -> None:
        assert self._study is not None
        snap = snapshot(self._study, self._spec.n_trials)
        best = "-" if snap.best is None else f"{snap.best:.4f}"
        if self._bar is None:
            self._line(snap, best, final)
            return
        self._bar.n = snap.finished
        self._bar.set_postfix_str(f"best={best} running={snap.running}", refresh=False)
        self._bar.refresh()

    def _line(self, snap: Snapshot, best: str, final: bool) -> None:
        """The plain-line form: one line per change of the finished count (rate-limited) and a last one."""
        now, last = time.monotonic(), self._last_line
        changed = last is None or snap.finished != last[1]
        if not final and (not changed or (last is not None and now - last[0] < self._line_every)):
            return
        self._last_line = (now, snap.finished)
        stream = self._stream or sys.stderr
        stream.write(f"{self._spec.name}: {snap.finished}/{self._spec.n_trials} trials finished, best={best}, "
                     f"running={snap.running}\n")
        stream.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._update()
            except Exception:  # the bar is cosmetic: never let it break a study
                log.debug("progress poll failed", exc_info=True)

    def __enter__(self) -> ProgressBar:
        if not self._enabled:
            return self
        storage = open_storage(self._spec.storage_url, create=False)
        self._study = optuna.load_study(study_name=self._spec.name, storage=storage)
        stream = self._stream or sys.stderr
        if getattr(stream, "isatty", lambda: False)():
            self._bar = tqdm(total=self._spec.n_trials, desc=self._spec.name, unit="trial", file=stream)
        self._update()
        self._thread = threading.Thread(target=self._run, name="hpsearch-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        try:
            self._update(final=True)
        finally:
            if self._bar is not None:
                self._bar.close()
