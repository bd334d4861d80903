"""The registry of search methods: a name becomes a sampler and a pruner for a StudySpec, or the range-narrowing
procedure (rounds of random search, each inside the box the previous round's best trials point to).

Every method is compared at an equal budget (see :mod:`hpsearch.benchmark.runner`), so a method here says only
HOW to search, never how long.
"""

from __future__ import annotations

from dataclasses import dataclass

from hpsearch.narrowing.rule import NarrowRule
from hpsearch.registry import Registry
from hpsearch.samplers.registry import check_sampler, pruner_name
from hpsearch.space import SearchSpace

__all__ = ["Method", "METHODS", "DEFAULT_METHODS", "REFERENCE", "get_method", "register_method", "narrow_rule"]


@dataclass(frozen=True)
class Method:
    """One search method. ``rounds > 0`` makes it the narrowing procedure: ``rounds`` rounds of ``sampler``
    search sharing the budget equally, each round's box narrowed from the previous round's best
    ``top_fraction`` of trials with :func:`hpsearch.narrowing.rule.narrow` (never beyond the task's own box)."""

    name: str
    sampler: str = "random"
    pruner: str = "none"
    rounds: int = 0
    top_fraction: float = 0.2
    description: str = ""

    def __post_init__(self) -> None:
        check_sampler(self.sampler)
        object.__setattr__(self, "pruner", pruner_name(self.pruner))
        if isinstance(self.rounds, bool) or not isinstance(self.rounds, int) or self.rounds < 0:
            raise ValueError(f"method {self.name!r}: rounds={self.rounds!r} must be an integer >= 0")
        if self.rounds and self.pruner != "none":
            raise ValueError(f"method {self.name!r}: the narrowing procedure runs without a pruner")

    @property
    def narrowing(self) -> bool:
        return self.rounds > 0

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "sampler": self.sampler, "pruner": self.pruner, "rounds": self.rounds,
                "top_fraction": self.top_fraction if self.narrowing else None, "description": self.description}


def narrow_rule(method: Method, space: SearchSpace) -> NarrowRule:
    """The narrowing rule of ``method`` on a task's ``space``: keep the best ``top_fraction`` of a round's
    trials, and never leave the task's own box (its bounds are the rule's hard limits). A pressed side moves
    back out to the task's box (widen 0.5, unsnapped boxes): the rule the published benchmark figures used."""
    limits = {p.name: (p.low, p.high) for p in space.params
              if not p.is_fixed and p.kind != "categorical"}
    return NarrowRule(top_k=None, top_fraction=method.top_fraction, widen=0.5, snap=0, hard_limits=limits)


METHODS: Registry[Method] = Registry("method", Method)


def register_method(method: Method, *, replace: bool = False) -> Method:
    """Add ``method`` to the registry (re-registering a name needs ``replace=True``)."""
    return METHODS.add(method, replace=replace)


def get_method(name: str | Method) -> Method:
    """The method called ``name`` (a Method passes through); the error lists the known names."""
    return METHODS.lookup(name)


REFERENCE = "random"  # the book's search: every speed-up is measured against it

for _m in (
    Method("random", "random", description="the book's search: log-uniform random draws, no pruning"),
    Method("tpe", "tpe", description="Optuna's TPE (constant liar with parallel workers)"),
    Method("cmaes", "cmaes", description="Optuna's CMA-ES (1-D spaces and categoricals fall back to random)"),
    Method("qmc", "qmc", description="scrambled Sobol points, no pruning"),
    Method("tpe-hyperband", "tpe", "hyperband", description="TPE with Hyperband pruning (reduction factor 3)"),
    Method("random-median", "random", "median",
           description="the book's random draws with median pruning (5 start-up trials, warm-up epochs/5)"),
    Method("narrowing", "random", rounds=4, top_fraction=0.2,
           description="the book's procedure: 4 rounds of random search, each narrowed to the previous "
                       "round's best 20% (the rule of hpsearch.narrowing.rule, clipped to the task's box)"),
):
    register_method(_m)

DEFAULT_METHODS: tuple[str, ...] = tuple(METHODS)
