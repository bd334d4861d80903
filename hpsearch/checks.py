"""Checks every spec and settings class shares: field types from the dataclass annotations, and the limits an
objective puts on its parameters. Each failure is a one-line ValueError naming the field and the fix.

Types. :func:`check_types` compares each field of a dataclass instance with its annotation (``int``,
``float``, ``str``, ``bool``, ``X | None``, ``tuple[int, ...]``, ``Literal[...]``; other annotations are
left to the class's own checks). A settings class calls it first in ``__post_init__``, so a new field is
type-checked by writing its annotation, and a JSON spec with ``"hidden": 5`` or ``"dtype": ["float32"]`` is
refused before anything runs.

Parameters as data. :func:`check_param_data` checks the shape of one search-space parameter read from JSON
(an object with a name, known keys, lists where lists go) before it is built.

Limits. An objective declares ``limits``: parameter name -> a function that raises ValueError for a value
the objective cannot train with (netcore's own checks where it has them: ``check_lr``, ``check_unit``).
:func:`check_limits` applies them to a space's fixed values, choices and both bounds (each limit is an
interval or a set, so the bounds stand for every value between them): ``lr`` low 0 is refused when the spec
is built, not as a failed trial after the study was created.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import types
import typing
from collections.abc import Callable, Collection, Mapping
from typing import Any

__all__ = ["Limit", "check_limits", "check_net_size", "check_param_data", "check_types", "non_negative", "one_of",
           "positive", "short", "whole"]

Limit = Callable[[Any], Any]  # raises ValueError for a value out of its limits


def short(value: object, width: int = 60) -> str:
    """``repr(value)``, cut to ``width`` characters (a message stays one readable line)."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _matches(value: object, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in args)
    if origin is typing.Literal:
        return any(value == a and type(value) is type(a) for a in args)
    if origin is tuple:
        if not isinstance(value, tuple | list):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_matches(v, args[0]) for v in value)
        return len(value) == len(args) and all(_matches(v, a) for v, a in zip(value, args, strict=True))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    return True  # Any, classes and containers: the owner checks them itself


_NAMES = {int: ("an integer", "integers"), float: ("a number", "numbers"), str: ("a string", "strings"),
          bool: ("true or false", "true/false values"), type(None): ("null", "nulls")}


def _describe(hint: Any, plural: bool = False) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a, plural) for a in args)
    if origin is typing.Literal:
        return "one of " + ", ".join(map(repr, args))
    if origin is tuple:
        return f"a list of {_describe(args[0], True)}" if args and args[-1] is Ellipsis else "a list"
    default = getattr(hint, "__name__", str(hint))
    return _NAMES.get(hint, (default, default))[plural]


def check_types(obj: Any, where: str) -> None:
    """Raise ``ValueError("<where>: <field>=<value> is invalid; it must be <expected>")`` for the first field of
    dataclass instance ``obj`` whose value does not match its annotation."""
    hints = _hints(type(obj))
    for f in dataclasses.fields(obj):
        value, hint = getattr(obj, f.name), hints.get(f.name, Any)
        if not _matches(value, hint):
            raise ValueError(f"{where}: {f.name}={short(value)} is invalid; it must be {_describe(hint)}")


# -- limits ----------------------------------------------------------------------------------------------------
def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name}={value!r} is invalid: give a finite number")
    return float(value)


def positive(name: str) -> Limit:
    """A limit: a finite number > 0 (an init scale, a dropout-free width...)."""
    def check(value: object) -> None:
        if _number(name, value) <= 0:
            raise ValueError(f"{name}={value!r} is invalid: {name} must be > 0")
    return check


def non_negative(name: str) -> Limit:
    """A limit: a finite number >= 0 (a weight decay)."""
    def check(value: object) -> None:
        if _number(name, value) < 0:
            raise ValueError(f"{name}={value!r} is invalid: {name} must be >= 0")
    return check


def whole(name: str, low: int, high: int, why: str = "") -> Limit:
    """A limit: a whole number in [low, high]; ``why`` says what sets the high end (memory, the image size)."""
    def check(value: object) -> None:
        if isinstance(value, bool) or _number(name, value) != int(value) or not low <= int(value) <= high:
            reason = f" ({why})" if why else ""
            raise ValueError(f"{name}={value!r} is invalid: {name} must be a whole number from {low} to "
                             f"{high}{reason}")
    return check


def one_of(name: str, allowed: Collection[Any]) -> Limit:
    """A limit: one of ``allowed`` (an activation, an init rule)."""
    def check(value: object) -> None:
        if value not in allowed:
            raise ValueError(f"{name} {value!r} is unknown: use one of {', '.join(map(str, allowed))}")
    return check


def _values(p: Any) -> list[tuple[str, Any]]:
    if p.is_fixed:
        return [("fixed value", p.fixed)]
    if p.kind == "categorical":
        return [("choice", c) for c in p.choices]
    return [("low bound", p.low), ("high bound", p.high)]


def check_limits(space: Any, limits: Mapping[str, Limit], where: str) -> None:
    """Apply ``limits`` to every value a parameter of ``space`` can take (fixed value, choices, bounds)."""
    for p in space.params:
        limit = limits.get(p.name)
        for what, value in _values(p) if limit is not None else ():
            try:
                limit(value)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{where}: parameter {p.name!r}, {what} {value!r}: {exc}") from None


# -- a search-space parameter as plain data ----------------------------------------------------------------------
def _param_fail(name: object, problem: str, fix: str) -> ValueError:
    return ValueError(f"search space: parameter {str(name)!r}: {problem}; {fix}")


def check_param_data(d: object, keys: Collection[str]) -> None:
    """The shape of one parameter read from JSON: an object with a name, known keys, lists where lists go."""
    if not isinstance(d, Mapping):
        raise ValueError(f"search space: parameter {short(d)} is not an object; give {{\"name\": ..., ...}}")
    if "name" not in d:
        raise ValueError(f"search space: parameter {short(dict(d))} has no 'name'; name every parameter")
    name = d["name"]
    unknown = sorted(set(d) - set(keys))
    if unknown:
        raise _param_fail(name, f"unknown key {unknown[0]!r}", f"use keys among {', '.join(keys)}")
    if not isinstance(d.get("log", False), bool):
        raise _param_fail(name, f"log={short(d['log'])} is not true/false", "give true or false")
    if not isinstance(d.get("choices") or [], list | tuple):
        raise _param_fail(name, f"choices={short(d['choices'])} is not a list", "give a list of values")
    when = d.get("when")
    if when is not None and not (isinstance(when, list | tuple) and len(when) == 2
                                 and isinstance(when[1], list | tuple)):
        raise _param_fail(name, f"when={short(when)} is not [parent, [values]]", 'give e.g. ["optimizer", ["adam"]]')


# -- the size of a net ------------------------------------------------------------------------------------------
MAX_WEIGHTS = 50_000_000  # 400 MB in float64, and the optimizer's state and gradients as much again each
_PIXELS, _CLASSES = 784, 10  # every data set here: 28x28 images, 10 classes


def check_net_size(hidden: tuple[int, ...], where: str) -> None:
    """Refuse a 784-hidden-10 net too big to train here, saying what it would need (when a spec is built)."""
    widths = (_PIXELS, *hidden, _CLASSES)
    weights = sum(a * b for a, b in zip(widths, widths[1:], strict=False))
    if weights > MAX_WEIGHTS:
        shown = hidden if len(hidden) <= 4 else (*hidden[:3], "...")
        raise ValueError(
            f"{where}: hidden={shown!r} makes a net of {weights / 1e6:,.0f} million weights "
            f"({weights * 8 / 1e9:,.1f} GB in float64, and as much again for gradients and optimizer state); "
            f"keep it under {MAX_WEIGHTS // 1_000_000} million weights (e.g. widths of at most a few thousand)")
