"""Learning-rate schedules: the factor that multiplies the base learning rate at update ``i`` of ``total``.

``constant`` is the book's (the factor is always 1). The others are recorded modern options, not the book:
``step`` divides the rate by 10 after half and again after three quarters of the updates; ``cosine`` follows
half a cosine from 1 down to 0 over the run, ``0.5 * (1 + cos(pi * i / total))`` (Loshchilov & Hutter 2017,
"SGDR", one cycle without restarts). ``warmup-cosine`` first warms up linearly over the first
``W = round(warmup * total)`` updates (at least one when ``warmup > 0``), factor ``(i + 1) / W`` (1/W at the
first update, 1 at update W - 1; Goyal et al. 2017, "Accurate, Large Minibatch SGD"), then follows half a
cosine from 1 to 0 over the remaining updates, ``0.5 * (1 + cos(pi * (i - W) / (total - W)))``. With
``warmup = 0`` it is ``cosine``. ``warmup`` (default :data:`WARMUP`) is read by ``warmup-cosine`` only.
"""

from __future__ import annotations

import math

__all__ = ["SCHEDULES", "WARMUP", "check_warmup", "lr_factor", "warmup_updates"]

SCHEDULES = ("constant", "step", "cosine", "warmup-cosine")
WARMUP = 0.05
"""The default fraction of the updates ``warmup-cosine`` spends warming up."""


def check_warmup(warmup: float) -> None:
    """Raise a one-line ValueError unless ``warmup`` is a fraction of the updates in [0, 1)."""
    if isinstance(warmup, bool) or not (0.0 <= warmup < 1.0):
        raise ValueError(f"warmup={warmup!r} must be a fraction of the updates in [0, 1), e.g. {WARMUP}")


def warmup_updates(warmup: float, total: int) -> int:
    """How many of ``total`` updates ``warmup-cosine`` spends warming up: round(warmup * total), >= 1 if warmup > 0."""
    check_warmup(warmup)
    return max(round(warmup * total), 1) if warmup > 0 else 0


def lr_factor(schedule: str, i: int, total: int, *, warmup: float = WARMUP) -> float:
    """The learning-rate multiplier for update ``i`` (0-based) of a run of ``total`` updates."""
    if schedule == "constant":
        return 1.0
    if schedule == "warmup-cosine":
        w = warmup_updates(warmup, total)
        if i < w:
            return (i + 1) / w
        i, total = i - w, total - w
        schedule = "cosine"
    frac = min(max(i / max(total, 1), 0.0), 1.0)
    if schedule == "step":
        return 1.0 if frac < 0.5 else (0.1 if frac < 0.75 else 0.01)
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * frac))
    raise ValueError(f"lr schedule {schedule!r} is unknown: use one of {', '.join(SCHEDULES)}")
