"""The ``hpsearch`` commands: run, worker, status, ls, export, report (when ``reports.render`` exists), and
:func:`main`, which dispatches them and turns errors into one line and an exit code.

A thin layer: parse, build plain data, call the library, print. ``main(argv)`` returns the exit code; bad
arguments (and missing or corrupt data, an unusable storage) print ONE line to stderr and return 2 before
anything is written. Ctrl-C stops every local worker cleanly, prints one line and returns 130; running the
same command again resumes the study.

    hpsearch run [SPEC.json] [--name N] [--n-trials N] [--sampler S] [--pruner P] [--seed S] [--epochs E]
                 [--storage URL] [--out DIR] [--n-jobs K] [--blas-threads T] [--no-progress] [--time-budget S]
    hpsearch worker --storage URL --study NAME [--index I] [--blas-threads T] [--time-budget S]
    hpsearch status  (RUN_DIR | --study NAME [--storage URL] [--runs DIR])
    hpsearch ls      [RUNS_DIR | --storage URL]
    hpsearch export  (RUN_DIR | --study NAME [--storage URL] [--runs DIR]) [--out DIR]
    hpsearch report  (RUN_DIR | --study NAME [--storage URL] [--runs DIR]) [--out DIR]
    hpsearch compare STUDY STUDY... [--storage URL] [--runs DIR] [--out DIR]   (hpsearch.cli.compare)

The parser (every option and its help) is :mod:`hpsearch.cli.parser`; which study a command means is
:mod:`hpsearch.cli.targets`.
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

from hpsearch.cli.compare import cmd_compare
from hpsearch.cli.parser import build_parser as _parser
from hpsearch.cli.targets import narrowing_rounds, resolve_args
from hpsearch.errors import StorageError, UsageError, first_line
from hpsearch.execution.preflight import check_data, check_launch
from hpsearch.execution.progress import snapshot
from hpsearch.execution.stopping import Deadline
from hpsearch.spec import StudySpec
from hpsearch.storages.failures import ENVIRONMENT_ERRORS, describe
from hpsearch.storages.opener import open_storage
from hpsearch.storages.urls import redact
from hpsearch.study import load_spec, state_counts
from safefiles import check_folder, own_dir

__all__ = ["main"]


_MAX_SPEC_BYTES = 1 << 20  # a spec is a few kilobytes; this bounds what a wrong path (/dev/zero) can cost


def _load_spec_file(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(_MAX_SPEC_BYTES + 1)
        if len(raw) > _MAX_SPEC_BYTES:
            raise UsageError(f"spec file {path} is larger than {_MAX_SPEC_BYTES >> 20} MiB; is it a spec?")
        data = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise UsageError(f"spec file {path} does not exist") from None
    except (OSError, ValueError) as exc:  # JSON and UTF-8 errors are ValueErrors
        raise UsageError(f"spec file {path} is not readable JSON ({first_line(exc)})") from None
    except RecursionError:
        raise UsageError(f"spec file {path} nests its JSON too deep to read; a spec is a few levels deep") from None
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
    try:
        spec = StudySpec.from_dict(data)
    except (TypeError, KeyError, AttributeError, RecursionError) as exc:  # a shape no check foresaw: still one line
        raise UsageError(f"spec {args.spec or ''} is malformed ({type(exc).__name__}: {first_line(exc)}); compare "
                         "it with StudySpec(...).to_dict()") from None
    if args.epochs is not None:
        spec = spec.replace(settings=replace(spec.settings, epochs=args.epochs))
    return spec


def _out_folder(args: argparse.Namespace) -> Path | None:
    """``--out`` checked before anything is written (a file, /dev/null, /proc...: one line)."""
    return _checked(check_folder, args.out, "--out") if args.out else None


def _checked(fn, *args, **kwargs):
    """Call ``fn``; its ValueError (a bad spec, an unknown study) becomes a usage error."""
    try:
        return fn(*args, **kwargs)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _is_file(path: str) -> bool:
    try:
        return Path(path).is_file()
    except OSError:  # e.g. a name too long for the file system
        return False


def _cmd_run(args: argparse.Namespace) -> int:
    from hpsearch.execution.launch import run

    _check_blas(args)
    spec = _checked(_spec_from_args, args)
    blas_threads = args.blas_threads or None
    # run() checks the same again; here its one-line ValueErrors are usage errors (exit 2)
    n_jobs = _checked(check_launch, spec, n_jobs=args.n_jobs, blas_threads=blas_threads,
                      time_budget=args.time_budget, budget_name="--time-budget")
    if n_jobs > 0:
        from hpsearch.execution.estimate import estimate_run

        print(estimate_run(spec, n_jobs, time_budget=args.time_budget).line("this run"), flush=True)
    study = run(spec, n_jobs=n_jobs, progress=not args.no_progress, blas_threads=blas_threads,
                time_budget=args.time_budget)
    _print_status(study, spec.n_trials, spec.storage_url)
    if study.run_record and study.run_record.get("out_of_time"):
        print(f"time budget of {args.time_budget:g} s spent: the finished trials are a complete result; run the "
              "same command again to go on")
    _print_next(spec)
    return 0


def _print_next(spec: StudySpec) -> None:
    """Where the results are and the commands that show them."""
    target = str(spec.run_dir) if spec.storage is None else f"--study {spec.name} --storage {redact(spec.storage_url)}"
    print(f"results: {redact(spec.storage_url)}")
    print(f"next: hpsearch report {target}   (tables in {spec.run_dir / 'export'}, page {spec.run_dir / 'index.html'})")
    print(f"      hpsearch status {target}   |   optuna-dashboard {redact(spec.storage_url)}")


def _cmd_worker(args: argparse.Namespace) -> int:
    from hpsearch.execution.worker import run_worker

    _check_blas(args)
    deadline = _checked(Deadline.after, args.time_budget, "--time-budget")
    target = resolve_args(args)
    spec = _checked(load_spec, target.storage, target.name)
    _checked(check_data, spec)
    # a worker started by hand gets an index from its host and pid: distinct sampler seeds across machines
    index = args.index if args.index is not None else (zlib.crc32(socket.gethostname().encode()) + os.getpid())
    summary = run_worker(spec, index % 2**31, blas_threads=args.blas_threads or None, deadline=deadline)
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


def _cmd_status(args: argparse.Namespace) -> int:
    target = resolve_args(args)
    spec = _checked(load_spec, target.storage, target.name)
    study = optuna.load_study(study_name=target.name, storage=open_storage(target.storage, create=False))
    _print_status(study, spec.n_trials, target.storage)
    return 0


def _cmd_ls(args: argparse.Namespace) -> int:
    from hpsearch.cli.listing import journals, summaries, table

    if args.storage and args.runs_dir:
        raise UsageError("give either RUNS_DIR or --storage, not both")
    if args.storage:
        if "://" not in args.storage and not _is_file(args.storage):
            raise UsageError(f"no journal at {args.storage}; check --storage")
        stores = [args.storage]
    else:
        runs = Path(args.runs_dir or "runs")
        if not runs.is_dir():
            raise UsageError(f"no folder {runs}; give a runs folder or --storage URL")
        stores = [str(p) for p in journals(runs)]
    rows = [s for store in stores for s in summaries(store)]
    if not rows:
        print(f"no studies in {redact(stores[0]) if args.storage else runs}")
        return 0
    print("\n".join(table(rows, helpers=args.all)))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from hpsearch.export import export

    target = resolve_args(args)
    _checked(load_spec, target.storage, target.name)
    out = _out_folder(args) or own_dir(target.folder / "export")  # never a link out of the study
    tables = export(target.name, target.storage, out)
    unused = tables.meta["unused_slots"]
    left = f" ({unused} of {tables.meta['n_trials']} slots never ran: left out)" if unused else ""
    print(f"exported {len(tables.trials)} trials{left}, {len(tables.curves)} curve points to {out}")
    return 0


def _report_narrowing(args: argparse.Namespace) -> int:
    """`hpsearch report` on a range-narrowing folder: its own page (and its rounds' pages) rendered again."""
    folder = Path(args.run_dir)
    if args.out:
        raise UsageError(f"{folder} is a range narrowing: its page is re-rendered in its own folder; drop --out")
    try:
        render = importlib.import_module("reports").render_narrowing
    except (ImportError, AttributeError):
        raise UsageError("reports.render_narrowing is not available in this installation") from None
    try:
        result = render(folder)
    except (OSError, ValueError) as exc:
        raise UsageError(f"{folder}: the narrowing page cannot be rendered ({first_line(exc)}); run "
                         "studies/book_range_narrowing.py again with the same options to rebuild it") from None
    print(f"report written: {result} (the range narrowing and its {len(narrowing_rounds(folder) or [])} round "
          "studies' pages)")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    run_dir = getattr(args, "run_dir", None)
    if run_dir and not os.path.lexists(Path(run_dir) / "journal.log") and narrowing_rounds(Path(run_dir)) is not None:
        return _report_narrowing(args)
    target = resolve_args(args)
    _checked(load_spec, target.storage, target.name)
    try:
        reports = importlib.import_module("reports")  # lazily: hpsearch never needs matplotlib itself
        render, is_study_page = reports.render, reports.is_study_page
    except (ImportError, AttributeError):
        raise UsageError("reports.render is not available in this installation") from None
    from hpsearch.export import export

    base = _out_folder(args) or target.folder  # with --out, nothing is written into the study
    tables = own_dir(base / "export")  # hpsearch's own folder: never a link out of the study
    export(target.name, target.storage, tables)
    kept = base / "index.html"
    if kept.is_file() and not kept.is_symlink() and not is_study_page(kept):
        # a script's own page (overfitting, full-size, ...) says more than the generic one: keep it
        result = render(tables, out_dir=own_dir(base / "study-page"))
        print(f"report written: {result} (the generic study page; the script's own page {kept} is kept)")
        return 0
    result = render(tables, out_dir=base)
    print(f"report written: {result}")
    return 0


_COMMANDS = {"run": _cmd_run, "worker": _cmd_worker, "status": _cmd_status, "ls": _cmd_ls, "export": _cmd_export,
             "report": _cmd_report, "compare": lambda args: _checked(cmd_compare, args)}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hpsearch`` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:  # bare `hpsearch`: the commands, not just "arguments are required"
        print(_parser().format_help(), end="", file=sys.stderr)
        return 2
    try:
        args = _parser().parse_args(argv)
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
    except BrokenPipeError:  # the reader of our output went away (`hpsearch ls | head -1`): nothing to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush must not fail again
        return 141  # what a shell reports for a process ended by SIGPIPE
    except ENVIRONMENT_ERRORS as exc:  # a full disk, a read-only folder, a database lost mid-command
        print(f"hpsearch: error: {describe(exc, getattr(args, 'storage', None))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        what = str(exc) or "stopped"
        print(f"hpsearch: interrupted: {what}; run the same command again to resume", file=sys.stderr)
        return 130
