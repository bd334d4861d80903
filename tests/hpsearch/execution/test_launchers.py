"""Several launchers started at the same moment on one NEW study, on the journal file, on PostgreSQL and on
MySQL (MariaDB, on a new database: the launchers create Optuna's tables together too).

Each launcher is a real process running ``hpsearch run spec.json``; all of them import everything first, then
wait for one "go" file, so their study creations overlap (before the fix two launchers printed 33/20 finished,
three create-only launchers left 337-498 trials of 200; on MySQL, before it had a study lock, four create-only
launchers left 84 trials of 60 and two launchers kept one run record of two, and before its tables were
created under a lock, launchers failed with "Table 'studies' already exists"). Counted through
Optuna's own API afterwards: exactly n_trials trials, slots 0..n-1 each once, and every slot finished once
(after create-only launchers, by one worker started afterwards: they leave the study and its plan, no trial).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from hpsearch import ObjectiveSettings, StudySpec, open_storage
from tests.hpsearch.execution.processes import communicate_all

TRIVIAL = ObjectiveSettings(n_samples=100, hidden=(8,), epochs=1, batch_size=50)
CASES = [(4, 0, 60), (2, 1, 12), (3, 1, 12)]  # (launchers, worker processes each, n_trials)

_LAUNCHER = """
import os, sys, time
from hpsearch.cli.commands import main
import hpsearch.execution.launch  # everything imported before the start signal
go = sys.argv[1]
open(f"{go}.ready.{os.getpid()}", "w").close()
while not os.path.exists(go):
    time.sleep(0.002)
sys.exit(main(sys.argv[2:]))
"""


def _launch_together(n: int, args: list[str], cwd: Path) -> list[subprocess.CompletedProcess]:
    go = cwd / "go"
    procs = [subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(go), *args], cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(n)]

    def start_together() -> None:
        deadline = time.monotonic() + 300
        while len(list(cwd.glob("go.ready.*"))) < n:
            assert time.monotonic() < deadline, "the launchers never got ready"
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs if p.poll() is not None]
            time.sleep(0.05)
        go.touch()

    outputs = communicate_all(procs, before=start_together)
    return [subprocess.CompletedProcess(p.args, p.returncode, out, err)
            for p, (out, err) in zip(procs, outputs, strict=True)]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "launchers", "n_jobs", "n_trials"), [
    *[("journal", *case) for case in CASES],
    *[pytest.param("postgresql", *case, marks=pytest.mark.postgres) for case in CASES],
    *[pytest.param("mysql", *case, marks=pytest.mark.mysql) for case in CASES[:2]],  # (3 launchers: 5 s more)
])
def test_launchers_started_together_create_each_slot_once(kind, launchers, n_jobs, n_trials, storage_of, tmp_path):
    storage = storage_of(kind)  # on MySQL a new database: the launchers also create Optuna's tables together
    name = f"together-{kind}-{launchers}x{n_jobs}"
    spec = StudySpec(name=name, settings=TRIVIAL, n_trials=n_trials, out_dir=str(tmp_path / "runs"),
                     storage=storage)
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    args = ["run", "spec.json", "--n-jobs", str(n_jobs), "--no-progress"]
    for done in _launch_together(launchers, args, tmp_path):
        assert done.returncode == 0, done.stderr
        assert f"{n_trials}/{n_trials} finished" in done.stdout or n_jobs == 0, done.stdout

    study = optuna.load_study(study_name=name, storage=open_storage(spec.storage_url, create=False))
    assert optuna.get_all_study_names(study._storage).count(name) == 1
    if n_jobs == 0:  # create-only launchers: the study and its plan, no trial (slots are created when claimed)
        assert study.get_trials(deepcopy=False) == [] and study.user_attrs["spec"]["n_trials"] == n_trials
        worker = subprocess.run([sys.executable, "-m", "hpsearch", "worker", "--storage", spec.storage_url,
                                 "--study", name], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert worker.returncode == 0, worker.stderr
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == n_trials, f"{len(trials)} trials for {n_trials} slots"
    assert sorted(t.user_attrs["slot"] for t in trials) == list(range(n_trials))  # each slot once
    assert sorted(t.number for t in trials) == list(range(n_trials))
    assert {t.state for t in trials} == {TrialState.COMPLETE}
    if n_jobs:  # every launcher's run is recorded (appended under the study lock: none overwrites another)
        assert len(study.user_attrs["runs"]) == launchers
