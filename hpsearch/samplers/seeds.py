"""Seeds: every seed of a study derived from (study seed, purpose, index), so a trial re-runs exactly.

A trial's training seed depends on the study seed and its slot only, never on the number of workers; each
worker's adaptive sampler (TPE, CMA-ES) gets a distinct seed, so workers never suggest the same points.
"""

from __future__ import annotations

import numpy as np

__all__ = ["derive_seed", "sampler_seed", "train_seed"]

# the purposes of derive_seed: distinct streams from one study seed
TRAIN, PARAMS, SAMPLER, QMC = 0, 1, 2, 3


def derive_seed(seed: int, purpose: int, index: int) -> int:
    """A 32-bit seed for ``purpose`` (training, params, sampler, ...) and ``index`` from the study seed."""
    return int(np.random.SeedSequence([int(seed), purpose, int(index)]).generate_state(1)[0])


def train_seed(seed: int, slot: int) -> int:
    """The training seed of slot ``slot``: what a trial's Generator is built from."""
    return derive_seed(seed, TRAIN, slot)


def sampler_seed(seed: int, worker: int) -> int:
    """A distinct seed per worker for the adaptive samplers (TPE, CMA-ES)."""
    return derive_seed(seed, SAMPLER, worker)
