"""What every study script of the book's experiments shares: its common options and its run-and-export step.

Common options: ``--dataset`` (the embedded ``mnist-5k`` digits by default; ``fashion-mnist`` for the
full-size analogue of the book's 60,000-image runs), ``--seeds`` (replicates 0..N-1), ``--n-jobs`` (worker
processes; -1 every core, as in joblib), ``--out`` (the runs folder), ``--quick`` (a small budget, e.g. for
tests; options given explicitly win over it) and ``--name`` (the study name prefix; by default the
experiment and the dataset, plus ``-quick``). ``run_grid`` shows each study's progress (plain lines off a
terminal) and keeps Optuna's INFO lines out of it.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

import optuna

from hpsearch.errors import OneLineParser
from hpsearch.execution.estimate import estimate_run
from hpsearch.execution.launch import run
from hpsearch.execution.preflight import script_workers
from hpsearch.export import Tables, export
from hpsearch.spec import StudySpec
from hpsearch.study import PART_OF
from netcore.data import DATASETS

__all__ = ["base_parser", "expected", "run_grid", "seeds", "study_name"]


def _workers(text: str) -> int:
    """--n-jobs as a script reads it: a whole number that leaves at least one worker (0 trains nothing)."""
    try:
        n_jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of worker processes") from None
    try:
        script_workers(n_jobs)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--n-jobs ")) from None
    return n_jobs


def base_parser(doc: str | None, *, default_seeds: int = 5, quick_seeds: int = 2) -> argparse.ArgumentParser:
    """A parser with the common options (the script adds its own)."""
    ap = OneLineParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="mnist-5k", choices=DATASETS,
                    help="mnist-5k (embedded, default) or fashion-mnist (60,000 images; mnist once downloaded)")
    ap.add_argument("--seeds", type=int, default=None,
                    help=f"replicates 0..N-1 (default {default_seeds}; {quick_seeds} with --quick)")
    ap.add_argument("--n-jobs", type=_workers, default=os.cpu_count() or 1,
                    help="worker processes (default and -1: every core; -2: all but one)")
    ap.add_argument("--out", default="runs", help="folder of the studies and reports (default runs)")
    ap.add_argument("--name", default=None, help="study name prefix (default: experiment-dataset[-quick])")
    ap.add_argument("--quick", action="store_true", help="a small budget (seconds), e.g. to check the pipeline")
    ap.set_defaults(_default_seeds=default_seeds, _quick_seeds=quick_seeds)
    return ap


def seeds(args: argparse.Namespace) -> list[int]:
    """The replicate seeds 0..N-1 (N from --seeds, or the script's default for the budget)."""
    n = args.seeds if args.seeds is not None else (args._quick_seeds if args.quick else args._default_seeds)
    if n < 1:
        raise ValueError(f"--seeds {n}: give at least 1 replicate")
    return list(range(n))


def expected(spec: StudySpec, n_jobs: int, *, quick: bool | None = None) -> str:
    """One line: how long ``spec`` takes on ``n_jobs`` workers here, and ``--quick`` when it is not given."""
    line = estimate_run(spec, n_jobs).line(spec.name)
    return line + ("; --quick runs a small demo budget" if quick is False else "")


def study_name(experiment: str, args: argparse.Namespace) -> str:
    """``--name`` or ``<experiment>-<dataset>[-quick]``."""
    return args.name or f"{experiment}-{args.dataset}{'-quick' if args.quick else ''}"


def run_grid(spec: StudySpec, *, n_jobs: int, part_of: str | None = None,
             announce: Callable[[str], object] | None = None, quick: bool | None = None) -> Tables:
    """Run (or resume) ``spec`` with ``n_jobs`` workers (as :func:`hpsearch.execution.launch.run` reads them:
    -1 is every core) and export it to ``<out>/<name>/export``. ``part_of`` marks a helper study (a tuning
    study, histograms) as serving that experiment: ``hpsearch ls`` lists it under ``--all`` only.
    ``announce(text)`` hears, before anything trains, how long the study should take on this machine
    (:mod:`hpsearch.execution.estimate`), with a pointer to ``--quick`` when ``quick`` is False."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no "A new study created" lines between the progress
    if announce is not None:
        announce(expected(spec, n_jobs, quick=quick))
    study = run(spec, n_jobs=n_jobs, progress=True)
    if part_of is not None and study.user_attrs.get(PART_OF) != part_of:
        study.set_user_attr(PART_OF, part_of)
    return export(study)
