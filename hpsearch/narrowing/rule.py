"""The book's range narrowing (section 6.5.3) as a pure function: (space, finished trials, rule) -> new space.

The book reads narrower ranges off the few best trials by eye, on a log scale (its top 5 had lr 5.2e-3 to
9.6e-3; it read off "0.001 to 0.01"). Our rule, stated once:

* rank the finished trials by score, in the study's direction; diverged trials count as what they are —
  failed runs — and rank below every trial that trained (they never define a box);
* take the top ``top_k`` (or the top ``top_fraction``) of them;
* for each float/int parameter, in log10 units where the parameter is log-scaled: the new box spans the top
  trials' values, padded on each side by ``padding`` times that span (at least ``min_pad`` times the old
  width), then each bound snaps OUTWARD to a grid of ``snap`` equal steps of the old box (4 steps of the
  book's 4-decade boxes are whole decades, as the book reads them; 0: no snapping), and the box is clipped
  to the old box: the book's procedure only ever narrows;
* a side the top trials press against (they come within ``press`` times the old width of it) is recorded
  as ``pressed``: the optimum may lie outside. With ``widen`` > 0 (hpsearch's step beyond the book) that
  side moves PAST the old bound by ``widen`` times the old width instead, never past the ``hard_limits``;
* categorical parameters keep only the choices that appear among the top trials (in their old order);
* fixed parameters, and conditional ones no top trial used, stay as they were.

With ``widen`` = 0 the result lies inside the old box; it always lies inside the hard limits, is non-empty,
and contains the best trial. :func:`widen_past` moves chosen sides of a box outward (hpsearch's step past
the bounds the best trials pressed against, after the book's rounds).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from hpsearch.space import ParamSpec, SearchSpace

__all__ = ["NarrowRule", "Outcome", "narrow", "box_width", "widen_past"]


@dataclass(frozen=True)
class Outcome:
    """One finished trial as narrowing sees it."""

    params: Mapping[str, Any]
    value: float
    diverged: bool = False


@dataclass(frozen=True)
class NarrowRule:
    top_k: int | None = 10
    top_fraction: float | None = None
    padding: float = 0.25
    min_pad: float = 0.05
    press: float = 0.05
    widen: float = 0.0
    snap: int = 4
    hard_limits: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.top_k is None) == (self.top_fraction is None):
            raise ValueError("narrow rule: give exactly one of top_k or top_fraction")
        if self.top_k is not None and (isinstance(self.top_k, bool) or int(self.top_k) != self.top_k
                                       or self.top_k < 1):
            raise ValueError(f"narrow rule: top_k={self.top_k!r} must be an integer >= 1")
        if self.top_fraction is not None and not 0 < self.top_fraction <= 1:
            raise ValueError(f"narrow rule: top_fraction={self.top_fraction!r} must be in (0, 1]")
        for name in ("padding", "min_pad", "press", "widen"):
            v = getattr(self, name)
            if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
                raise ValueError(f"narrow rule: {name}={v!r} must be a finite number >= 0")
        if isinstance(self.snap, bool) or not isinstance(self.snap, int) or self.snap < 0:
            raise ValueError(f"narrow rule: snap={self.snap!r} must be an integer >= 0 (grid steps of the old box)")
        if self.min_pad <= 0:
            raise ValueError(f"narrow rule: min_pad={self.min_pad!r} must be > 0 so a box never collapses")
        limits = {}
        for name, bounds in dict(self.hard_limits).items():
            lo, hi = (float(b) for b in bounds)
            if not lo < hi:
                raise ValueError(f"narrow rule: hard limit of {name!r} {bounds!r} needs low < high")
            limits[name] = (lo, hi)
        object.__setattr__(self, "hard_limits", limits)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["hard_limits"] = {k: list(v) for k, v in self.hard_limits.items()}
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> NarrowRule:
        d = dict(d)
        d["hard_limits"] = {k: tuple(v) for k, v in (d.get("hard_limits") or {}).items()}
        return cls(**d)


def _top(outcomes: Sequence[Outcome], rule: NarrowRule, maximize: bool = True) -> list[Outcome]:
    ok = [o for o in outcomes if not o.diverged and math.isfinite(o.value)]
    if not ok:
        raise ValueError("narrowing needs at least one finished trial that did not diverge; run more trials")
    ok.sort(key=lambda o: -o.value if maximize else o.value)
    k = rule.top_k if rule.top_k is not None else max(1, math.ceil(rule.top_fraction * len(ok)))
    return ok[: int(k)]


def _to_u(p: ParamSpec, v: float) -> float:
    return math.log10(v) if p.log else float(v)


def _from_u(p: ParamSpec, u: float) -> float:
    return 10.0**u if p.log else u


def _snapped(u: float, a: float, step: float, outward: int) -> float:
    """``u`` moved outward (-1: down, +1: up) to the grid a + k * step (a point within 1e-9 steps counts as on it)."""
    k = (u - a) / step
    k = math.floor(k + 1e-9) if outward < 0 else math.ceil(k - 1e-9)
    return a + k * step


def _narrow_numeric(p: ParamSpec, values: list[float], rule: NarrowRule) -> tuple[ParamSpec, dict[str, Any]]:
    a, b = _to_u(p, p.low), _to_u(p, p.high)
    width = b - a
    us = [_to_u(p, v) for v in values]
    lo_k, hi_k = min(us), max(us)
    pad = max(rule.padding * (hi_k - lo_k), rule.min_pad * width)
    new_lo, new_hi = lo_k - pad, hi_k + pad
    if rule.snap:
        new_lo, new_hi = _snapped(new_lo, a, width / rule.snap, -1), _snapped(new_hi, a, width / rule.snap, +1)
    new_lo, new_hi = max(a, new_lo), min(b, new_hi)  # the book's procedure never leaves the old box
    pressed = [side for side, gap in (("low", lo_k - a), ("high", b - hi_k)) if gap <= rule.press * width]
    widened = pressed if rule.widen > 0 else []
    if "low" in widened:
        new_lo = min(a - rule.widen * width, new_lo)
    if "high" in widened:
        new_hi = max(b + rule.widen * width, new_hi)
    low, high = _bounded(p, new_lo, new_hi, values, rule.hard_limits.get(p.name))
    record = {"old": [p.low, p.high], "new": [low, high], "top": [min(values), max(values)],
              "pressed": pressed, "widened": widened}
    return replace(p, low=low, high=high), record


def _bounded(p: ParamSpec, lo_u: float, hi_u: float, values: Sequence[float],
             hard: tuple[float, float] | None) -> tuple[float, float]:
    """Bounds in the parameter's own units: inside ``hard``, holding ``values``, whole numbers for an int."""
    if hard is not None:
        lo_u, hi_u = max(lo_u, _to_u(p, hard[0])), min(hi_u, _to_u(p, hard[1]))
    low, high = _from_u(p, lo_u), _from_u(p, hi_u)
    low, high = min(low, min(values)), max(high, max(values))  # rounding must never drop the best trials
    if p.kind == "int":
        low, high = math.floor(low), math.ceil(high)
        if low == high:
            high = low + 1
    return low, high


def narrow(space: SearchSpace, outcomes: Sequence[Outcome], rule: NarrowRule | None = None, *,
           direction: str = "maximize") -> tuple[SearchSpace, dict[str, Any]]:
    """The narrowed space and a record of what was done (rule, per-parameter old/new boxes, pressed sides)."""
    rule = rule or NarrowRule()
    top = _top(outcomes, rule, maximize=not direction.lower().startswith("min"))
    for name, (lo, hi) in rule.hard_limits.items():
        if name in space:
            p = space[name]
            if p.is_fixed or p.kind == "categorical":
                continue
            if p.log and lo <= 0:
                raise ValueError(f"narrow rule: hard limit of {name!r} must be > 0 on a log scale, got {lo}")
            if not (lo <= p.low and p.high <= hi):
                raise ValueError(f"narrow rule: hard limit of {name!r} ({lo}, {hi}) must contain the current "
                                 f"box ({p.low}, {p.high}); widen the limit")
    new_params: list[ParamSpec] = []
    records: dict[str, Any] = {}
    for p in space.params:
        used = [o.params[p.name] for o in top if p.name in o.params]
        if p.is_fixed or not used:
            new_params.append(p)
            continue
        if p.kind == "categorical":
            keep = tuple(c for c in p.choices if c in used)
            new_params.append(replace(p, choices=keep))
            records[p.name] = {"old": list(p.choices), "new": list(keep)}
        else:
            q, rec = _narrow_numeric(p, [float(v) for v in used], rule)
            new_params.append(q)
            records[p.name] = rec
    best = top[0]
    record = {"rule": rule.to_dict(), "n_top": len(top), "best_value": best.value,
              "best_params": dict(best.params), "params": records}
    return SearchSpace(tuple(new_params)), record


def box_width(space: SearchSpace, name: str) -> float:
    """A parameter's box width in its own units (decades for log parameters)."""
    p = space[name]
    if p.is_fixed or p.kind == "categorical":
        return 0.0
    return _to_u(p, p.high) - _to_u(p, p.low)


def widen_past(space: SearchSpace, pressed: Mapping[str, Sequence[str]], reference: SearchSpace, *,
               widen: float, hard_limits: Mapping[str, tuple[float, float]] | None = None
               ) -> tuple[SearchSpace, dict[str, Any]]:
    """Move each ``pressed`` side (``{name: ["low"|"high", ...]}``) of ``space``'s boxes outward by ``widen``
    times the width of the same parameter's box in ``reference`` (the first round's: the book's ranges), in
    log10 units for log parameters, never past ``hard_limits``. Returns the space and {name: {old, new,
    widened}}."""
    if not (isinstance(widen, int | float) and math.isfinite(widen) and widen > 0):
        raise ValueError(f"widen={widen!r} must be a finite number > 0")
    limits = dict(hard_limits or {})
    params, record = [], {}
    for p in space.params:
        sides = [s for s in pressed.get(p.name, ()) if s in ("low", "high")]
        if not sides or p.is_fixed or p.kind == "categorical":
            params.append(p)
            continue
        step = widen * box_width(reference, p.name)
        lo, hi = _to_u(p, p.low) - step * ("low" in sides), _to_u(p, p.high) + step * ("high" in sides)
        low, high = _bounded(p, lo, hi, [p.low, p.high], limits.get(p.name))
        params.append(replace(p, low=low, high=high))
        record[p.name] = {"old": [p.low, p.high], "new": [low, high], "widened": sides}
    return SearchSpace(tuple(params)), record
