"""The machine or the database fails under a study; the CLI prints one line, leaves nothing
half-written, and the same command resumes once the cause is gone.

- A PostgreSQL server (one of the test's own) stopped as a crash (``pg_ctl stop -m immediate``: every server
  process quits at once) in the middle of a study, then started again.
- A full disk: a small tmpfs (ENOSPC) when this machine lets the test mount one, otherwise ``RLIMIT_FSIZE`` on
  the command's process (EFBIG, "File too large": the kernel refuses the write exactly as a full disk would).
- A read-only study folder: every command says so in one line; those that only read work, and
  ``report --out DIR`` / ``export --out DIR`` write only into DIR. As root the commands run without the
  capability to override file permissions (``setpriv``), so the folder is read-only for them too.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from hpsearch import ObjectiveSettings, StudySpec, open_storage

TINY = ObjectiveSettings(n_samples=150, hidden=(16,), epochs=2, batch_size=40)
SLOW = ObjectiveSettings(n_samples=200, hidden=(32, 32), epochs=40, batch_size=20)
HP = [sys.executable, "-m", "hpsearch"]


def _one_line(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 1, (done.returncode, done.stderr)
    lines = [line for line in done.stderr.splitlines() if not line.startswith("WARNING ")]
    assert len(lines) == 1 and lines[0].startswith("hpsearch: error: "), done.stderr
    for word in words:
        assert word in lines[0], lines[0]


def _finished_slots(storage: str, name: str) -> list[int]:
    study = optuna.load_study(study_name=name, storage=open_storage(storage, create=False))
    return sorted(t.user_attrs["slot"] for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


# -- PostgreSQL crashes mid-study -------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.postgres
def test_a_postgresql_crash_mid_study_is_one_line_and_the_study_resumes(own_postgres, tmp_path):
    spec = StudySpec(name="pg-crash", settings=SLOW, n_trials=4, storage=own_postgres.url,
                     out_dir=str(tmp_path / "runs"))
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    cmd = [*HP, "run", "spec.json", "--n-jobs", "1", "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while True:  # one trial finished, the next one training
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            try:
                trials = optuna.load_study(study_name=spec.name, storage=open_storage(spec.storage_url,
                                                                                      create=False)).trials
            except (KeyError, ValueError):
                trials = []
            if any(t.state == TrialState.COMPLETE for t in trials) and any(
                    t.state == TrialState.RUNNING and len(t.params) == 2 for t in trials):
                break
            time.sleep(0.1)
        own_postgres.stop("immediate")
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    _one_line(subprocess.CompletedProcess(cmd, proc.returncode, out, err), "database failed",
              "run the same command")
    own_postgres.start()
    again = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "4/4 finished" in again.stdout
    assert _finished_slots(spec.storage_url, spec.name) == list(range(4))  # each slot once


# -- a full disk ------------------------------------------------------------------------------------------------
class SmallDisk:
    """A folder on which writes run out of space: a tmpfs filled up to ``free`` bytes, or RLIMIT_FSIZE."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmpfs = os.geteuid() == 0 and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(root)], capture_output=True).returncode == 0

    def limit(self, free: int, grows: Path | None = None):
        """Leave ``free`` bytes: returns the preexec_fn for the command (None on the tmpfs)."""
        if self.tmpfs:
            filler = self.root / "filler"
            with open(filler, "ab", buffering=0) as fh:
                try:
                    while True:
                        fh.write(b"\0" * 4096)
                except OSError:
                    pass
            os.truncate(filler, max(0, filler.stat().st_size - free))
            return None
        # at least 64 bytes: joblib writes a 32-byte semaphore file when imported (a tmpfs holds no such file)
        size = max(64, (grows.stat().st_size if grows is not None else 0) + free)

        def preexec() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

        return preexec

    def release(self) -> None:
        (self.root / "filler").unlink(missing_ok=True)

    def remove(self) -> None:
        if self.tmpfs:
            subprocess.run(["umount", "-l", str(self.root)], capture_output=True)


@pytest.fixture
def disk(tmp_path):
    root = tmp_path / "disk"
    root.mkdir()
    small = SmallDisk(root)
    try:
        yield small
    finally:
        small.remove()


FULL = ("disk is full",)


def test_a_new_study_on_a_full_disk_is_one_line_and_leaves_no_journal(disk):
    spec = StudySpec(name="full", settings=TINY, n_trials=3, out_dir=str(disk.root / "runs"))
    (disk.root.parent / "spec.json").write_text(json.dumps(spec.to_dict()))
    done = subprocess.run([*HP, "run", "spec.json", "--n-jobs", "1", "--no-progress"], cwd=disk.root.parent,
                          capture_output=True, text=True, timeout=300, preexec_fn=disk.limit(0))
    _one_line(done, *FULL)
    assert not (disk.root / "runs").exists()  # no empty journal, no empty study folder


@pytest.mark.slow
def test_a_disk_full_mid_study_is_one_line_and_the_study_resumes_once_freed(disk):
    spec = StudySpec(name="full", settings=TINY, n_trials=30, out_dir=str(disk.root / "runs"))
    cwd = disk.root.parent
    (cwd / "spec.json").write_text(json.dumps(spec.to_dict()))
    cmd = [*HP, "run", "spec.json", "--n-jobs", "1", "--no-progress"]
    first = subprocess.run([*cmd, "--n-jobs", "0"], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    journal = Path(spec.storage_url)
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300,
                          preexec_fn=disk.limit(16 * 1024, journal))  # room for a few trials, not thirty
    _one_line(done, *FULL)
    assert 0 < len(_finished_slots(str(journal), "full")) < 30
    disk.release()
    again = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert _finished_slots(str(journal), "full") == list(range(30))


def test_an_export_on_a_full_disk_is_one_line_and_leaves_no_half_written_table(disk):
    spec = StudySpec(name="full", settings=TINY, n_trials=2, out_dir=str(disk.root / "runs"))
    cwd = disk.root.parent
    (cwd / "spec.json").write_text(json.dumps(spec.to_dict()))
    first = subprocess.run([*HP, "run", "spec.json", "--n-jobs", "1", "--no-progress"], cwd=cwd,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    shutil.rmtree(disk.root / "runs" / "full" / "export", ignore_errors=True)
    done = subprocess.run([*HP, "export", "disk/runs/full"], cwd=cwd, capture_output=True, text=True, timeout=300,
                          preexec_fn=disk.limit(0))
    _one_line(done, *FULL)
    export = disk.root / "runs" / "full" / "export"
    assert not [p for p in export.rglob("*") if p.is_file()] if export.exists() else True  # no empty trials.csv


# -- a read-only study folder -----------------------------------------------------------------------------------
def _without_override() -> list[str]:
    """As root, run without the capabilities that ignore file permissions; otherwise as is."""
    if os.geteuid() != 0:
        return []
    caps = "-dac_override,-dac_read_search,-fowner"
    return [shutil.which("setpriv") or "/usr/bin/setpriv", "--bounding-set", caps, "--inh-caps", caps, "--"]


@pytest.fixture(scope="module")
def read_only(tmp_path_factory):
    """runs/ro: a study of 3 slots, 2 finished and one waiting, whose folders and files are all read-only."""
    tmp_path = tmp_path_factory.mktemp("read-only")
    spec = StudySpec(name="ro", settings=TINY, n_trials=2, out_dir="runs")
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    run = [*HP, "run", "spec.json", "--no-progress"]
    for extra in (["--n-jobs", "1"], ["--n-jobs", "0", "--n-trials", "3"]):
        done = subprocess.run([*run, *extra], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    (tmp_path / "new.json").write_text(json.dumps(spec.replace(name="new").to_dict()))
    (tmp_path / "elsewhere").mkdir()
    for path in [tmp_path / "runs", *(tmp_path / "runs").rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield tmp_path
    finally:
        for path in [tmp_path / "runs", *(tmp_path / "runs").rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)


READ_ONLY = [
    # run checks its journal's folder before it writes anything: a place that cannot hold files is bad input (2)
    ("run (resume)", ["run", "spec.json", "--n-jobs", "1", "--no-progress", "--n-trials", "3"], 2),
    ("run (new study)", ["run", "new.json", "--n-jobs", "1", "--no-progress"], 2),
    ("worker", ["worker", "--storage", "runs/ro/journal.log", "--study", "ro"], 1),
    ("status", ["status", "runs/ro"], 0),
    ("ls", ["ls", "runs"], 0),
    ("export", ["export", "runs/ro"], 1),
    ("export --out", ["export", "runs/ro", "--out", "elsewhere/export"], 0),
    ("report", ["report", "runs/ro"], 1),
    ("report --out", ["report", "runs/ro", "--out", "elsewhere/report"], 0),
]


@pytest.mark.parametrize(("what", "argv", "code"), READ_ONLY, ids=[r[0] for r in READ_ONLY])
def test_every_command_on_a_read_only_study_is_one_line_or_works(read_only, what, argv, code):
    before = {str(p): p.read_bytes() if p.is_file() else None for p in (read_only / "runs").rglob("*")}
    done = subprocess.run([*_without_override(), *HP, *argv], cwd=read_only, capture_output=True, text=True,
                          timeout=300)
    if code == 2:
        assert done.returncode == 2, (done.returncode, done.stderr)
        lines = [line for line in done.stderr.splitlines() if not line.startswith("WARNING ")]
        assert len(lines) == 1 and "cannot hold files (Permission denied)" in lines[0], done.stderr
    elif code:
        _one_line(done, "read-only")
    else:
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    assert {str(p): p.read_bytes() if p.is_file() else None for p in (read_only / "runs").rglob("*")} == before
    if what == "report --out":
        assert (read_only / "elsewhere" / "report" / "index.html").is_file()
