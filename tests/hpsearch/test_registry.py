"""hpsearch.registry.Registry: the one add/lookup used by the objective, method, task and table registries."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hpsearch.registry import Registry


@dataclass(frozen=True)
class Item:
    name: str
    value: int = 0


def test_add_then_lookup_by_name_or_item():
    reg = Registry("widget", Item)
    a = reg.add(Item("a", 1))
    assert reg.lookup("a") is a and reg.lookup(Item("zz")) == Item("zz")  # an item passes through
    assert reg.add(Item("a", 1)) == a and len(reg) == 1  # the same item again: no-op


def test_a_different_item_under_a_taken_name_needs_replace():
    reg = Registry("widget", Item)
    reg.add(Item("a", 1))
    with pytest.raises(ValueError, match=r"^widget 'a' is registered already; pick another name$"):
        reg.add(Item("a", 2))
    assert reg["a"].value == 1  # nothing changed
    reg.add(Item("a", 2), replace=True)
    assert reg["a"].value == 2


def test_unknown_name_lists_the_known_ones():
    reg = Registry("widget", Item)
    reg.add(Item("b"))
    reg.add(Item("a"))
    with pytest.raises(ValueError, match=r"^widget 'c' is unknown; use one of b, a$"):
        reg.lookup("c")
    with pytest.raises(ValueError, match=r"^widget 'c' is unknown; use one of x, y$"):
        reg.lookup("c", known=["x", "y"])
