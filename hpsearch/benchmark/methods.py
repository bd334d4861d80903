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

__all__ = ["Method", "METHODS", "DEFAULT_METHODS", "LIVE_METHODS", "REFERENCE", "get_method", "register_method",
           "narrow_rule"]


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
    screen_fraction: float = 0.0
    warm_start: bool = False

    def __post_init__(self) -> None:
        check_sampler(self.sampler)
        object.__setattr__(self, "pruner", pruner_name(self.pruner))
        if isinstance(self.rounds, bool) or not isinstance(self.rounds, int) or self.rounds < 0:
            raise ValueError(f"method {self.name!r}: rounds={self.rounds!r} must be an integer >= 0")
        if self.rounds and self.pruner != "none":
            raise ValueError(f"method {self.name!r}: the narrowing procedure runs without a pruner")
        if not 0.0 <= self.screen_fraction < 1.0:
            raise ValueError(f"method {self.name!r}: screen_fraction={self.screen_fraction!r} must be in [0, 1)")
        if self.screen_fraction and (self.rounds or self.pruner != "none" or self.sampler != "random"):
            raise ValueError(f"method {self.name!r}: the one-epoch screening draws random configurations, "
                             "without rounds or a pruner")

    @property
    def narrowing(self) -> bool:
        return self.rounds > 0

    @property
    def screening(self) -> bool:
        """One epoch for every configuration, then the best continue (:mod:`hpsearch.benchmark.procedures`)."""
        return self.screen_fraction > 0

    @property
    def replay_only(self) -> bool:
        return self.screening or self.warm_start

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "sampler": self.sampler, "pruner": self.pruner, "rounds": self.rounds,
                "top_fraction": self.top_fraction if self.narrowing else None, "description": self.description,
                "screen_fraction": self.screen_fraction or None, "warm_start": self.warm_start}


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
    Method("one-epoch-top-k", "random", screen_fraction=0.5,
           description="half the budget trains random configurations for one epoch each, the other half takes "
                       "the best k of them to full length: successive halving with one rung at one epoch "
                       "(Jamieson & Talwalkar 2016), the practitioner's 'train each for an epoch, keep the best'"),
    Method("hpsearch-default", "tpe", "asha", warm_start=True,
           description="what studies/fashion_mnist.py runs: the task's prior configurations first, a random "
                       "start-up scaled to the budget, then TPE; cost-aware ASHA with rungs in seconds (replay: "
                       "the table's stored seconds per evaluation, a simulated clock)"),
):
    register_method(_m)

DEFAULT_METHODS: tuple[str, ...] = tuple(METHODS)
LIVE_METHODS: tuple[str, ...] = tuple(name for name, m in METHODS.items() if not m.replay_only)
