"""The final pick of a study: chosen on validation, trained once more, scored on the test split exactly once.

:func:`final_pick` chooses the finished trial with the best validation score (in the study's direction;
diverged trials never win), trains its configuration again with the trial's own seed, either on the
training split alone (``retrain="train"``: the very net the trial trained, up to floating-point
determinism) or on training + validation (``retrain="train+val"``: 20 % more data, the validation split is
then no longer held out), and evaluates that net on the dataset's test split. The result is stored in the
study (user attribute ``final``); a second call returns the stored result without training or reading the
test split again: a study's test score is measured once.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import optuna
from optuna.trial import TrialState

from hpsearch.objectives import get_objective
from hpsearch.spec import StudySpec
from hpsearch.trial_data import load_data
from netcore.trainer import TrainData

__all__ = ["RETRAIN", "final_pick"]

log = logging.getLogger(__name__)

RETRAIN = ("train", "train+val")


def _best_trial(study: optuna.Study, direction: str) -> optuna.trial.FrozenTrial:
    done = [
        t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.value is not None and not t.user_attrs.get("result", {}).get("diverged", False)
    ]
    if not done:
        raise ValueError(f"study {study.study_name} has no finished, non-diverged trial to pick; run it longer")
    return (max if direction == "maximize" else min)(done, key=lambda t: t.value)


def _train_data(spec: StudySpec, retrain: str) -> TrainData:
    data = load_data(spec.settings)
    if retrain == "train":
        return data
    x = np.concatenate([data.x_train, data.x_val])
    t = np.concatenate([data.t_train, data.t_val])
    return TrainData(x, t, data.x_val, data.t_val)


def final_pick(study: optuna.Study, spec: StudySpec, *, retrain: str = "train+val") -> dict[str, Any]:
    """Pick, retrain and score on test once; returns (and stores) {trial, params, value, retrain,
    test_acc, train_seconds, ...}. A study that already holds its final score returns it unchanged."""
    if "final" in study.user_attrs:
        return dict(study.user_attrs["final"])
    if retrain not in RETRAIN:
        raise ValueError(f"retrain={retrain!r} is unknown; use one of {', '.join(RETRAIN)}")
    objective = get_objective(spec.objective)
    if objective.fit is None or objective.test_split is None:
        raise ValueError(f"objective {spec.objective!r} has no final scoring; pick a trial and score it yourself")
    best = _best_trial(study, objective.direction)
    params = {**best.system_attrs.get("fixed_params", {}), **best.params}
    seed = int(best.user_attrs.get("seed", 0))
    t0 = time.perf_counter()
    data = _train_data(spec, retrain)
    net, res = objective.fit(params, spec.settings, seed=seed, data=data)
    seconds = time.perf_counter() - t0
    x_test, t_test = objective.test_split(spec.settings)
    test_acc = float(net.accuracy(x_test, t_test))
    final = {
        "trial": best.number, "params": params, "seed": seed, "value": float(best.value), "retrain": retrain,
        "n_train": len(data.x_train), "n_search_train": len(load_data(spec.settings).x_train),
        "test_acc": test_acc, "n_test": int(len(t_test)), "train_seconds": seconds, "diverged": res.diverged,
    }
    study.set_user_attr("final", final)
    log.info("study %s: final pick trial %d, test accuracy %.4f", study.study_name, best.number, test_acc)
    return final
