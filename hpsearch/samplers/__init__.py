"""Samplers and pruners: how a study chooses its trials' parameters and stops the hopeless ones early.

- :mod:`~hpsearch.samplers.registry`: the one place a sampler or pruner name becomes an Optuna object;
- :mod:`~hpsearch.samplers.planned`: the planned samplers (random, QMC, grid), every slot's parameters
  computed up front, the same whatever the number of workers;
- :mod:`~hpsearch.samplers.seeds`: every seed of a study derived from (study seed, purpose, index).
"""

from hpsearch.samplers.planned import PLANNED, grid_size, plan
from hpsearch.samplers.registry import PRUNERS, SAMPLERS, make_pruner, make_sampler
from hpsearch.samplers.seeds import derive_seed, sampler_seed, train_seed

__all__ = ["PLANNED", "PRUNERS", "SAMPLERS", "derive_seed", "grid_size", "make_pruner", "make_sampler", "plan",
           "sampler_seed", "train_seed"]
