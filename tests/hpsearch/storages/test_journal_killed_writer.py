"""A writer killed in the middle of an append to the journal, then the study resumed.

A real process opens the study's journal as hpsearch does, takes the journal's write lock exactly as an append
does, writes half a record and is killed with SIGKILL there. Before the fix the lock (Optuna's symlink to the
journal's RELATIVE path, the default) dangled and every later run waited on it for ever; now the lock dies with
its holder, the next writer drops the cut record, and `hpsearch run` resumes the study to exactly n_trials
finished trials, with the journal path given relative (the default) and absolute.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import optuna
import pytest
from optuna.storages.journal import JournalFileBackend, JournalStorage
from optuna.trial import TrialState

from hpsearch import ObjectiveSettings, StudySpec

TINY = ObjectiveSettings(n_samples=150, hidden=(16,), epochs=2, batch_size=40)

# open the journal as hpsearch does, take the lock its appends take, write half a record, wait to be killed
_WRITER = """
import sys, time
from hpsearch.storages.opener import open_storage
path = sys.argv[1]
lock = open_storage(path)._backend._lock
lock.acquire()
with open(path, "ab") as fh:
    fh.write(b'{"op_code":8,"worker_id":"w","trial_id":0,"user_at')
    fh.flush()
print("mid-append", flush=True)
time.sleep(600)
"""


@pytest.mark.slow
@pytest.mark.parametrize("where", ["relative", "absolute"])
def test_a_writer_killed_mid_append_does_not_block_the_next_run(where, tmp_path):
    out = "runs" if where == "relative" else str(tmp_path / "runs")
    spec = StudySpec(name="w", settings=TINY, n_trials=2, out_dir=out)
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    cmd = [sys.executable, "-m", "hpsearch", "run", "spec.json", "--n-jobs", "1", "--no-progress"]
    first = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    journal = tmp_path / "runs" / "w" / "journal.log"
    intact = journal.read_bytes()

    writer = subprocess.Popen([sys.executable, "-c", _WRITER, spec.storage_url], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "mid-append\n", writer.communicate()
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.kill()
        writer.communicate(timeout=60)
    assert journal.read_bytes().startswith(intact) and not journal.read_bytes().endswith(b"\n")

    try:  # resume with one more trial: it must append after the killed writer
        again = subprocess.run([*cmd, "--n-trials", "3"], cwd=tmp_path, capture_output=True, text=True,
                               timeout=100)
    except subprocess.TimeoutExpired:
        pytest.fail("the run after the killed writer waited for its lock for ever")
    assert again.returncode == 0, again.stderr
    assert "3/3 finished" in again.stdout
    assert "cut mid-write" in again.stderr and "taking longer" not in again.stderr
    study = optuna.load_study(study_name="w", storage=JournalStorage(JournalFileBackend(str(journal))))
    done = study.get_trials(states=(TrialState.COMPLETE,))
    assert sorted(t.user_attrs["slot"] for t in done) == [0, 1, 2]
    assert journal.read_bytes().startswith(intact)  # every record before the cut one is kept
