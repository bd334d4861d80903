"""Storages: where studies live, and how several processes and machines share one safely.

- :mod:`~hpsearch.storages.opener`: a storage by URL (an Optuna journal file by default, PostgreSQL for many
  machines, SQLite), study names and their folders;
- :mod:`~hpsearch.storages.journal`: opening a journal file safely and repairing a last record cut mid-write;
- :mod:`~hpsearch.storages.locks`: the journal's write lock and the study lock that makes creating slots atomic;
- :mod:`~hpsearch.storages.urls`: database URLs, their drivers and their secrets (redacted wherever shown);
- :mod:`~hpsearch.storages.failures`: a storage or disk that failed mid-command, said in one line.
"""

from hpsearch.storages.opener import check_name, is_database, journal_path, open_storage, study_dir
from hpsearch.storages.urls import redact

__all__ = ["check_name", "is_database", "journal_path", "open_storage", "redact", "study_dir"]
