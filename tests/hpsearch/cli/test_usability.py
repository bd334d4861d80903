"""What a new user meets first: bare `hpsearch`, --version, the help of every command, where `run` put the
results and what to run next, its progress as plain lines in a log, `hpsearch ls`, and joblib's `--n-jobs -1`."""

from __future__ import annotations

import argparse
import os
from importlib import metadata

import optuna

from hpsearch.cli.commands import _parser, main
from hpsearch.execution.launch import run
from hpsearch.experiments.grid import grid_space, grid_spec
from hpsearch.experiments.surface2d import SurfaceSettings
from hpsearch.storages.opener import open_storage

COMMANDS = ("run", "worker", "ls", "status", "export", "report", "compare")


def test_bare_hpsearch_prints_the_usage_with_every_command(capsys):
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("usage: hpsearch")
    for command in COMMANDS:
        assert f"\n    {command} " in err, command
    assert "hpsearch COMMAND --help" in err


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"hpsearch {metadata.version('hpsearch')}\n"


def test_every_command_and_option_has_help_text():
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(COMMANDS) <= set(sub.choices)
    for name, parser in sub.choices.items():
        assert parser.description, name
        for action in parser._actions:
            assert action.help, f"{name} {action.option_strings or action.dest}"


def _best(storage: str, name: str) -> str:
    return f"{optuna.load_study(study_name=name, storage=open_storage(storage, create=False)).best_value:.4f}"


def test_run_on_every_core_says_where_and_what_next_and_ls_lists_the_studies(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["run", "--name", "cli", "--n-trials", "2", "--epochs", "2", "--n-jobs", "-1"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    progress = [line for line in err.splitlines() if line.startswith("cli: ")]  # log lines of earlier -v tests
    assert "\r" not in err and progress[-1].startswith("cli: 2/2 trials finished, best=")  # no tty: lines
    journal = os.path.join("runs", "cli", "journal.log")
    assert f"results: {journal}" in out and f"next: hpsearch report {os.path.join('runs', 'cli')}" in out
    study = optuna.load_study(study_name="cli", storage=open_storage(journal, create=False))
    assert study.user_attrs["runs"][-1]["n_workers"] == os.cpu_count()
    bowl = grid_spec("bowl", "surface2d", SurfaceSettings(epochs=5), grid_space({"optimizer": ["sgd", "adam"]}),
                     out_dir="runs")
    run(bowl, n_jobs=1, progress=False)
    assert main(["ls"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("bowl ") and lines[1].startswith("cli ")
    assert "2/2 finished  minimize  best " + _best(bowl.storage_url, "bowl") in lines[0]
    assert "2/2 finished  maximize  best " + _best(journal, "cli") in lines[1]
    assert main(["ls", "--storage", journal]) == 0
    assert [line.split() for line in capsys.readouterr().out.splitlines()] == [lines[1].split()]
    assert main(["ls", "elsewhere"]) == 2
    assert capsys.readouterr().err == "hpsearch: error: no folder elsewhere; give a runs folder or --storage URL\n"


def test_a_reader_that_goes_away_ends_the_command_quietly(make_spec, tmp_path):
    """`hpsearch run spec.json | head -1`: no "error: ... Broken pipe" line, the shell's SIGPIPE status."""
    import json
    import subprocess
    import sys

    spec = make_spec("pipe", n_trials=200)
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    proc = subprocess.Popen([sys.executable, "-m", "hpsearch", "run", "spec.json", "--n-jobs", "1", "--no-progress",
                             "--time-budget", "3"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()
    proc.stdout.close()  # as `head -1` does after its line
    with proc.stderr:
        err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert first.startswith(b"this run takes ") and "error" not in err and "Broken pipe" not in err, err
