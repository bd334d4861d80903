"""Which study a command means: one resolver, one set of checks and messages, for every command.

A study is named by its folder (``RUN_DIR``: ``runs/<study>`` holding ``journal.log``), by ``--study NAME``
under ``--runs`` (default ``runs``), or by ``--study NAME --storage URL``. ``hpsearch compare`` takes several
such names as positional arguments (:func:`resolve_item`). Bad input is a :class:`hpsearch.errors.UsageError`
(one line, exit code 2) raised before anything is read or written.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from hpsearch.errors import UsageError
from hpsearch.storages.opener import check_name, journal_path

__all__ = ["Target", "resolve", "resolve_args", "resolve_item"]


@dataclass(frozen=True)
class Target:
    """A study a command works on: its storage (journal path or database URL), its name, and its folder
    (where its export and page go by default)."""

    storage: str
    name: str
    folder: Path


def _name(name: str) -> str:
    try:
        return check_name(name)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _exists(storage: str, hint: str) -> str:
    """A journal file must be there (anything in its place is for ``open_storage`` to describe)."""
    if "://" not in storage and not os.path.lexists(storage):
        raise UsageError(f"no journal at {storage}; check {hint}")
    return storage


def resolve(*, run_dir: str | None = None, study: str | None = None, storage: str | None = None,
            runs: str = "runs") -> Target:
    """The study named by RUN_DIR, or by --study [--storage] [--runs]; its storage must exist."""
    if run_dir:
        if study or storage:
            raise UsageError("give either RUN_DIR or --study/--storage, not both")
        folder = Path(run_dir)
        name = _name(folder.name)
        return Target(_exists(str(folder / "journal.log"), "RUN_DIR (runs/<study>)"), name, folder)
    if not study:
        raise UsageError("say which study: RUN_DIR (runs/<study>) or --study NAME [--storage URL]")
    name = _name(study)
    if storage:
        return Target(_exists(storage, "--storage"), name, Path(runs) / name)
    journal = journal_path(runs, name)
    return Target(_exists(str(journal), "the study name and --runs, or give RUN_DIR or --storage"), name,
                  journal.parent)


def resolve_args(args: argparse.Namespace) -> Target:
    """:func:`resolve` of a command's RUN_DIR / --study / --storage / --runs arguments."""
    return resolve(run_dir=getattr(args, "run_dir", None), study=getattr(args, "study", None),
                   storage=getattr(args, "storage", None), runs=getattr(args, "runs", "runs"))


def resolve_item(item: str, *, storage: str | None, runs: str) -> Target:
    """One STUDY of ``hpsearch compare``: a study folder, a study name under ``runs``, or with ``storage`` a
    study of that storage."""
    if storage:
        return resolve(study=item, storage=storage, runs=runs)
    if (Path(item) / "journal.log").is_file():
        return resolve(run_dir=item)
    name = _name(item)
    if not journal_path(runs, name).is_file():
        raise UsageError(f"unknown study {item!r}: no {item}/journal.log and no {journal_path(runs, name)}; give "
                         "study folders (runs/<study>) or --storage URL with study names")
    return resolve(study=name, runs=runs)
