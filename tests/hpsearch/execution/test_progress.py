"""'Best' in the study's direction: the progress lines of a run and ``hpsearch status`` on a minimizing study,
checked against Optuna's own ``best_value``; the progress display writes plain lines (no \\r frames) when its
stream is not a terminal."""

from __future__ import annotations

import io
import re

import optuna
import pytest

from hpsearch.cli.commands import main
from hpsearch.execution.launch import run
from hpsearch.execution.progress import ProgressBar, snapshot
from hpsearch.experiments.grid import grid_space, grid_spec
from hpsearch.experiments.surface2d import SurfaceSettings


@pytest.fixture
def minimizing(tmp_path):
    """The optimizer paths on the book's bowl: value = f at the last point, minimized; 4 distinct values."""
    space = grid_space({"optimizer": ["sgd", "momentum", "adagrad", "adam"]})
    return grid_spec("bowl", "surface2d", SurfaceSettings(epochs=10), space, out_dir=str(tmp_path / "runs"))


def test_status_and_progress_report_the_minimum_of_a_minimizing_study(minimizing, capsys):
    study = run(minimizing, n_jobs=1, progress=True)
    err = capsys.readouterr().err
    values = [t.value for t in study.trials]
    assert study.direction == optuna.study.StudyDirection.MINIMIZE and len(set(values)) == 4
    oracle = f"{study.best_value:.4f}"
    assert oracle == f"{min(values):.4f}" != f"{max(values):.4f}"
    assert "\r" not in err  # captured stderr is no terminal: plain lines
    assert re.findall(r"best=(\S+),", err)[-1] == oracle
    assert err.splitlines()[-1] == f"bowl: 4/4 trials finished, best={oracle}, running=0"
    assert snapshot(study, 4).best == study.best_value
    assert main(["status", str(minimizing.run_dir)]) == 0
    out = capsys.readouterr().out
    assert f"best value {oracle} (minimize, trial {study.best_trial.number})" in out


def test_plain_lines_are_rate_limited_and_the_last_one_is_always_written(minimizing):
    run(minimizing, n_jobs=1, progress=False)
    stream = io.StringIO()
    with ProgressBar(minimizing, stream=stream, interval=0.01, line_every=3600.0):
        pass
    lines = stream.getvalue().splitlines()
    assert lines == ["bowl: 4/4 trials finished, best=" + lines[0].split("best=")[1]] * 2  # first poll + end
