"""``hpsearch compare STUDY STUDY... [--storage URL] [--runs DIR] [--out DIR]``: two or more of the user's own
studies on one page (the same metric per study with honest intervals, best-so-far steps on one axis, the
settings that differ). Each STUDY is a study folder (``runs/<study>`` holding journal.log), a study name under
``--runs`` (default ``runs``), or with ``--storage`` a study of that storage. Every study is exported to its
own ``<folder>/export`` first; the page goes to ``--out`` (default ``<runs>/compare-<a>-vs-<b>...``).

Bad input raises ValueError with one line (the CLI prints it and exits 2) before anything is written: fewer
than two studies, an unknown study, studies of different directions or metrics.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import optuna

from safefiles import own_dir
from hpsearch.objectives import get_objective
from hpsearch.spec import StudySpec
from hpsearch.storage import check_name, journal_path, open_storage
from hpsearch.study import load_spec

__all__ = ["add_compare_parser", "cmd_compare"]


def add_compare_parser(sub: argparse._SubParsersAction) -> None:
    """The ``compare`` subcommand's parser."""
    p = sub.add_parser("compare", help="put two or more studies side by side on one HTML page",
                       description="Export two or more studies of one direction and metric and render one page: "
                                   "the score per study with 95%% bootstrap intervals (none from fewer than 3 "
                                   "trials; a winner only when its interval excludes the others), best-so-far "
                                   "curves on one axis and the settings that differ.")
    p.add_argument("studies", nargs="*", metavar="STUDY",
                   help="a study folder runs/<study>, a study name under --runs, or with --storage a study name")
    p.add_argument("--storage", help="journal file or database URL holding every named study")
    p.add_argument("--runs", default="runs", help="folder of the study folders (default: runs)")
    p.add_argument("--out", help="output folder of the page (default: <runs>/compare-<a>-vs-<b>...)")


def _locate(study: str, args: argparse.Namespace) -> tuple[str, str, Path]:
    """(storage, name, study folder) of one STUDY argument; ValueError when it is unknown."""
    if args.storage:
        check_name(study)
        if "://" not in args.storage and not Path(args.storage).is_file():
            raise ValueError(f"no journal at {args.storage}; check --storage")
        return args.storage, study, Path(args.runs) / study
    folder = Path(study)
    if (folder / "journal.log").is_file():
        check_name(folder.name)
        return str(folder / "journal.log"), folder.name, folder
    check_name(study)
    journal = journal_path(args.runs, study)
    if not journal.is_file():
        raise ValueError(f"unknown study {study!r}: no {folder}/journal.log and no {journal}; give study folders "
                         "(runs/<study>) or --storage URL with study names")
    return str(journal), study, journal.parent


def _metric(spec: StudySpec) -> str:
    return get_objective(spec.objective).metric


def _checked_specs(targets: list[tuple[str, str, Path]]) -> list[StudySpec]:
    specs = [load_spec(storage, name) for storage, name, _ in targets]
    for label, of in (("directions", lambda s: s.direction), ("metrics", _metric)):
        seen = {s.name: of(s) for s in specs}
        if len(set(seen.values())) > 1:
            raise ValueError(f"the studies have different {label} (" + ", ".join(f"{k}: {v}" for k, v in
                             seen.items()) + "); compare studies that optimise the same metric the same way")
    return specs


def cmd_compare(args: argparse.Namespace) -> int:
    """Check the studies, export each, render the comparison page, print where it is."""
    if len(args.studies) < 2:
        raise ValueError(f"compare needs two or more studies; got {len(args.studies)} (hpsearch compare A B ...)")
    targets = [_locate(s, args) for s in args.studies]
    names = [name for _, name, _ in targets]
    if len(set(names)) < len(names):
        raise ValueError(f"a study is named twice ({', '.join(names)}); give each study once")
    specs = _checked_specs(targets)
    try:
        render = importlib.import_module("reports").render_study_comparison  # hpsearch never needs matplotlib
    except (ImportError, AttributeError):
        raise ValueError("reports is not available in this installation") from None
    from hpsearch.export import export

    folders = []
    for (storage, name, folder), spec in zip(targets, specs, strict=True):
        optuna.load_study(study_name=name, storage=open_storage(storage, create=False))
        folders.append(own_dir(folder / "export"))
        export(spec.name, storage, folders[-1])
    out = Path(args.out) if args.out else Path(args.runs) / ("compare-" + "-vs-".join(names))[:120]
    page = render(folders, out_dir=out)
    print(f"comparison of {len(names)} studies written: {page}")
    return 0
