"""Four worker processes share one 100-trial study, on the journal file and on PostgreSQL.

Four real ``python -m hpsearch worker`` processes (the real "mlp" objective at a budget of about a
millisecond) claim the study's slots concurrently. The study ends with exactly 100 finished trials, unique
trial numbers, slots 0..99 each once, and, with the grid sampler, each of the 100 grid points run exactly once
(no point twice, none skipped). The workers' own counts add up to 100.
"""

from __future__ import annotations

import re
import subprocess
import sys

import optuna
import pytest
from optuna.trial import TrialState

from hpsearch import ObjectiveSettings, ParamSpec, SearchSpace, create_study, plan
from tests.hpsearch.execution.processes import communicate_all

N_WORKERS, N_TRIALS = 4, 100
TRIVIAL = ObjectiveSettings(n_samples=100, hidden=(8,), epochs=1, batch_size=50)
# 10 x 10 grid points: exactly one study of 100 trials
GRID = SearchSpace((
    ParamSpec("weight_decay", low=1e-8, high=1e-4, log=True),
    ParamSpec("lr", low=1e-4, high=1e-1, log=True),
))


def _storage(kind, request):
    return None if kind == "journal" else request.getfixturevalue("postgres_url")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["journal", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_four_processes_run_a_100_trial_grid_exactly_once(kind, request, make_spec, tmp_path):
    spec = make_spec(f"four-{kind}", space=GRID, settings=TRIVIAL, sampler="grid", grid_points=10,
                     n_trials=N_TRIALS, storage=_storage(kind, request))
    create_study(spec)
    cmd = [sys.executable, "-m", "hpsearch", "worker", "--storage", spec.storage_url, "--study", spec.name]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(N_WORKERS)]
    outputs = communicate_all(procs)
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
    ran = [int(re.search(r"ran (\d+) trial", out).group(1)) for out, _ in outputs]
    assert sum(ran) == N_TRIALS, ran

    study = optuna.load_study(study_name=spec.name, storage=create_study(spec)._storage)
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == N_TRIALS
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert sorted(t.number for t in trials) == list(range(N_TRIALS))
    assert sorted(t.user_attrs["slot"] for t in trials) == list(range(N_TRIALS))
    workers = {t.user_attrs["worker"] for t in trials}
    assert 1 <= len(workers) <= N_WORKERS
    points = [(t.params["weight_decay"], t.params["lr"]) for t in trials]
    assert len(set(points)) == N_TRIALS  # no grid point twice
    grid = plan(GRID, "grid", seed=spec.seed, n=N_TRIALS, grid_points=10)
    assert set(points) == {(p["weight_decay"], p["lr"]) for p in grid}  # ... and none skipped
    for t in trials:  # each slot ran its own planned point
        assert t.params == grid[t.user_attrs["slot"]]
