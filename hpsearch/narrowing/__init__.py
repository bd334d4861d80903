"""Range narrowing, the book's section 6.5 procedure: a pure rule, and the rounds that apply it.

- :mod:`~hpsearch.narrowing.rule`: (space, finished trials, rule) -> the next space, and the step past a
  pressed bound (pure functions, no Optuna);
- :mod:`~hpsearch.narrowing.rounds`: each round a new study linked to its parent, the step beyond the book,
  then the final pick (:mod:`hpsearch.final`).
"""

from hpsearch.narrowing.rounds import NarrowingResult, run_narrowing
from hpsearch.narrowing.rule import NarrowRule, narrow, widen_past

__all__ = ["NarrowRule", "NarrowingResult", "narrow", "run_narrowing", "widen_past"]
