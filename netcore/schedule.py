"""Learning-rate schedules: the factor that multiplies the base learning rate at update ``i`` of ``total``.

``constant`` is the book's (the factor is always 1). The two others are recorded modern options, not the book:
``step`` divides the rate by 10 after half and again after three quarters of the updates; ``cosine`` follows
half a cosine from 1 down to 0 over the run, ``0.5 * (1 + cos(pi * i / total))``.
"""

from __future__ import annotations

import math

__all__ = ["SCHEDULES", "lr_factor"]

SCHEDULES = ("constant", "step", "cosine")


def lr_factor(schedule: str, i: int, total: int) -> float:
    """The learning-rate multiplier for update ``i`` (0-based) of a run of ``total`` updates."""
    if schedule == "constant":
        return 1.0
    frac = min(max(i / max(total, 1), 0.0), 1.0)
    if schedule == "step":
        return 1.0 if frac < 0.5 else (0.1 if frac < 0.75 else 0.01)
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * frac))
    raise ValueError(f"lr schedule {schedule!r} is unknown: use one of {', '.join(SCHEDULES)}")
