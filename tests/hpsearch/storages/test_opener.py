"""Storages by URL or path: journal default, SQLite (with its parallel-writer warning), URL checks."""

from __future__ import annotations

import logging

import pytest
from optuna.storages import RDBStorage
from optuna.storages.journal import JournalStorage
from optuna.trial import TrialState

from hpsearch import open_storage, run
from hpsearch.storages.opener import check_url, is_database, warn_if_sqlite


def test_paths_open_journals_and_urls_open_databases(tmp_path):
    assert isinstance(open_storage(str(tmp_path / "a" / "journal.log")), JournalStorage)
    assert (tmp_path / "a").is_dir()
    assert isinstance(open_storage(f"sqlite:///{tmp_path / 'x.db'}"), RDBStorage)
    assert is_database("postgresql+psycopg2://u@h/db") and not is_database("runs/x/journal.log")


def test_a_missing_journal_is_not_created_when_reading(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        open_storage(str(tmp_path / "nope.log"), create=False)
    assert not (tmp_path / "nope.log").exists()


def test_bad_urls_are_rejected_with_the_fix():
    with pytest.raises(ValueError, match="unknown scheme"):
        check_url("redis://localhost/0")
    with pytest.raises(ValueError, match="empty"):
        check_url("  ")


def test_sqlite_warns_against_parallel_writers(caplog):
    with caplog.at_level(logging.WARNING, logger="hpsearch.storages.opener"):
        warn_if_sqlite("sqlite:///x.db", 1)
        assert not caplog.records
        warn_if_sqlite("sqlite:///x.db", 2)
    assert "SQLite" in caplog.text and "PostgreSQL" in caplog.text


def test_a_study_runs_on_sqlite_with_heartbeats(make_spec, tmp_path):
    spec = make_spec("lite", storage=f"sqlite:///{tmp_path / 'study.db'}", n_trials=3)
    study = run(spec, n_jobs=1, progress=False)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3


def test_optunas_misleading_fallback_warning_is_dropped_once_a_database_is_opened(tmp_path):
    # a database lost mid-study made Optuna log "Caught an error from sqlalchemy: <the SQL>. Falling back to a
    # slower alternative." (meant for too many IN variables) before hpsearch's one-line error (found by CI)
    logger = logging.getLogger("optuna.storages._rdb.storage")
    seen: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    logger.addHandler(handler)
    try:
        open_storage(f"sqlite:///{tmp_path / 'a.db'}")
        open_storage(f"sqlite:///{tmp_path / 'b.db'}")  # a second database: still one filter
        logger.warning("Caught an error from sqlalchemy: (psycopg2.OperationalError) server closed the "
                       "connection unexpectedly. Falling back to a slower alternative.")
        logger.warning("another warning")
    finally:
        logger.removeHandler(handler)
    assert seen == ["another warning"]
    assert sum(type(f).__name__ == "_FallbackNoise" for f in logger.filters) == 1
