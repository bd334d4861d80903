"""Which study a command means: one resolver, one set of checks and messages, for every command.

A study is named by its folder (``RUN_DIR``: ``runs/<study>`` holding ``journal.log``), by ``--study NAME``
under ``--runs`` (default ``runs``), or by ``--study NAME --storage URL``. ``hpsearch compare`` takes several
such names as positional arguments (:func:`resolve_item`). Bad input is a :class:`hpsearch.errors.UsageError`
(one line, exit code 2) raised before anything is read or written.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from pathlib import Path

from hpsearch.errors import UsageError
from hpsearch.storages.opener import check_name, journal_path

__all__ = ["Target", "narrowing_rounds", "not_a_study", "resolve", "resolve_args", "resolve_item"]


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


def narrowing_rounds(folder: Path) -> list[str] | None:
    """The round studies of a range-narrowing folder (its ``narrowing.json``), or None when it is not one."""
    try:
        record = json.loads((folder / "narrowing.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    rounds = [r.get("study") for r in record.get("rounds") or [] if isinstance(r, dict)]
    beyond = record.get("beyond") if isinstance(record.get("beyond"), dict) else {}
    return list(dict.fromkeys(str(name) for name in [*rounds, beyond.get("study")] if name))


def not_a_study(folder: Path) -> str:
    """One line for a folder that holds no study journal: what it does hold, and what to give instead."""
    if not folder.is_dir():
        return f"no study folder {folder}: it does not exist; give runs/<study> (hpsearch ls lists them)"
    rounds = narrowing_rounds(folder)
    if rounds is not None:
        first = folder.parent / rounds[0] if rounds else folder.parent / "<round>"
        return (f"{folder} is a range narrowing of {len(rounds)} round studies ({', '.join(rounds)}), not one "
                f"study; `hpsearch report {folder}` re-renders its page, and each round is a study: e.g. "
                f"hpsearch report {first}")
    studies = sorted(p.parent.name for p in folder.glob("*/journal.log"))
    if studies:
        shown = ", ".join(studies[:5]) + (", ..." if len(studies) > 5 else "")
        return (f"{folder} is a folder of {len(studies)} studies ({shown}), not one study; give one of them, "
                f"e.g. {folder / studies[0]}")
    if sorted(folder.glob("table-*.npz")):
        return (f"{folder} holds grid tables of the search-methods benchmark (table-*.npz), not a study; its "
                "page is runs/<benchmark>/index.html")
    if (folder / "meta.json").is_file() and (folder / "trials.csv").is_file():
        return (f"{folder} is an exported study's tables, not a study; give its study folder "
                f"{folder.parent} (the one holding journal.log)")
    held = sorted(p.name for p in folder.iterdir())[:5]
    return (f"{folder} is not a study folder: no journal.log in it (it holds {', '.join(held) or 'nothing'}); "
            "give runs/<study> (hpsearch ls lists them)")


def resolve(*, run_dir: str | None = None, study: str | None = None, storage: str | None = None,
            runs: str = "runs") -> Target:
    """The study named by RUN_DIR, or by --study [--storage] [--runs]; its storage must exist."""
    if run_dir:
        if study or storage:
            raise UsageError("give either RUN_DIR or --study/--storage, not both")
        folder = Path(run_dir)
        if not os.path.lexists(folder / "journal.log"):
            raise UsageError(not_a_study(folder))
        name = _name(folder.name)
        return Target(str(folder / "journal.log"), name, folder)
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
    if os.path.lexists(item) and (os.sep in item or not journal_path(runs, Path(item).name).is_file()):
        raise UsageError(not_a_study(Path(item)))
    name = _name(item)
    if not journal_path(runs, name).is_file():
        raise UsageError(f"unknown study {item!r}: no {item}/journal.log and no {journal_path(runs, name)}; give "
                         "study folders (runs/<study>) or --storage URL with study names")
    return resolve(study=name, runs=runs)
