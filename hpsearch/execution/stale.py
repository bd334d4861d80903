"""Stale RUNNING trials (their worker crashed): detect them, fail them once, re-queue their slot.

Databases use Optuna's heartbeat (``RDBStorage(heartbeat_interval, grace_period)``; our worker records the
beats, ``optuna.storages.fail_stale_trials`` fails stale trials and calls :func:`hpsearch.study.requeue`).
The journal file has no heartbeat, so we keep one: while a trial runs, its worker rewrites the system attr
``hb`` (a Unix time) every ``heartbeat_interval`` seconds. On every storage the user attr ``worker`` names
the trial's worker ``host:pid``. A RUNNING trial is stale when its worker is a dead process on this host (at
once, on any storage), or when its last beat is older than ``grace_period`` seconds. A trial that never beat
(its worker died right after claiming it, before writing anything) is dated by its start instead: Optuna's
heartbeat ignores such trials, which would otherwise stay RUNNING for ever.

Failing is a storage transition RUNNING -> FAIL that only one process can win; the winner re-queues.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import warnings

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial, TrialState

from hpsearch.study import requeue

__all__ = ["worker_id", "pid_alive", "is_stale", "fail_stale", "optuna_heartbeat", "Heartbeat"]

log = logging.getLogger(__name__)
HB = "hb"


def worker_id() -> str:
    """``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dead_here(owner: str | None) -> bool:
    if not owner or ":" not in owner:
        return False
    host, _, pid = owner.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not pid_alive(int(pid))


def optuna_heartbeat(storage: BaseStorage) -> bool:
    """Whether ``storage`` keeps Optuna's heartbeat (a database opened with ``heartbeat_interval``). Asked of
    the storage itself: Optuna wraps an ``RDBStorage`` in a cache, so an isinstance test would miss it."""
    interval = getattr(storage, "get_heartbeat_interval", None)  # Optuna's BaseHeartbeat storages only
    return interval is not None and interval() is not None


def _older(trial: FrozenTrial, last: float | None, grace_period: float, now: float | None) -> bool:
    if last is None and trial.datetime_start is not None:
        last = trial.datetime_start.timestamp()
    return last is not None and (time.time() if now is None else now) - float(last) > grace_period


def is_stale(trial: FrozenTrial, *, grace_period: float, now: float | None = None, beats: bool = True) -> bool:
    """Whether a RUNNING trial's worker is gone (see the module docstring). ``beats=False``: the beats are
    Optuna's (a database), judged by Optuna; only a dead local worker or a trial that never beat is judged."""
    if trial.state != TrialState.RUNNING:
        return False
    if _dead_here(trial.user_attrs.get("worker")):
        return True
    if not beats:  # the first beat precedes the "worker" attr: without it, the trial may never have beaten
        return "worker" not in trial.user_attrs and _older(trial, None, grace_period, now)
    return _older(trial, trial.system_attrs.get(HB), grace_period, now)


def _fail_and_requeue(study: optuna.Study, trial: FrozenTrial) -> bool:
    storage = study._storage
    trial_id = storage.get_trial_id_from_study_id_trial_number(study._study_id, trial.number)
    try:
        won = storage.set_trial_state_values(trial_id, state=TrialState.FAIL)
    except UpdateFinishedTrialError:
        return False  # another process failed (or finished) it first
    if won:
        log.warning("trial %d of worker %s is stale: failed", trial.number, trial.user_attrs.get("worker"))
        requeue(study, trial)
    return bool(won)


def fail_stale(study: optuna.Study, *, grace_period: float) -> int:
    """Fail the stale RUNNING trials of ``study`` and re-queue their slots; returns how many this call did."""
    if not optuna_heartbeat(study._storage):
        running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        return sum(_fail_and_requeue(study, t) for t in running if is_stale(t, grace_period=grace_period))
    before = len(study.get_trials(deepcopy=False, states=(TrialState.FAIL,)))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
    for t in running:
        if is_stale(t, grace_period=grace_period, beats=False):
            _fail_and_requeue(study, t)
    return len(study.get_trials(deepcopy=False, states=(TrialState.FAIL,))) - before


class Heartbeat:
    """A thread beating for one running trial (Optuna's heartbeat on a database, ``hb`` on the journal)."""

    def __init__(self, study: optuna.Study, trial_id: int, interval: float) -> None:
        self._storage = study._storage
        self._trial_id = trial_id
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{trial_id}", daemon=True)

    def beat(self) -> None:
        if optuna_heartbeat(self._storage):
            self._storage.record_heartbeat(self._trial_id)
        else:
            self._storage.set_trial_system_attr(self._trial_id, HB, time.time())

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.beat()
            except (UpdateFinishedTrialError, KeyError):
                return  # the trial was failed as stale elsewhere: nothing left to beat for
            except Exception as exc:  # a storage hiccup must not silence the beats for good
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                log.warning("heartbeat of trial id %d failed (%s); retrying", self._trial_id, first)

    def __enter__(self) -> Heartbeat:
        self.beat()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
