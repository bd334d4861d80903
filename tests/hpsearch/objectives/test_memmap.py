"""One copy of the data per machine: workers map the same read-only file; nothing copies it per worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from hpsearch.objectives.data import _DATA_CACHE, load_data
from hpsearch.objectives.memmap import shared_arrays
from hpsearch.objectives.mlp import ObjectiveSettings

SETTINGS = ObjectiveSettings(n_samples=600, n_val=100, split_seed=3, hidden=(8,), epochs=1)


_DESCRIBE = """
import hashlib, json
import numpy as np
from hpsearch.objectives.mlp import ObjectiveSettings
from hpsearch.objectives.data import load_data
from netcore.builders import build_mlp
from netcore.optim import make_optimizer
from netcore.trainer import _Run
settings = ObjectiveSettings(n_samples=600, n_val=100, split_seed=3, hidden=(8,), epochs=1)
data = load_data(settings)
net = build_mlp(784, (8,), 10, rng=np.random.default_rng(0))
run = _Run(net, make_optimizer("sgd"), data, settings.train_config(), ())
print(json.dumps({
    "files": [str(a.filename) for a in (data.x_train, data.x_val) if isinstance(a, np.memmap)],
    "sha": hashlib.sha256(np.ascontiguousarray(data.x_train).tobytes() + data.t_val.tobytes()).hexdigest(),
    "writeable": [a.flags.writeable for a in (data.x_train, data.t_train, data.x_val, data.t_val)],
    "shares": bool(np.shares_memory(run.x_train, data.x_train) and np.shares_memory(run.x_val, data.x_val)),
}))
"""


def test_two_worker_processes_map_the_same_bytes_and_never_copy_them(tmp_path):
    env = {**os.environ, "HPSEARCH_CACHE": str(tmp_path)}
    procs = [subprocess.Popen([sys.executable, "-c", _DESCRIBE], env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]  # two fresh interpreters at once, as two workers
    a, b = (json.loads(p.communicate(timeout=300)[0]) for p in procs)
    assert a["sha"] == b["sha"] and a["files"] == b["files"] and len(a["files"]) == 2
    assert all(f.startswith(str(tmp_path)) for f in a["files"])
    assert a["writeable"] == [False] * 4 and a["shares"] and b["shares"]
    assert len([p for p in tmp_path.iterdir() if not p.name.startswith(".")]) == 1  # one copy, not two


def test_the_shared_split_is_the_book_split_it_replaces(tmp_path, monkeypatch):
    from netcore.data import book_split, load_dataset

    monkeypatch.setenv("HPSEARCH_CACHE", str(tmp_path))
    _DATA_CACHE.clear()
    data = load_data(SETTINGS)
    ds = load_dataset("mnist-5k")
    x_tr, t_tr, x_va, t_va = book_split(ds.x_train, ds.t_train, n=600, n_val=100, rng=np.random.default_rng(3))
    assert np.array_equal(data.x_train, x_tr) and np.array_equal(data.t_train, t_tr)
    assert np.array_equal(data.x_val, x_va) and np.array_equal(data.t_val, t_va)


def test_a_damaged_copy_is_rebuilt_and_an_unwritable_cache_falls_back_to_memory(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("HPSEARCH_CACHE", str(tmp_path / "cache"))
    calls = []

    def build():
        calls.append(1)
        return {"a": np.arange(1000, dtype=np.float32)}

    first = shared_arrays({"k": 1}, [], build)
    assert isinstance(first["a"], np.memmap) and len(calls) == 1
    again = shared_arrays({"k": 1}, [], build)
    assert len(calls) == 1 and np.array_equal(again["a"], np.arange(1000))
    (npy,) = (tmp_path / "cache").glob("*/a.npy")
    del first, again
    with open(npy, "r+b") as fh:
        fh.truncate(200)  # cut inside the data
    rebuilt = shared_arrays({"k": 1}, [], build)
    assert len(calls) == 2 and np.array_equal(rebuilt["a"], np.arange(1000))
    (tmp_path / "ro").write_text("a file where a folder should be")
    monkeypatch.setenv("HPSEARCH_CACHE", str(tmp_path / "ro" / "cache"))
    with caplog.at_level("WARNING"):
        kept = shared_arrays({"k": 2}, [], build)
    assert np.array_equal(kept["a"], np.arange(1000)) and not isinstance(kept["a"], np.memmap)
    assert "keeps its own copy" in caplog.text


def test_a_changed_source_file_makes_a_new_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("HPSEARCH_CACHE", str(tmp_path / "cache"))
    src = tmp_path / "source.bin"
    src.write_bytes(b"one")
    shared_arrays({"k": 1}, [src], lambda: {"a": np.zeros(3)})
    src.write_bytes(b"two!")
    out = shared_arrays({"k": 1}, [src], lambda: {"a": np.ones(3)})
    assert np.array_equal(out["a"], np.ones(3))


@pytest.fixture(autouse=True)
def _fresh_process_cache():
    _DATA_CACHE.clear()
    yield
    _DATA_CACHE.clear()
