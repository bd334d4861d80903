"""Objectives: what one trial trains and scores, as a plain function of (params, fixed settings, seed).

- :mod:`~hpsearch.objectives.registry`: the one place an objective name becomes its settings class, function,
  parameters and direction (``mlp`` here, ``cnn`` and the book's experiments registered lazily);
- :mod:`~hpsearch.objectives.settings`: what every network-training trial fixes (data split, protocol, dtype);
- :mod:`~hpsearch.objectives.training`: the result type and the training every model family shares;
- :mod:`~hpsearch.objectives.mlp` and :mod:`~hpsearch.objectives.cnn`: the two model families;
- :mod:`~hpsearch.objectives.data`: a study's train/validation split and test set in each process, over
  :mod:`~hpsearch.objectives.memmap` (one read-only copy of the arrays per machine).

No Optuna here: an objective is testable with a dict of parameters.
"""

from hpsearch.objectives.mlp import ObjectiveSettings, evaluate
from hpsearch.objectives.registry import OBJECTIVES, Objective, get_objective, register
from hpsearch.objectives.settings import TrainingSettings
from hpsearch.objectives.training import TrialResult

__all__ = ["OBJECTIVES", "Objective", "ObjectiveSettings", "TrainingSettings", "TrialResult", "evaluate",
           "get_objective", "register"]
