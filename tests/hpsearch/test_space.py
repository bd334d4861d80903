"""Search spaces: validation messages, distributions, conditionals, fixing, plain-data round trip."""

from __future__ import annotations

import json

import optuna
import pytest

from hpsearch.space import ParamSpec, SearchSpace, book_space, suggest, wide_space


@pytest.mark.parametrize(
    ("build", "name", "fix"),
    [
        (lambda: ParamSpec("lr", low=0.0, high=1e-2, log=True), "lr", "positive lower bound"),
        (lambda: ParamSpec("lr", low=-1e-3, high=1e-2, log=True), "lr", "positive lower bound"),
        (lambda: ParamSpec("weight_decay", low=1e-4, high=1e-8, log=True), "weight_decay", "swap or widen"),
        (lambda: ParamSpec("init_scale", low=1.0, high=1.0), "init_scale", "fix the parameter"),
        (lambda: ParamSpec("optimizer", kind="categorical", choices=()), "optimizer", "at least one choice"),
        (lambda: ParamSpec("lr", low=None, high=1.0), "lr", "give both bounds"),
        (lambda: ParamSpec("lr", low=float("nan"), high=1.0), "lr", "finite"),
        (lambda: ParamSpec("lr", kind="complex", low=1, high=2), "lr", "use one of"),
        (lambda: ParamSpec("opt", kind="categorical", choices=("a", "a")), "opt", "each choice once"),
        (
            lambda: SearchSpace((ParamSpec("optimizer", kind="categorical", choices=("sgd", "lbfgs")),)),
            "optimizer",
            "choose from",
        ),
        (lambda: SearchSpace((ParamSpec("optimizer", kind="categorical", fixed="lbfgs"),)), "optimizer", "sgd"),
        (
            lambda: SearchSpace((ParamSpec("momentum", low=0.5, high=0.9, when=("optimizer", ("momentum",))),)),
            "momentum",
            "EARLIER categorical",
        ),
        (
            lambda: SearchSpace(
                (
                    ParamSpec("optimizer", kind="categorical", choices=("sgd", "adam")),
                    ParamSpec("momentum", low=0.5, high=0.9, when=("optimizer", ("momentum",))),
                )
            ),
            "momentum",
            "values among",
        ),
        (lambda: SearchSpace((ParamSpec("lr", low=1e-3, high=1.0), ParamSpec("lr", low=1e-3, high=1.0))), "lr",
         "distinct name"),
        (lambda: book_space().fix(batch=3), "batch", "fix one of"),
    ],
)
def test_invalid_spaces_fail_at_construction_naming_the_parameter_and_the_fix(build, name, fix):
    with pytest.raises(ValueError) as info:
        build()
    message = str(info.value)
    assert f"'{name}'" in message and fix in message
    assert "\n" not in message


def test_empty_space_is_rejected():
    with pytest.raises(ValueError, match="no parameters"):
        SearchSpace(())


def test_book_space_is_weight_decay_then_lr_log_uniform():
    space = book_space()
    assert space.names == ("weight_decay", "lr")
    dists = space.distributions()
    assert dists["lr"] == optuna.distributions.FloatDistribution(1e-6, 1e-2, log=True)
    assert dists["weight_decay"] == optuna.distributions.FloatDistribution(1e-8, 1e-4, log=True)


def _ask(space: SearchSpace, seed: int) -> dict:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    return suggest(study.ask(), space)


def test_conditionals_are_suggested_only_for_their_optimizer():
    space = wide_space()
    seen = set()
    for seed in range(40):
        values = _ask(space, seed)
        opt = values["optimizer"]
        seen.add(opt)
        assert ("momentum" in values) == (opt in ("momentum", "nesterov"))
        assert ("beta1" in values) == ("beta2" in values) == (opt == "adam")
        assert ("rho" in values) == (opt == "rmsprop")
        assert values == space.active(values)
    assert len(seen) >= 4


def test_fixed_parameters_are_suggested_with_their_value_and_keep_conditionals():
    space = wide_space().fix(optimizer="momentum", init_scale=1.0)
    values = _ask(space, 0)
    assert values["optimizer"] == "momentum" and values["init_scale"] == 1.0
    assert 0.5 <= values["momentum"] <= 0.99
    assert space.distributions()["optimizer"].single()


def test_space_round_trips_through_json():
    space = wide_space().fix(init_scale=2.0)
    again = SearchSpace.from_dict(json.loads(json.dumps(space.to_dict())))
    assert again == space
    assert again.describe()["lr"] == {
        "type": "float", "low": 1e-6, "high": 1e-2, "log": True, "choices": None, "fixed": None, "when": None,
    }
