"""StudySpec: validation with one-line messages, JSON round trip, storage resolution."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hpsearch import StudySpec, wide_space
from hpsearch.space import ParamSpec, SearchSpace
from hpsearch.storages.urls import redact


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"name": "a b"}, "name='a b'"),
        ({"name": ""}, "name=''"),
        ({"n_trials": 0}, "n_trials=0"),
        ({"n_trials": 2.5}, "n_trials=2.5"),
        ({"seed": -1}, "seed=-1"),
        ({"sampler": "bayes"}, "sampler 'bayes'"),
        ({"pruner": "early"}, "pruner 'early'"),
        ({"storage": "redis://x"}, "unknown scheme"),
        ({"storage": ""}, "empty"),
        ({"grace_period": 5, "heartbeat_interval": 10}, "grace_period=5"),
        ({"sampler": "grid", "n_trials": 1000}, "grid"),
        ({"space": SearchSpace((ParamSpec("momentun", low=0.1, high=0.5),))}, "'momentun'"),
        ({"space": SearchSpace((ParamSpec("weight_decay", low=1e-8, high=1e-4, log=True),))}, "no 'lr'"),
    ],
)
def test_bad_specs_fail_with_one_line_naming_the_value(changes, needle):
    with pytest.raises(ValueError) as info:
        StudySpec(**{"name": "ok", **changes})
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_spec_round_trips_through_json():
    spec = StudySpec(name="wide", space=wide_space(), sampler="tpe", pruner="successive_halving", seed=4)
    assert spec.pruner == "sha"
    again = StudySpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec


def test_unknown_fields_are_rejected():
    with pytest.raises(ValueError, match="unknown field 'trials'"):
        StudySpec.from_dict({"name": "x", "trials": 3})


def test_default_storage_is_a_journal_under_runs():
    spec = StudySpec(name="book")
    assert Path(spec.storage_url) == Path("runs") / "book" / "journal.log"
    assert spec.run_dir == Path("runs/book")
    url = "postgresql+psycopg2://me:secret@db.example:5432/hp"
    assert StudySpec(name="x", storage=url).storage_url == url


def test_passwords_are_redacted():
    assert "secret" not in redact("postgresql://me:secret@host/db")
    assert redact("postgresql://me:secret@host/db").startswith("postgresql://me:***@host")
    assert redact("runs/x/journal.log") == "runs/x/journal.log"
