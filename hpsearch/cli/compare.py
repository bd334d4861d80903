"""``hpsearch compare STUDY STUDY... [--storage URL] [--runs DIR] [--out DIR]``: two or more of the user's own
studies on one page (the same metric per study with honest intervals, best-so-far steps on one axis, the
settings that differ). Each STUDY is a study folder (``runs/<study>`` holding journal.log), a study name under
``--runs`` (default ``runs``), or with ``--storage`` a study of that storage. Every study is exported to its
own ``<folder>/export`` first; the page goes to ``--out`` (default ``<runs>/compare-<a>-vs-<b>...``).

Bad input raises a one-line UsageError or ValueError (the CLI prints it and exits 2) before anything is written: fewer
than two studies, an unknown study, studies of different directions or metrics.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import optuna

from hpsearch.cli.targets import Target, resolve_item
from hpsearch.objectives.registry import get_objective
from hpsearch.spec import StudySpec
from hpsearch.storages.opener import open_storage
from hpsearch.study import load_spec
from safefiles import own_dir

__all__ = ["cmd_compare"]


def _metric(spec: StudySpec) -> str:
    return get_objective(spec.objective).metric


def _checked_specs(targets: list[Target]) -> list[StudySpec]:
    specs = [load_spec(t.storage, t.name) for t in targets]
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
    targets = [resolve_item(s, storage=args.storage, runs=args.runs) for s in args.studies]
    names = [t.name for t in targets]
    if len(set(names)) < len(names):
        raise ValueError(f"a study is named twice ({', '.join(names)}); give each study once")
    specs = _checked_specs(targets)
    try:
        render = importlib.import_module("reports").render_study_comparison  # hpsearch never needs matplotlib
    except (ImportError, AttributeError):
        raise ValueError("reports is not available in this installation") from None
    from hpsearch.export import export

    folders = []
    for target, spec in zip(targets, specs, strict=True):
        optuna.load_study(study_name=target.name, storage=open_storage(target.storage, create=False))
        folders.append(own_dir(target.folder / "export"))
        export(spec.name, target.storage, folders[-1])
    out = Path(args.out) if args.out else Path(args.runs) / ("compare-" + "-vs-".join(names))[:120]
    page = render(folders, out_dir=out)
    print(f"comparison of {len(names)} studies written: {page}")
    return 0
