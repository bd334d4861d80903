"""Hostile and wrongly typed input through the real CLI, table-driven.

Every case must end with exit code 2, nothing on stdout, exactly ONE line on stderr (no traceback), and
nothing written: the test's folder (an existing study, spec files, data folders) is byte for byte the same,
so no journal was created and no failed trial recorded. The cases: wrongly typed spec fields, values netcore
would only reject at training time (now rejected when the spec is built, as fixed values, choices and
bounds), absurd sizes (a 300-character name, n_trials = 10**30, seed = 2**70), output folders and storages
that cannot hold files (a file, a folder, /dev/null, /proc), a spec nested 100,000 deep, and IDX label files
with labels outside 0..9.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hpsearch import StudySpec, create_study
from hpsearch.cli.commands import main
from hpsearch.spec import MAX_SEED, MAX_TRIALS
from hpsearch.storages.opener import MAX_NAME

SETTINGS = {"n_samples": 150, "hidden": [8], "epochs": 1, "batch_size": 50}
BASE = {"name": "bad", "n_trials": 2, "settings": SETTINGS}
LR = {"name": "lr", "fixed": 0.01}
CNN_SETTINGS = {"n_samples": 150, "epochs": 1, "batch_size": 50}


def spec(**changes) -> dict:
    return {**BASE, **changes}


def settings(**changes) -> dict:
    return spec(settings={**SETTINGS, **changes})


def space(*params: dict) -> dict:
    return spec(space=list(params))


def adam(**knob) -> dict:
    return space(LR, {"name": "optimizer", "type": "categorical", "fixed": "adam"}, knob)


def cnn(*params: dict) -> dict:
    """A conv-net spec: the ``cnn`` objective, its settings, a learning rate and ``params``."""
    return spec(objective="cnn", settings=CNN_SETTINGS, space=[LR, *params])


def momentum(**knob) -> dict:
    return space(LR, {"name": "optimizer", "type": "categorical", "fixed": "momentum"}, knob)


# name -> the spec file's content (a dict written as JSON, or raw bytes), or None for no spec file
SPECS: dict[str, dict | bytes | None] = {
    # wrongly typed fields
    "space: 5": spec(space=5),
    "space: an object": spec(space={"name": "lr", "low": 0.1, "high": 1.0}),
    "space: a number in the list": space(5),
    "a parameter without a name": space({"low": 1e-4, "high": 0.1, "log": True}),
    "a parameter with an unknown key": space({"name": "lr", "lo": 1e-4, "high": 0.1}),
    "choices: 5": space(LR, {"name": "optimizer", "type": "categorical", "choices": 5}),
    "when: 5": space(LR, {"name": "optimizer", "type": "categorical", "choices": ["momentum"]},
                     {"name": "momentum", "low": 0.5, "high": 0.9, "when": 5}),
    'log: "yes"': space({"name": "lr", "low": 1e-4, "high": 0.1, "log": "yes"}),
    "low: a string": space({"name": "lr", "low": "small", "high": 0.1}),
    "hidden: 5": settings(hidden=5),
    "hidden: [1.5]": settings(hidden=[1.5]),
    'hidden: "abc"': settings(hidden="abc"),
    'val_fraction: "0.2"': settings(val_fraction="0.2"),
    'n_samples: "150"': settings(n_samples="150"),
    "epochs: 1.5": settings(epochs=1.5),
    "dtype: a list": settings(dtype=["float32"]),
    "activation: a list": settings(activation=["relu"]),
    "objective: a list": spec(objective=["mlp"]),
    "pruner: a list": spec(pruner=["median"]),
    "sampler: a list": spec(sampler=["random"]),
    "name: 5": spec(name=5),
    'n_trials: "10"': spec(n_trials="10"),
    "n_trials: 2.5": spec(n_trials=2.5),
    "n_trials: true": spec(n_trials=True),
    'seed: "0"': spec(seed="0"),
    "storage: 5": spec(storage=5),
    "out_dir: a list": spec(out_dir=["runs"]),
    "settings: 5": spec(settings=5),
    "settings: a list": spec(settings=[SETTINGS]),
    "settings: an unknown field": settings(hiden=[8]),
    # values netcore would only reject while training
    "seed = 2**70": spec(seed=2**70),
    "seed = 2**32": spec(seed=MAX_SEED + 1),
    "seed < 0": spec(seed=-1),
    "lr low bound 0": space({"name": "lr", "low": 0.0, "high": 0.1}),
    "lr fixed at 0": space({"name": "lr", "fixed": 0.0}),
    "lr fixed negative": space({"name": "lr", "fixed": -0.01}),
    "lr choice negative": space({"name": "lr", "type": "categorical", "choices": [-0.1, 0.1]}),
    "init_scale fixed at 0": space(LR, {"name": "init_scale", "fixed": 0.0}),
    "init_scale low bound negative": space(LR, {"name": "init_scale", "low": -1.0, "high": 1.0}),
    "weight_decay fixed negative": space(LR, {"name": "weight_decay", "fixed": -1e-4}),
    "weight_decay low bound negative": space(LR, {"name": "weight_decay", "low": -1e-4, "high": 1e-4}),
    "beta1 fixed at 1": adam(name="beta1", fixed=1.0),
    "beta1 high bound 1": adam(name="beta1", low=0.5, high=1.0),
    "beta2 fixed above 1": adam(name="beta2", fixed=1.5),
    "momentum fixed at 1": momentum(name="momentum", fixed=1.0),
    "momentum high bound 2": momentum(name="momentum", low=0.5, high=2.0),
    "momentum negative": momentum(name="momentum", fixed=-0.5),
    "rho fixed at 1": space(LR, {"name": "optimizer", "type": "categorical", "fixed": "rmsprop"},
                            {"name": "rho", "fixed": 1.0}),
    "unknown activation": settings(activation="swish"),
    "unknown init": settings(init="lecun"),
    # absurd sizes
    "a 300-character name": spec(name="x" * 300),
    f"a {MAX_NAME + 1}-character name": spec(name="x" * (MAX_NAME + 1)),
    "n_trials = 10**30": spec(n_trials=10**30),
    "n_trials above the maximum": spec(n_trials=MAX_TRIALS + 1),
    "hidden widths of 100,000": settings(hidden=[100_000, 100_000]),
    "hidden: a 10**9 wide layer": settings(hidden=[10**9]),
    "hidden: 10,000 layers of 100": settings(hidden=[100] * 10_000),
    "cnn filters1 fixed at 100,000": cnn({"name": "filters1", "type": "int", "fixed": 100_000}),
    "cnn filters2 high bound 4096": cnn({"name": "filters2", "type": "int", "low": 16, "high": 4096}),
    "cnn filters3 at 0": cnn({"name": "filters3", "type": "int", "fixed": 0}),
    "cnn dense fixed at 10**6": cnn({"name": "dense", "type": "int", "fixed": 10**6}),
    "cnn kernel_size choice 4": cnn({"name": "kernel_size", "type": "categorical", "choices": [3, 4]}),
    "cnn kernel_size fixed at 31": cnn({"name": "kernel_size", "type": "int", "fixed": 31}),
    "cnn blocks choice 5": cnn({"name": "blocks", "type": "categorical", "choices": [1, 5]}),
    # the spec file itself
    "nested 100,000 deep": b'{"name": "deep", "space": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "nested 100,000 deep at the top": b"[" * 100_000 + b"]" * 100_000,
    "not UTF-8": b'{"name": "\xff\xfe"}',
    "a JSON list": b"[1, 2]",
    # data
    "IDX labels outside 0..9": spec(name="idx", settings={**SETTINGS, "n_samples": 20, "dataset": "mnist"}),
}

# name -> argv; SPEC stands for the case's spec file, @taken for the existing study's folder
CLI = {name: ["run", "SPEC", "--n-jobs", "1"] for name in SPECS}
CLI.update({
    "--name of 300 characters": ["run", "--name", "y" * 300],
    "--n-trials 10**30": ["run", "--n-trials", str(10**30)],
    "--seed 2**70": ["run", "--seed", str(2**70)],
    "--out is a file": ["run", "--out", "notes.txt"],
    "--out is under a file": ["run", "--out", "notes.txt/sub"],
    "--out /dev/null": ["run", "--out", "/dev/null"],
    "--out /proc": ["run", "--out", "/proc"],
    "--storage is a folder": ["run", "--storage", "a-folder"],
    "--storage /dev/null": ["run", "--storage", "/dev/null"],
    "--storage /proc": ["run", "--storage", "/proc"],
    "--storage in /proc": ["run", "--storage", "/proc/journal.log"],
    "--storage under a file": ["run", "--storage", "notes.txt/journal.log"],
    "--storage with a 300-character name": ["run", "--storage", "z" * 300 + ".log"],
    "spec file is a folder": ["run", "a-folder"],
    "spec file is /dev/zero": ["run", "/dev/zero"],
    "status --storage /dev/null": ["status", "--storage", "/dev/null", "--study", "taken"],
    "status --storage a folder": ["status", "--storage", "a-folder", "--study", "taken"],
    "status --storage 300 characters": ["status", "--storage", "z" * 300, "--study", "taken"],
    "status --study of 300 characters": ["status", "--study", "s" * 300],
    "worker --storage /proc": ["worker", "--storage", "/proc", "--study", "taken"],
    "export --out a file": ["export", "@taken", "--out", "notes.txt"],
    "export --out /dev/null": ["export", "@taken", "--out", "/dev/null"],
    "export --out /proc": ["export", "@taken", "--out", "/proc"],
    "report --out a file": ["report", "@taken", "--out", "notes.txt"],
    "report --out /proc": ["report", "@taken", "--out", "/proc"],
})


def _idx(path: Path, magic: int, array: np.ndarray) -> None:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def _labels_outside(folder: Path) -> None:
    """Well-formed MNIST IDX files whose labels go up to 12."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", 40), ("t10k", 10)):
        _idx(folder / f"{split}-images-idx3-ubyte", 2051, rng.integers(0, 256, (n, 28, 28)))
        _idx(folder / f"{split}-labels-idx1-ubyte", 2049, np.arange(n) % 13)


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (None for a folder); home/ holds only matplotlib's font cache."""
    return {str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes()) for p in root.rglob("*")
            if p.relative_to(root).parts[0] != "home"}


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HPSEARCH_DATA", str(tmp_path / "data"))
    (tmp_path / "home").mkdir()
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "notes.txt").write_text("not a folder, not a journal\n")
    _labels_outside(tmp_path / "data" / "mnist")
    create_study(StudySpec.from_dict({**BASE, "name": "taken", "out_dir": str(tmp_path / "runs")}))
    return tmp_path


@pytest.mark.parametrize("case", list(CLI))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, folder, capsys):
    argv = list(CLI[case])
    if "SPEC" in argv:
        content = SPECS[case]
        path = folder / "case.json"
        path.write_bytes(content if isinstance(content, bytes) else json.dumps(content).encode())
        argv[argv.index("SPEC")] = str(path)
    argv = [str(folder / "runs" / "taken") if a == "@taken" else a for a in argv]
    before = _tree(folder)
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("hpsearch: error: ") and "Traceback" not in err, err
    assert len(err) < 400, err  # one readable line, even for a 300-character name or a 100,000-deep spec
    assert _tree(folder) == before


def test_the_table_covers_each_kind_of_bad_input():
    assert len(CLI) >= 80


def test_a_good_spec_of_the_table_runs():
    """The base of every case is valid: each case fails for its own change only."""
    spec = StudySpec.from_dict({**BASE, "space": [LR, {"name": "init_scale", "low": 0.5, "high": 2.0},
                                                  {"name": "weight_decay", "fixed": 0.0}]})
    assert spec.n_trials == 2 and spec.settings.hidden == (8,)
    assert StudySpec.from_dict(adam(name="beta1", low=0.0, high=0.99)).space["beta1"].high == 0.99
    assert StudySpec.from_dict(settings(hidden=[4000] * 3)).settings.hidden == (4000,) * 3  # 28.1 million weights
    edge = cnn({"name": "filters1", "type": "int", "low": 1, "high": 512},
               {"name": "dense", "type": "int", "fixed": 4096},
               {"name": "kernel_size", "type": "categorical", "choices": [1, 15]},
               {"name": "blocks", "type": "categorical", "choices": [1, 2, 3]})
    assert StudySpec.from_dict(edge).space["filters1"].high == 512
    assert StudySpec.from_dict(spec_seed := spec.to_dict() | {"seed": MAX_SEED}).seed == spec_seed["seed"]
