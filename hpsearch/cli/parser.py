"""The ``hpsearch`` command line's parser: every command, option and help text (:mod:`hpsearch.cli.commands` runs them).

A usage error raises :class:`hpsearch.errors.UsageError` (one line, exit code 2) instead of argparse's exit.
"""

from __future__ import annotations

import argparse
from importlib import metadata

from hpsearch.errors import OneLineParser, UsageError, explain
from hpsearch.samplers.registry import PRUNERS, SAMPLERS

__all__ = ["build_parser"]


class _Parser(OneLineParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(explain(self, message))


def _target_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", nargs="?", help="a study folder runs/<study> holding journal.log")
    p.add_argument("--study", help="study name")
    p.add_argument("--storage", help="journal file path or database URL (default: <runs>/<study>/journal.log)")
    p.add_argument("--runs", default="runs", help="folder of the studies' default journals (default: runs)")


_EPILOG = """examples:
  hpsearch run --n-trials 20 --epochs 10          the book's section 6.5 search, small, on every core
  hpsearch run spec.json --n-jobs -1               a study from a StudySpec JSON file, on every core
  hpsearch ls                                      the studies under runs/ with their best values
  hpsearch status runs/book                        trial counts and the best trial of one study
  hpsearch report runs/book                        export + one self-contained HTML page
  hpsearch compare runs/tpe runs/random            two or more studies side by side on one page
  hpsearch worker --storage postgresql://... --study book    join a study from another machine

Run `hpsearch COMMAND --help` for the options of a command."""

_RUN_HELP = """Create the study of SPEC (or resume it: finished trials are kept) and run its trials in local worker
processes, one BLAS thread each. Without SPEC: the book's section 6.5 search (lr and weight decay, random
sampler, 100 trials). The options override the spec's fields. The journal and, later, the report go to
<out>/<name>/; Ctrl-C stops at the end of the running epochs and the same command resumes."""


def _version() -> str:
    try:
        return metadata.version("hpsearch")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hpsearch", description="Hyperparameter searches over netcore networks (Optuna studies "
                     "on a journal file or PostgreSQL, run by parallel worker processes).", epilog=_EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"hpsearch {_version()}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    run = sub.add_parser("run", help="create or resume a study and run it with local worker processes",
                         description=_RUN_HELP)
    run.add_argument("spec", nargs="?", help="a StudySpec as JSON (default: the book's section 6.5 study)")
    run.add_argument("--name", help="study name (default: the spec's, or 'book')")
    run.add_argument("--n-trials", type=int, help="trials of the study (re-running with more adds slots)")
    run.add_argument("--sampler", choices=sorted(SAMPLERS), help="how parameters are drawn (default: random)")
    run.add_argument("--pruner", choices=sorted(PRUNERS), help="stop poor trials early (default: none)")
    run.add_argument("--seed", type=int, help="study seed: trial k's parameters and training seed derive from it")
    run.add_argument("--epochs", type=int, help="evaluations per trial (the book: 50)")
    run.add_argument("--storage", help="journal file path or database URL (default: <out>/<name>/journal.log)")
    run.add_argument("--out", help="output folder (default: runs)")
    run.add_argument("--n-jobs", type=int, help="worker processes (default and -1: every core; -2: all but one; "
                                                "0: only create the study)")
    run.add_argument("--blas-threads", type=int, default=1, help="BLAS threads per worker (default 1)")
    run.add_argument("--no-progress", action="store_true", help="no progress display")
    run.add_argument("--time-budget", type=float, metavar="SECONDS",
                     help="stop starting trials after SECONDS; running ones stop at their next evaluation")
    worker = sub.add_parser("worker", help="join an existing study from this machine",
                            description="Run trials of an existing study (created by `hpsearch run`) until it "
                                        "has all its trials; start one per core, on any machine that reaches "
                                        "the storage.")
    worker.add_argument("--storage", required=True, help="the study's storage (e.g. postgresql://...)")
    worker.add_argument("--study", required=True, help="the study's name")
    worker.add_argument("--index", type=int, help="worker index for the sampler seed (default: from host:pid)")
    worker.add_argument("--blas-threads", type=int, default=1, help="BLAS threads (default 1)")
    worker.add_argument("--time-budget", type=float, metavar="SECONDS", help="work for at most SECONDS")
    ls = sub.add_parser("ls", help="list the studies of a runs folder or a storage with their best values",
                        description="One line per study: finished trials of its slots, the trials per state, "
                                    "its direction and its best value (Optuna's, in that direction).")
    ls.add_argument("runs_dir", nargs="?", help="a folder of study folders <runs>/<study>/journal.log "
                                                "(default: runs)")
    ls.add_argument("--storage", help="a journal file or database URL: list every study it holds")
    ls.add_argument("--all", action="store_true",
                    help="also list the helper studies of an experiment (e.g. its tuning studies)")
    for name, text in (("status", "trial counts and the best trial of a study"),
                       ("export", "write a study's tables (trials, curves, meta.json)"),
                       ("report", "export a study and render its HTML page")):
        p = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        _target_args(p)
        if name != "status":
            where = "<runs>/<study>/export" if name == "export" else "<runs>/<study>; its tables go to DIR/export"
            p.add_argument("--out", help=f"output folder (default: {where})")
    _compare_parser(sub)
    return parser


def _compare_parser(sub: argparse._SubParsersAction) -> None:
    """The ``compare`` subcommand's parser (:mod:`hpsearch.cli.compare` runs it)."""
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
