"""The length check: how long the final pick is retrained, decided on validation (step 3 of
:mod:`hpsearch.final`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hpsearch.final.runs import validate_runs
from hpsearch.final.sharing import shared_out
from hpsearch.spec import StudySpec

__all__ = ["MIN_GAIN", "about", "chosen_length", "length_check", "lengths_for", "pace"]

MIN_GAIN = 0.002  # what a longer retraining must gain on validation in the length check (20 of 10,000 images)


def lengths_for(base: int, factor: float) -> list[int]:
    """The lengths (epochs) a length check trains: the trial's ``base``, doubled while under ``factor`` times
    it, and ``factor`` times it (factor 2: [base, 2 base]; 4: [base, 2 base, 4 base]; 3: [base, 2 base,
    3 base])."""
    top = max(base + 1, round(factor * base))
    lengths = [int(base)]
    while 2 * lengths[-1] < top:
        lengths.append(2 * lengths[-1])
    return [*lengths, int(top)]


def chosen_length(lengths: Sequence[int], values: Sequence[float], diverged: Sequence[bool], *,
                  min_gain: float = MIN_GAIN, maximize: bool = True) -> int:
    """The shortest length whose validation score is within ``min_gain`` of the best length's: a longer run is
    kept only if it beats every shorter one by at least the margin. Diverged or NaN runs never count; none
    left: the first length."""
    sign = 1.0 if maximize else -1.0
    ok = [i for i, v in enumerate(values) if not diverged[i] and np.isfinite(v)]
    if not ok:
        return int(lengths[0])
    best = max(sign * values[i] for i in ok)
    return int(next(lengths[i] for i in ok if sign * values[i] >= best or best - sign * values[i] < min_gain))


def length_check(chosen: dict[str, Any], spec: StudySpec, factor: float, min_gain: float, seed: int, sign: float,
                  n_jobs: int, blas_threads: int | None) -> dict[str, Any]:
    """Step 3 of the module docstring: the trial's epochs against longer runs (:func:`lengths_for`), one seed,
    side by side; the record says what ran and what was decided."""
    lengths = lengths_for(int(spec.settings.epochs), factor)
    runs = shared_out(validate_runs, [(spec.to_dict(), chosen["params"], seed, e) for e in lengths], n_jobs,
                      blas_threads, weights=lengths)
    values, seconds, diverged = ([r[k] for r in runs] for k in range(3))
    epochs = chosen_length(lengths, values, diverged, min_gain=min_gain, maximize=sign > 0)
    at = lengths.index(epochs)
    return {"factor": float(factor), "epochs": lengths, "seed": int(seed), "values": values,
            "diverged": diverged, "gain": sign * (values[at] - values[0]) if at else 0.0,
            "min_gain": float(min_gain), "paid": epochs != lengths[0], "seconds": seconds, "chosen_epochs": epochs}


def pace(chosen: dict[str, Any], evals_per_epoch: int = 1) -> float | None:
    """Seconds an epoch of the chosen trial took in the search (None: not recorded). The trial records its
    evaluations (``epochs_run``), ``evals_per_epoch`` to an epoch (the real-size protocol's 4)."""
    seconds, evaluations = chosen.get("seconds"), chosen.get("epochs_run")
    return seconds * max(int(evals_per_epoch), 1) / evaluations if seconds and evaluations else None


def about(seconds: float | None) -> str:
    if seconds is None:
        return ""
    about = f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
    return f"; about {about} at the search's pace"
