"""A progress bar in the launching process: finished trials of ALL workers (read from the storage) and the
best value so far. It polls its own storage object from a background thread, so it also counts the trials
that workers on other machines finish.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import optuna
from optuna.trial import TrialState
from tqdm.auto import tqdm

from hpsearch.spec import StudySpec
from hpsearch.storage import open_storage

__all__ = ["Snapshot", "snapshot", "ProgressBar"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    finished: int
    running: int
    best: float | None


def snapshot(study: optuna.Study, n_trials: int) -> Snapshot:
    """Finished (COMPLETE + PRUNED) and running trials of slots < n_trials, and the best COMPLETE value."""
    finished = running = 0
    best: float | None = None
    for t in study.get_trials(deepcopy=False):
        if t.user_attrs.get("slot", 0) >= n_trials:
            continue
        if t.state == TrialState.RUNNING:
            running += 1
        elif t.state in (TrialState.COMPLETE, TrialState.PRUNED):
            finished += 1
            if t.state == TrialState.COMPLETE and t.value is not None and (best is None or t.value > best):
                best = t.value
    return Snapshot(finished, running, best)


class ProgressBar:
    """``with ProgressBar(spec):`` shows a tqdm bar until the block ends (no-op when ``enabled=False``)."""

    def __init__(self, spec: StudySpec, *, enabled: bool = True, interval: float = 0.5) -> None:
        self._spec = spec
        self._enabled = enabled
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar: tqdm | None = None
        self._study: optuna.Study | None = None

    def _update(self) -> None:
        assert self._bar is not None and self._study is not None
        snap = snapshot(self._study, self._spec.n_trials)
        self._bar.n = snap.finished
        best = "-" if snap.best is None else f"{snap.best:.4f}"
        self._bar.set_postfix_str(f"best={best} running={snap.running}", refresh=False)
        self._bar.refresh()

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
        self._bar = tqdm(total=self._spec.n_trials, desc=self._spec.name, unit="trial")
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
            self._update()
        finally:
            assert self._bar is not None
            self._bar.close()
