"""The final pick itself (:func:`final_pick`; the steps are in :mod:`hpsearch.final`'s docstring)."""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from functools import partial
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState
from threadpoolctl import threadpool_limits

from hpsearch.final.length import MIN_GAIN, about, length_check, lengths_for, pace
from hpsearch.final.runs import score_seeds, validate_runs
from hpsearch.final.sharing import makespan, shared_out
from hpsearch.objectives.data import load_data
from hpsearch.objectives.registry import get_objective
from hpsearch.spec import StudySpec

__all__ = ["RETRAIN", "final_pick", "full_params"]

log = logging.getLogger("hpsearch.final")

RETRAIN = ("train", "train+val")


def full_params(trial: FrozenTrial) -> dict[str, Any]:
    """The parameters a trial trained with: the searched ones and the space's fixed ones."""
    return {**trial.system_attrs.get("fixed_params", {}), **trial.params}


def _finished(study: optuna.Study) -> list[FrozenTrial]:
    return [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if t.value is not None and not t.user_attrs.get("result", {}).get("diverged", False)]


def _candidates(specs: Sequence[StudySpec], studies: Sequence[optuna.Study], top: int, sign: float
                ) -> list[dict[str, Any]]:
    """The ``top`` best distinct configurations, best first (``sign`` 1: maximize, -1: minimize)."""
    pool = [(spec, t) for spec, study in zip(specs, studies, strict=True) for t in _finished(study)]
    pool.sort(key=lambda item: -sign * item[1].value)  # stable: ties keep study, then trial order
    seen, out = set(), []
    for spec, t in pool:
        params = full_params(t)
        key = tuple(sorted(params.items()))
        if key in seen:
            continue
        seen.add(key)
        result = t.user_attrs.get("result", {})
        out.append({"study": spec.name, "trial": t.number, "params": params, "search_value": float(t.value),
                    "seed": int(t.user_attrs.get("seed", 0)), "seconds": result.get("seconds"),
                    "epochs_run": result.get("epochs_run")})
        if len(out) == top:
            break
    return out


def _validate(candidates: list[dict[str, Any]], specs: dict[str, StudySpec], seeds: Sequence[int] | None,
              sign: float, phase: Callable[[str], None], n_jobs: int, blas_threads: int | None) -> dict[str, Any]:
    """Train every candidate again per seed on the search's split (the runs shared out among ``n_jobs``
    worker processes, the same scores as one after the other); the best mean validation score wins."""
    pairs = [(k, s) for k, cand in enumerate(candidates) for s in (seeds if seeds is not None else [cand["seed"]])]
    runs = [(specs[candidates[k]["study"]].to_dict(), candidates[k]["params"], s, None) for k, s in pairs]
    costs = [float(candidates[k].get("seconds") or 1.0) for k, _ in pairs]
    known = all(cand.get("seconds") for cand in candidates)
    phase(f"final pick: re-training {len(candidates)} candidates on validation, {len(runs)} runs side by side"
          f"{about(makespan(costs, n_jobs) if known else None)}")
    scores = shared_out(validate_runs, runs, n_jobs, blas_threads, weights=costs)
    for k, cand in enumerate(candidates):
        mine = [score for (j, _), score in zip(pairs, scores, strict=True) if j == k]
        cand["val_per_seed"] = [score[0] for score in mine]
        cand["val_mean"] = statistics.fmean(cand["val_per_seed"])
        cand["val_seconds"] = sum(score[1] for score in mine)
    return max(candidates, key=lambda c: (sign * c["val_mean"], sign * c["search_value"]))


def _test(chosen: dict[str, Any], spec: StudySpec, seeds: Sequence[int], retrain: str, n_jobs: int,
          blas_threads: int | None, epochs: int | None = None) -> dict[str, Any]:
    """Train the pick once per seed on ``retrain`` and score each net once on the test split; with
    ``n_jobs`` > 1 the seeds are shared out among that many worker processes (one BLAS thread each), which
    give the same nets and scores."""
    runs = shared_out(partial(score_seeds, spec.to_dict(), chosen["params"]), seeds, n_jobs, retrain, blas_threads,
                      epochs)
    tests = [r[0] for r in runs]
    seconds = [r[1] for r in runs]
    diverged = any(r[2] for r in runs)
    return {"test_per_seed": tests, "test_mean": statistics.fmean(tests),
            "test_std": statistics.stdev(tests) if len(tests) > 1 else None, "train_seconds": sum(seconds),
            "seconds_per_seed": seconds, "n_train": runs[0][3], "n_test": runs[0][4], "diverged": diverged,
            "parallel_seeds": max(1, min(n_jobs, len(seeds))),
            **({"test_per_seed_plain": [r[5] for r in runs]} if runs[0][5] is not None else {})}


def _as_lists(studies: optuna.Study | Sequence[optuna.Study], specs: StudySpec | Sequence[StudySpec]
              ) -> tuple[list[optuna.Study], list[StudySpec]]:
    studies = [studies] if isinstance(studies, optuna.Study) else list(studies)
    specs = [specs] if isinstance(specs, StudySpec) else list(specs)
    if not studies or len(studies) != len(specs):
        raise ValueError(f"final pick: give one spec per study ({len(studies)} studies, {len(specs)} specs)")
    objectives = {s.objective for s in specs}
    if len(objectives) > 1:
        raise ValueError(f"final pick: the studies have different objectives ({', '.join(sorted(objectives))}); "
                         "pick among studies of one objective")
    return studies, specs


def final_pick(
    studies: optuna.Study | Sequence[optuna.Study],
    specs: StudySpec | Sequence[StudySpec],
    *,
    retrain: str = "train+val",
    top: int = 1,
    seeds: Sequence[int] | None = None,
    blas_threads: int | None = 1,
    on_phase: Callable[[str], None] | None = None,
    n_jobs: int = 1,
    longer: float | None = None,
    min_gain: float = MIN_GAIN,
    epochs: int | None = None,
) -> dict[str, Any]:
    """Pick among the finished trials of ``studies`` (each with its spec), retrain, score on test once; see
    the module docstring. Returns (and stores) the record: candidates, chosen, trial, study, params, value
    (the search score), seeds, test_per_seed, test_mean, test_std, test_acc (= test_mean), retrain, n_train,
    n_search_train, n_test, train_seconds, diverged, direction, studies, dataset. ``blas_threads`` pins BLAS
    while training (None: leave it); ``n_jobs`` > 1 trains the candidates' runs, the length check's and the test
    scoring's seeds side by side in that many worker processes (the same nets and scores as one after the
    other). ``longer`` (a factor > 1, None: off) runs the length check of step 3 first, with the first
    retraining seed; ``min_gain`` is its margin. ``epochs`` (None: the trial's, or the check's choice) retrains
    for that many epochs without a check; it excludes ``longer``. The record holds ``length_check`` (None when
    no check ran), ``epochs`` (the retraining's) and ``trial_epochs`` (the search's)."""
    studies, specs = _as_lists(studies, specs)
    names = [s.name for s in specs]
    stored = studies[0].user_attrs.get("final")
    if stored is not None and stored.get("studies", names) == names:
        return dict(stored)
    if retrain not in RETRAIN:
        raise ValueError(f"retrain={retrain!r} is unknown; use one of {', '.join(RETRAIN)}")
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"top={top!r} is invalid; give a number of candidates >= 1")
    if seeds is not None and not seeds:
        raise ValueError("seeds=() is empty; give one seed or more (None: the chosen trial's own seed)")
    if longer is not None and not (isinstance(longer, int | float) and not isinstance(longer, bool)
                                   and 1.0 < longer <= 10.0):
        raise ValueError(f"longer={longer!r} is invalid; give a factor above 1 and at most 10 (e.g. 2), or None")
    if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1):
        raise ValueError(f"epochs={epochs!r} is invalid; give a whole number of epochs >= 1, or None (the trial's)")
    if epochs is not None and longer is not None:
        raise ValueError("give either epochs (a fixed retraining length) or longer (a length check), not both")
    if not (isinstance(min_gain, int | float) and 0.0 <= min_gain < 1.0):
        raise ValueError(f"min_gain={min_gain!r} is invalid; give a score margin >= 0, e.g. {MIN_GAIN}")
    objective = get_objective(specs[0].objective)
    if objective.fit is None or objective.test_split is None:
        raise ValueError(f"objective {objective.name!r} has no final scoring; pick a trial and score it yourself")
    phase = on_phase or (lambda text: log.info("%s: %s", names[0], text))
    sign = 1.0 if objective.direction == "maximize" else -1.0
    candidates = _candidates(specs, studies, top, sign)
    if not candidates:
        raise ValueError(f"study {names[0]} has no finished, non-diverged trial to pick; run it longer")
    by_name = dict(zip(names, specs, strict=True))
    with threadpool_limits(limits=blas_threads) if blas_threads else nullcontext():
        chosen = (_validate(candidates, by_name, seeds, sign, phase, n_jobs, blas_threads) if top > 1
                  else candidates[0])
        runs = list(seeds) if seeds is not None else [chosen["seed"]]
        spec = by_name[chosen["study"]]
        check = None
        per_epoch = getattr(spec.settings, "n_evals", spec.settings.epochs) // spec.settings.epochs
        speed = pace(chosen, per_epoch)
        if longer is not None:
            lengths = lengths_for(int(spec.settings.epochs), longer)
            wall = speed and speed * makespan(lengths, n_jobs)
            phase(f"final pick: length check on validation ({', '.join(map(str, lengths))} epochs side by side"
                  f"{about(wall)})")
            check = length_check(chosen, spec, longer, min_gain, runs[0], sign, n_jobs, blas_threads)
        epochs = check["chosen_epochs"] if check else (epochs or int(spec.settings.epochs))
        data = load_data(spec.settings)
        more = 1.0 + (len(data.x_val) / len(data.x_train) if retrain == "train+val" else 0.0)  # images an epoch
        wall = speed and speed * more * makespan([epochs] * len(runs), n_jobs)
        phase(f"final pick: scoring the chosen configuration on the test split ({len(runs)} seed(s), "
              f"{epochs} epochs{about(wall)})")
        scored = _test(chosen, spec, runs, retrain, n_jobs, blas_threads, epochs)
    final = {
        "studies": names, "direction": objective.direction, "candidates": candidates, "chosen": chosen,
        "study": chosen["study"], "trial": chosen["trial"], "params": chosen["params"],
        "value": chosen["search_value"], "seeds": runs, "seed": runs[0], "retrain": retrain,
        "n_search_train": len(load_data(spec.settings).x_train), "test_acc": scored["test_mean"], **scored,
        "epochs": epochs, "trial_epochs": int(spec.settings.epochs), "length_check": check,
        "dataset": getattr(spec.settings, "dataset", None),
    }
    studies[0].set_user_attr("final", final)
    log.info("%s: final pick trial %d of %s, test accuracy %.4f over %d seed(s)", names[0], chosen["trial"],
             chosen["study"], final["test_acc"], len(runs))
    return final
