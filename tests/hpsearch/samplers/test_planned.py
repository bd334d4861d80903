"""Planned trials and seeds: pure, prefix-stable, inside the space, distinct per slot."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpsearch.samplers.planned import grid_size, plan
from hpsearch.samplers.seeds import derive_seed, sampler_seed, train_seed
from hpsearch.space import ParamSpec, SearchSpace, book_space, wide_space


@pytest.mark.parametrize("sampler", ["random", "qmc", "grid"])
def test_plans_are_prefix_stable_and_deterministic(sampler):
    space = wide_space()
    long = plan(space, sampler, seed=3, n=40, grid_points=3)
    assert plan(space, sampler, seed=3, n=13, grid_points=3) == long[:13]
    assert plan(space, sampler, seed=3, n=40, grid_points=3) == long


@pytest.mark.parametrize("sampler", ["random", "qmc", "grid"])
def test_planned_values_lie_in_the_space_and_respect_conditions(sampler):
    space = wide_space()
    for values in plan(space, sampler, seed=1, n=60, grid_points=3):
        assert values == space.active(values)
        for name, v in values.items():
            p = space[name]
            if p.kind == "categorical":
                assert v in p.choices
            else:
                assert p.low <= v <= p.high


def test_random_plan_is_the_books_log_uniform_draw_in_space_order():
    values = plan(book_space(), "random", seed=7, n=1)[0]
    rng = np.random.default_rng(derive_seed(7, 1, 0))
    wd = 10 ** rng.uniform(-8, -4)
    lr = 10 ** rng.uniform(-6, -2)
    assert list(values) == ["weight_decay", "lr"]
    assert values["weight_decay"] == pytest.approx(wd, rel=1e-12)
    assert values["lr"] == pytest.approx(lr, rel=1e-12)


def test_random_and_qmc_plans_change_with_the_seed():
    for sampler in ("random", "qmc"):
        assert plan(book_space(), sampler, seed=0, n=4) != plan(book_space(), sampler, seed=1, n=4)


def test_qmc_plan_covers_the_log_range_evenly():
    values = plan(book_space(), "qmc", seed=0, n=64)
    logs = np.array([math.log10(v["lr"]) for v in values])
    counts, _ = np.histogram(logs, bins=4, range=(-6, -2))
    assert counts.tolist() == [16, 16, 16, 16]


def test_grid_is_the_cartesian_product_in_fixed_order_without_repeats():
    space = SearchSpace(
        (
            ParamSpec("optimizer", kind="categorical", choices=("sgd", "momentum")),
            ParamSpec("lr", low=1e-4, high=1e-2, log=True),
            ParamSpec("momentum", low=0.5, high=0.9, when=("optimizer", ("momentum",))),
        )
    )
    grid = plan(space, "grid", seed=0, n=100, grid_points=3)
    assert grid_size(space, 3) == len(grid) == 3 + 3 * 3
    assert grid[0] == {"optimizer": "sgd", "lr": pytest.approx(1e-4)}
    assert grid[1]["lr"] == pytest.approx(1e-3)
    assert grid[3] == {"optimizer": "momentum", "lr": pytest.approx(1e-4), "momentum": pytest.approx(0.5)}
    keys = {tuple(sorted(g.items())) for g in grid}
    assert len(keys) == len(grid)


def test_seeds_differ_by_slot_and_by_purpose():
    seeds = {train_seed(0, k) for k in range(1000)}
    assert len(seeds) == 1000
    assert train_seed(0, 5) != train_seed(1, 5)
    assert train_seed(0, 5) != sampler_seed(0, 5)
    assert train_seed(0, 5) == train_seed(0, 5)


def test_unplanned_sampler_has_no_plan():
    with pytest.raises(ValueError, match="not planned"):
        plan(book_space(), "tpe", seed=0, n=3)
