"""The checks made before a launch writes anything (hpsearch.execution.preflight): the one reading of a number
of workers, BLAS threads, the place of a journal."""

from __future__ import annotations

import os

import pytest

from hpsearch.execution.preflight import check_blas_threads, check_places, worker_count


def test_worker_count_follows_joblib():
    cores = os.cpu_count() or 1
    assert worker_count(None) == cores and worker_count(0) == 0 and worker_count(3) == 3
    assert worker_count(-1) == cores and worker_count(-cores) == 1
    with pytest.raises(ValueError, match=f"n_jobs={-cores - 1} leaves no worker on this machine's {cores} cores"):
        worker_count(-cores - 1)
    for bad in (1.5, "2", True):
        with pytest.raises(ValueError, match="is invalid; give a number of worker processes"):
            worker_count(bad)


def test_blas_threads_are_none_or_at_least_one():
    check_blas_threads(None)
    check_blas_threads(2)
    for bad in (0, -1, 1.0, True):
        with pytest.raises(ValueError, match="blas_threads=.* is invalid"):
            check_blas_threads(bad)


def test_a_journal_place_that_cannot_hold_a_file_is_refused_before_writing(make_spec, tmp_path):
    (tmp_path / "a-folder").mkdir()
    spec = make_spec("placed", storage=str(tmp_path / "a-folder"))
    with pytest.raises(ValueError, match="is a folder; give the path of a file"):
        check_places(spec)
    check_places(make_spec("fine"))  # the default journal under out_dir: nothing to say
    assert not make_spec("fine").run_dir.exists()  # nothing was created by the check
