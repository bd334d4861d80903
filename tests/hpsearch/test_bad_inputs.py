"""Bad inputs to the API and to the CLI, table-driven.

Each bad input gives ONE clear line (a ValueError from the API; exit code 2, nothing on stdout and one line on
stderr from the CLI), and nothing is written or changed: every file under the test's folder (which holds an
existing study, spec files, data folders and the default ``runs``) is byte for byte the same afterwards.
An unreachable database fails within a bounded time (PostgreSQL ``connect_timeout``), without its password.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from hpsearch import ObjectiveSettings, ParamSpec, SearchSpace, StudySpec, book_space, create_study, run
from hpsearch.cli.commands import main

SECRET = "pa55-w0rd-SECRET"
TINY = ObjectiveSettings(n_samples=150, hidden=(16,), epochs=2, batch_size=40)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in root.rglob("*")}


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A folder with an existing study 'taken', spec files, and data folders; cwd and HOME point into it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.cache/hpsearch/mnist to fall back on
    monkeypatch.setenv("HPSEARCH_DATA", str(tmp_path / "no-data"))
    (tmp_path / "home").mkdir()
    corrupt = tmp_path / "corrupt-data" / "mnist"
    corrupt.mkdir(parents=True)
    for stem in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (corrupt / stem).write_bytes(b"this is not an IDX file")
    base = StudySpec(name="taken", settings=TINY, n_trials=2)
    create_study(base)  # runs/taken/journal.log
    specs = {
        "ok": base.to_dict(),
        "log-zero": {**base.to_dict(), "space": [{"name": "lr", "low": 0.0, "high": 0.1, "log": True}]},
        "low-high": {**base.to_dict(), "space": [{"name": "lr", "low": 0.1, "high": 0.01}]},
        "optimizer": {**base.to_dict(), "space": [{"name": "lr", "fixed": 0.01},
                                                  {"name": "optimizer", "type": "categorical",
                                                   "choices": ["sgd", "adamw"]}]},
        "dataset": {**base.to_dict(), "name": "d", "settings": {**TINY.to_dict(), "dataset": "cifar-10"}},
        "mnist": {**base.to_dict(), "name": "m", "settings": {**TINY.to_dict(), "dataset": "mnist"}},
        "other-space": {**base.to_dict(), "space": SearchSpace((ParamSpec("lr", low=1e-3, high=1.0, log=True),))
                        .to_dict()},
    }
    for name, data in specs.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
    (tmp_path / "garbled.json").write_text('{"name": "g", "n_trials": ')
    (tmp_path / "notes.txt").write_bytes(b"not a journal")
    bad_journal = tmp_path / "bad" / "journal.log"
    bad_journal.parent.mkdir()
    bad_journal.write_bytes(b'{"op_code": 0, "worker_id": "x", "study_name": "bad"}\n{"op_code": 5, oops}\n{}\n')
    return tmp_path, base


def _spec(base: StudySpec, **changes):
    return lambda: base.replace(**changes)


def _mnist(base: StudySpec):
    return lambda: run(base.replace(name="m", settings=replace(TINY, dataset="mnist")), n_jobs=1, progress=False)


API_CASES = {
    "log bound <= 0": lambda base: lambda: ParamSpec("lr", low=0.0, high=1e-2, log=True),
    "negative log bound": lambda base: lambda: ParamSpec("lr", low=-1e-3, high=1e-2, log=True),
    "low >= high": lambda base: lambda: ParamSpec("lr", low=0.1, high=0.1),
    "unknown optimizer": lambda base: lambda: SearchSpace(
        (ParamSpec("lr", fixed=0.1), ParamSpec("optimizer", kind="categorical", choices=("sgd", "lion")))),
    "unknown sampler": lambda base: _spec(base, name="n", sampler="bayes"),
    "unknown pruner": lambda base: _spec(base, name="n", pruner="early"),
    "unknown dataset": lambda base: _spec(base, name="n", settings=replace(TINY, dataset="cifar-10")),
    "unknown objective": lambda base: _spec(base, name="n", objective="resnet"),
    "n_trials = 0": lambda base: _spec(base, name="n", n_trials=0),
    "n_trials < 0": lambda base: _spec(base, name="n", n_trials=-3),
    "n_jobs below minus the cores": lambda base: lambda: run(base.replace(name="n"), n_jobs=-(os.cpu_count() or 1) - 1,
                                                            progress=False),
    "n_jobs not an int": lambda base: lambda: run(base.replace(name="n"), n_jobs=1.5, progress=False),
    "blas_threads = 0": lambda base: lambda: run(base.replace(name="n"), n_jobs=1, blas_threads=0, progress=False),
    "missing data files": _mnist,
    "corrupt data files": _mnist,  # with HPSEARCH_DATA pointing at garbage IDX files (DATA_DIRS)
    "refused database": lambda base: lambda: run(
        base.replace(storage=f"postgresql+psycopg2://u:{SECRET}@127.0.0.1:{_closed_port()}/db"), progress=False),
    "unknown storage scheme": lambda base: _spec(base, name="n", storage="redis://localhost/0"),
    "not a journal": lambda base: lambda: run(base.replace(storage="notes.txt"), n_jobs=1, progress=False),
    "corrupt journal": lambda base: lambda: run(base.replace(name="bad", storage="bad/journal.log"), progress=False),
    "reused name, incompatible space": lambda base: lambda: run(
        base.replace(space=book_space().fix(weight_decay=0.0)), n_jobs=1, progress=False),
    "reused name, other seed": lambda base: lambda: create_study(base.replace(seed=7)),
    "name with a separator": lambda base: _spec(base, name="a/b"),
    "name leaving the folder": lambda base: _spec(base, name="../escape"),
    "absolute name": lambda base: _spec(base, name="/tmp/x"),
    "name with markup": lambda base: _spec(base, name="<script>alert(1)</script>"),
    "grid smaller than n_trials": lambda base: _spec(base, name="n", sampler="grid", grid_points=2, n_trials=5),
    "grace <= heartbeat": lambda base: _spec(base, name="n", heartbeat_interval=30, grace_period=30),
    "epochs = 0": lambda base: lambda: replace(TINY, epochs=0),
    "unknown spec field": lambda base: lambda: StudySpec.from_dict({**base.to_dict(), "n_trails": 5}),
}
DATA_DIRS = {"corrupt data files": "corrupt-data"}


@pytest.mark.parametrize("case", list(API_CASES))
def test_bad_api_input_is_one_line_and_changes_nothing(case, env, monkeypatch):
    root, base = env
    if case in DATA_DIRS:
        monkeypatch.setenv("HPSEARCH_DATA", str(root / DATA_DIRS[case]))
    action = API_CASES[case](base)
    before = _tree(root)
    with pytest.raises(ValueError) as info:
        action()
    message = str(info.value)
    assert message and "\n" not in message, message
    assert SECRET not in message
    assert _tree(root) == before


def _pg(port: int) -> str:
    return f"postgresql+psycopg2://u:{SECRET}@127.0.0.1:{port}/db"


CLI_CASES = {
    "log bound <= 0": ["run", "log-zero.json"],
    "low >= high": ["run", "low-high.json"],
    "unknown optimizer": ["run", "optimizer.json"],
    "unknown dataset": ["run", "dataset.json"],
    "unknown sampler": ["run", "--sampler", "bayes"],
    "unknown pruner": ["run", "--pruner", "early"],
    "n_trials = 0": ["run", "--n-trials", "0"],
    "n_trials < 0": ["run", "ok.json", "--n-trials", "-4"],
    "n_jobs leaving no core": ["run", "--n-jobs", str(-(os.cpu_count() or 1) - 1)],  # -1 is every core
    "blas threads < 0": ["run", "--blas-threads", "-2"],
    "epochs = 0": ["run", "--epochs", "0"],
    "missing data files": ["run", "mnist.json", "--n-jobs", "1"],
    "corrupt data files": ["run", "mnist.json", "--n-jobs", "1", "@corrupt-data"],
    "missing spec file": ["run", "nowhere.json"],
    "corrupt spec file": ["run", "garbled.json"],
    "refused database (run)": ["run", "--storage", "@pg"],
    "refused database (worker)": ["worker", "--storage", "@pg", "--study", "taken"],
    "refused database (status)": ["status", "--storage", "@pg", "--study", "taken"],
    "unknown storage scheme": ["run", "--storage", "redis://localhost/0"],
    "not a journal": ["status", "--storage", "notes.txt", "--study", "taken"],
    "corrupt journal": ["export", "bad"],
    "reused name, incompatible space": ["run", "other-space.json", "--n-jobs", "1"],
    "reused name, other seed": ["run", "ok.json", "--seed", "3"],
    "name with a separator": ["run", "--name", "a/b"],
    "name leaving the folder": ["run", "--name", ".."],
    "name with markup": ["run", "--name", "<b>x</b>"],
    "study leaving the runs folder": ["status", "--study", "../taken"],
    "worker study with a separator": ["worker", "--storage", "runs/taken/journal.log", "--study", "a/b"],
    "export study with markup": ["export", "--study", "<script>"],
    "report of a missing study": ["report", "--study", "nothing"],
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_bad_cli_input_is_one_line_exit_2_and_changes_nothing(case, env, capsys, monkeypatch):
    root, _ = env
    argv = list(CLI_CASES[case])
    if "@corrupt-data" in argv:
        argv.remove("@corrupt-data")
        monkeypatch.setenv("HPSEARCH_DATA", str(root / "corrupt-data"))
    argv = [_pg(_closed_port()) if a == "@pg" else a for a in argv]
    before = _tree(root)
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("hpsearch: error: "), err
    assert SECRET not in err
    assert _tree(root) == before


def test_there_are_at_least_twenty_cases_each():
    assert len(API_CASES) >= 20 and len(CLI_CASES) >= 20


@pytest.mark.slow
def test_a_database_that_never_answers_fails_within_a_bounded_time(tmp_path):
    """A server that accepts the TCP connection but never speaks: libpq would wait forever without
    connect_timeout; the CLI must give up on its own (the subprocess timeout is only a safety net)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = _pg(silent.getsockname()[1])
        cmd = [sys.executable, "-m", "hpsearch", "status", "--study", "taken", "--storage", url]
        proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "cannot be opened" in proc.stderr and "timeout" in proc.stderr
    assert SECRET not in proc.stderr and "u:***@127.0.0.1" in proc.stderr
    assert list(tmp_path.iterdir()) == []
