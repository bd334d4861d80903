"""``hpsearch`` command line: run, worker, status, export (and report, when ``reports.render`` exists).

A thin layer: parse, build plain data, call the library, print. ``main(argv)`` returns the exit code; bad
arguments (and missing or corrupt data, an unusable storage) print ONE line to stderr and return 2 before
anything is written. Ctrl-C stops every local worker cleanly, prints one line and returns 130; running the
same command again resumes the study.

    hpsearch run [SPEC.json] [--name N] [--n-trials N] [--sampler S] [--pruner P] [--seed S] [--epochs E]
                 [--storage URL] [--out DIR] [--n-jobs K] [--blas-threads T] [--no-progress]
    hpsearch worker --storage URL --study NAME [--index I] [--blas-threads T]
    hpsearch status  (RUN_DIR | --study NAME [--storage URL] [--runs DIR])
    hpsearch export  (RUN_DIR | --study NAME [--storage URL] [--runs DIR]) [--out DIR]
    hpsearch report  (RUN_DIR | --study NAME [--storage URL] [--runs DIR]) [--out DIR]
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import socket
import sys
import zlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import optuna

from hpsearch.progress import snapshot
from hpsearch.samplers import PRUNERS, SAMPLERS
from hpsearch.spec import StudySpec
from hpsearch.storage import StorageError, check_name, journal_path, open_storage, redact
from hpsearch.study import check_resume, load_spec, state_counts
from hpsearch.worker import check_data

__all__ = ["main"]


class UsageError(Exception):
    """Bad arguments: reported as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _target_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", nargs="?", help="a study folder runs/<study> holding journal.log")
    p.add_argument("--study", help="study name")
    p.add_argument("--storage", help="journal file path or database URL (default: <runs>/<study>/journal.log)")
    p.add_argument("--runs", default="runs", help="folder of the studies' default journals (default: runs)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hpsearch", description="Hyperparameter searches over netcore networks.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="create or resume a study and run it with local worker processes")
    run.add_argument("spec", nargs="?", help="a StudySpec as JSON (default: the book's section 6.5 study)")
    run.add_argument("--name", help="study name (default: the spec's, or 'book')")
    run.add_argument("--n-trials", type=int)
    run.add_argument("--sampler", choices=sorted(SAMPLERS))
    run.add_argument("--pruner", choices=sorted(PRUNERS))
    run.add_argument("--seed", type=int)
    run.add_argument("--epochs", type=int)
    run.add_argument("--storage", help="journal file path or database URL (default: <out>/<name>/journal.log)")
    run.add_argument("--out", help="output folder (default: runs)")
    run.add_argument("--n-jobs", type=int, help="worker processes (default: every core; 0: only create)")
    run.add_argument("--blas-threads", type=int, default=1, help="BLAS threads per worker (default 1)")
    run.add_argument("--no-progress", action="store_true")
    worker = sub.add_parser("worker", help="join an existing study from this machine")
    worker.add_argument("--storage", required=True, help="the study's storage (e.g. postgresql://...)")
    worker.add_argument("--study", required=True)
    worker.add_argument("--index", type=int, help="worker index for the sampler seed (default: from host:pid)")
    worker.add_argument("--blas-threads", type=int, default=1)
    for name, text in (("status", "counts and best trial"), ("export", "write tables"), ("report", "render")):
        p = sub.add_parser(name, help=text)
        _target_args(p)
        if name != "status":
            where = "<runs>/<study>/export" if name == "export" else "<runs>/<study>"
            p.add_argument("--out", help=f"output folder (default: {where})")
    return parser


def _load_spec_file(path: str) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"spec file {path} does not exist") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"spec file {path} is not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"spec file {path} must hold a JSON object (a StudySpec.to_dict())")
    return data


def _spec_from_args(args: argparse.Namespace) -> StudySpec:
    data = _load_spec_file(args.spec) if args.spec else {"name": "book"}
    overrides = {
        "name": args.name, "n_trials": args.n_trials, "sampler": args.sampler, "pruner": args.pruner,
        "seed": args.seed, "storage": args.storage, "out_dir": args.out,
    }
    data.update({k: v for k, v in overrides.items() if v is not None})
    spec = StudySpec.from_dict(data)
    if args.epochs is not None:
        spec = spec.replace(settings=replace(spec.settings, epochs=args.epochs))
    return spec


def _checked(fn, *args):
    """Call ``fn``; its ValueError (a bad spec, an unknown study) becomes a usage error."""
    try:
        return fn(*args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _target(args: argparse.Namespace) -> tuple[str, str]:
    """(storage, study name) from RUN_DIR or --study/--storage/--out; the storage must exist."""
    if args.run_dir:
        if args.study or args.storage:
            raise UsageError("give either RUN_DIR or --study/--storage, not both")
        name, storage = Path(args.run_dir).name, str(Path(args.run_dir) / "journal.log")
        _checked(check_name, name)
    elif args.study:
        _checked(check_name, args.study)
        name, storage = args.study, args.storage or str(journal_path(args.runs, args.study))
    else:
        raise UsageError("say which study: RUN_DIR (runs/<study>) or --study NAME [--storage URL]")
    if "://" not in storage and not Path(storage).is_file():
        raise UsageError(f"no journal at {storage}; check the study name, RUN_DIR or --storage")
    return storage, name


def _cmd_run(args: argparse.Namespace) -> int:
    from hpsearch.runner import run

    if args.n_jobs is not None and args.n_jobs < 0:
        raise UsageError(f"--n-jobs {args.n_jobs} is invalid; give a number of workers >= 0")
    _check_blas(args)
    spec = _checked(_spec_from_args, args)
    _checked(check_data, spec)
    _checked(check_resume, spec)
    study = run(spec, n_jobs=args.n_jobs, progress=not args.no_progress, blas_threads=args.blas_threads or None)
    _print_status(study, spec.n_trials, spec.storage_url)
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    from hpsearch.worker import run_worker

    _check_blas(args)
    _checked(check_name, args.study)
    if args.storage and "://" not in args.storage and not Path(args.storage).is_file():
        raise UsageError(f"no journal at {args.storage}; check --storage")
    spec = _checked(load_spec, args.storage, args.study)
    _checked(check_data, spec)
    # a worker started by hand gets an index from its host and pid: distinct sampler seeds across machines
    index = args.index if args.index is not None else (zlib.crc32(socket.gethostname().encode()) + os.getpid())
    summary = run_worker(spec, index % 2**31, blas_threads=args.blas_threads or None)
    if summary["interrupted"]:
        raise KeyboardInterrupt(f"worker {summary['worker']} stopped after {summary['trials']} trial(s) of "
                                f"{args.study}; its running trial was re-queued")
    print(f"worker {summary['worker']}: ran {summary['trials']} trial(s) of {args.study}")
    return 0


def _check_blas(args: argparse.Namespace) -> None:
    if args.blas_threads is not None and args.blas_threads < 0:
        raise UsageError(f"--blas-threads {args.blas_threads} is invalid; give threads >= 1 (0: leave BLAS alone)")


def _print_status(study: optuna.Study, n_trials: int, storage: str) -> None:
    snap = snapshot(study, n_trials)
    counts = ", ".join(f"{k} {v}" for k, v in state_counts(study).items() if v)
    print(f"study {study.study_name} ({redact(storage)}): {snap.finished}/{n_trials} finished ({counts})")
    if snap.best is not None:
        best = study.best_trial  # Optuna's own best, in the study's direction
        params = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in best.params.items())
        print(f"best value {best.value:.4f} ({study.direction.name.lower()}, trial {best.number}): {params}")


def _run_dir(args: argparse.Namespace, spec: StudySpec) -> Path:
    """Where a study's files go: RUN_DIR, else <runs>/<study>."""
    return Path(args.run_dir) if args.run_dir else Path(args.runs) / spec.name


def _cmd_status(args: argparse.Namespace) -> int:
    storage, name = _target(args)
    spec = _checked(load_spec, storage, name)
    study = optuna.load_study(study_name=name, storage=open_storage(storage, create=False))
    _print_status(study, spec.n_trials, storage)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from hpsearch.export import export

    storage, name = _target(args)
    spec = _checked(load_spec, storage, name)
    out = Path(args.out) if args.out else _run_dir(args, spec) / "export"
    tables = export(name, storage, out)
    print(f"exported {len(tables.trials)} trials, {len(tables.curves)} curve points to {out}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    storage, name = _target(args)
    spec = _checked(load_spec, storage, name)
    try:
        render = importlib.import_module("reports").render  # lazily: hpsearch never needs matplotlib itself
    except (ImportError, AttributeError):
        raise UsageError("reports.render is not available in this installation") from None
    from hpsearch.export import export

    base = _run_dir(args, spec)
    export(name, storage, base / "export")
    result = render(base / "export", out_dir=Path(args.out) if args.out else base)
    print(f"report written: {result}")
    return 0


_COMMANDS = {"run": _cmd_run, "worker": _cmd_worker, "status": _cmd_status, "export": _cmd_export,
             "report": _cmd_report}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hpsearch`` console script; returns the exit code."""
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except UsageError as exc:
        print(f"hpsearch: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    optuna.logging.set_verbosity(optuna.logging.INFO if args.verbose else optuna.logging.WARNING)
    try:
        return _COMMANDS[args.command](args)
    except (UsageError, StorageError) as exc:
        print(f"hpsearch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        what = str(exc) or "stopped"
        print(f"hpsearch: interrupted: {what}; run the same command again to resume", file=sys.stderr)
        return 130
