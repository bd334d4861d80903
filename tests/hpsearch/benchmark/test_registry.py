"""The method and task registries and the grids that cover the tasks."""

from __future__ import annotations

import math

import pytest

from hpsearch import ObjectiveSettings, book_space
from hpsearch.benchmark import (
    METHODS,
    TABLES,
    TASKS,
    BenchmarkSpec,
    Method,
    TableDef,
    Task,
    get_method,
    get_task,
    mlp_table,
    register_method,
    register_task,
)
from hpsearch.benchmark.methods import narrow_rule
from hpsearch.benchmark.tasks import decades


def test_the_methods_of_the_issue_are_registered_with_valid_samplers_and_pruners():
    assert set(METHODS) >= {"random", "tpe", "cmaes", "qmc", "tpe-hyperband", "random-median", "narrowing"}
    assert (METHODS["random"].sampler, METHODS["random"].pruner) == ("random", "none")
    assert (METHODS["tpe-hyperband"].sampler, METHODS["tpe-hyperband"].pruner) == ("tpe", "hyperband")
    assert (METHODS["random-median"].sampler, METHODS["random-median"].pruner) == ("random", "median")
    assert METHODS["narrowing"].narrowing and not METHODS["tpe"].narrowing
    assert all(m.description for m in METHODS.values())


def test_narrowing_rule_never_leaves_the_task_box():
    rule = narrow_rule(METHODS["narrowing"], book_space())
    assert rule.hard_limits == {"weight_decay": (1e-8, 1e-4), "lr": (1e-6, 1e-2)}
    assert rule.top_fraction == 0.2 and rule.top_k is None


def test_the_tasks_of_the_issue():
    book = TASKS["book"]
    assert book.space == book_space() and book.settings == ObjectiveSettings()
    assert TASKS["fashion"].settings.dataset == "fashion-mnist" and TASKS["fashion"].space == book_space()
    for opt in ("sgd", "momentum", "adagrad", "adam"):
        space = TASKS[f"lr-{opt}"].space
        assert [p.name for p in space.params if not p.is_fixed] == ["lr"]
        assert space["optimizer"].fixed == opt
    wide = TASKS["wide"].space
    assert {p.name for p in wide.params if not p.is_fixed} == {"lr", "weight_decay", "init_scale", "optimizer"}


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_is_covered_by_its_grid(name):
    task = TASKS[name]
    defn = TABLES[task.table]
    assert defn.settings == task.settings  # a replay is the same trial as a live run
    for p in task.space.params:
        axis = defn.values(p.name)
        if p.is_fixed:
            assert p.fixed in axis, f"{name}: fixed {p.name}={p.fixed} must be a grid value"
        elif p.kind == "categorical":
            assert set(p.choices) <= set(axis)
        else:  # the grid spans the box (to a rounding of the 12th digit)
            assert min(axis) <= p.low * (1 + 1e-9) and max(axis) >= p.high * (1 - 1e-9)


def test_the_book_grid():
    defn = TABLES["book"]
    lr = defn.values("lr")
    assert lr[0] == 1e-6 and lr[-1] == 0.1 and len(lr) == 16  # 3 per decade
    assert defn.values("weight_decay") == (1e-8, 1e-7, 1e-6, 1e-5, 1e-4)
    assert defn.replicates == 2 and defn.n_cells == 16 * 5 * 4 * 3
    assert math.isclose(decades(-1, 0, 2)[1], 10**-0.5, rel_tol=1e-11)


def test_unknown_names_and_bad_definitions_fail_with_the_fix():
    with pytest.raises(ValueError, match="unknown; use one of"):
        get_task("nope")
    with pytest.raises(ValueError, match="unknown; use one of"):
        get_method("nope")
    with pytest.raises(ValueError, match="registered already"):
        register_method(Method("random", "tpe"))
    with pytest.raises(ValueError, match="registered already"):
        register_task(Task("book", book_space(lr=(1e-3, 1e-1))))
    with pytest.raises(ValueError, match="sampler"):
        Method("x", "annealing")
    with pytest.raises(ValueError, match="without a pruner"):
        Method("x", rounds=2, pruner="median")
    with pytest.raises(ValueError, match="increasing"):
        mlp_table("x", lr=(1e-2, 1e-3))
    with pytest.raises(ValueError, match="distinct"):
        mlp_table("x", optimizer=())
    with pytest.raises(ValueError, match="rounds"):
        BenchmarkSpec(methods=("narrowing",), budget=3)
    with pytest.raises(ValueError, match="budget"):
        BenchmarkSpec(budget=0)
    assert get_task(TASKS["book"]) is TASKS["book"]


def test_table_def_round_trips():
    defn = TABLES["fashion"]
    assert TableDef.from_dict(defn.to_dict()) == defn
    assert defn.shape == (16, 5, 1, 1)
