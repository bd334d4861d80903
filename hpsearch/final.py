"""The final pick of a search: chosen on validation, trained once more, scored on the test split exactly once.

The one implementation, used by the range narrowing (over all its rounds' studies) and by the full-size
searches (one study). In the objective's direction (maximize or minimize; diverged trials never win):

1. the ``top`` best distinct configurations among the finished trials of every given study are the
   candidates (ties: the earlier study, then the earlier trial);
2. with more than one candidate asked for (``top`` > 1), each is trained again on the split the search
   used, once per seed, and the best mean validation score wins (ties: the better search score);
   with ``top=1`` the best trial is the pick;
3. optionally (``longer=factor``), a length check decides how long the pick is retrained: on the split the
   search used, the pick is trained with one seed for its trial's epochs, for twice as many, doubling while
   under ``factor`` times as many, and for ``factor`` times as many (factor 2: two runs; 4: three), side by
   side; the shortest length whose validation score is within ``min_gain`` of the best length's is kept
   (default 0.002: 20 of 10,000 validation images, about the spread between retraining seeds), so a longer
   run must beat every shorter one by the margin. Paired comparisons on validation, not a significance test;
   the test split is not read;
4. the pick is trained once per seed on the training split (``retrain="train"``) or on training +
   validation (``retrain="train+val"``: more data, the validation split then no longer held out), for the
   epochs step 3 chose (else its trial's), and each net is scored once on the dataset's test split, which
   no selection step ever saw. The test score is the mean over the seeds, with their spread.

Seeds: ``seeds=None`` trains with the chosen trial's own seed (``retrain="train"`` then rebuilds the very net
the trial trained), else once per given seed. The record is stored in the first study (user attribute
``final``) with the names of the studies it was chosen from; called again on the same studies it is
returned unchanged, without training or reading the test split again: a search's test score is measured
once.
"""

from __future__ import annotations

import dataclasses
import logging
import statistics
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np
import optuna
from joblib.externals.loky import get_reusable_executor
from optuna.trial import FrozenTrial, TrialState
from threadpoolctl import threadpool_limits

from hpsearch.objectives.data import load_data
from hpsearch.objectives.registry import Objective, get_objective
from hpsearch.spec import StudySpec
from netcore.trainer import TrainData

__all__ = ["MIN_GAIN", "RETRAIN", "chosen_length", "final_pick", "full_params", "lengths_for",
           "makespan"]

log = logging.getLogger(__name__)

RETRAIN = ("train", "train+val")
MIN_GAIN = 0.002  # what a longer retraining must gain on validation in the length check (20 of 10,000 images)


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


def _train_data(spec: StudySpec, retrain: str) -> TrainData:
    data = load_data(spec.settings)
    if retrain == "train":
        return data
    x = np.concatenate([data.x_train, data.x_val])
    t = np.concatenate([data.t_train, data.t_val])
    return TrainData(x, t, data.x_val, data.t_val)


def _validate(candidates: list[dict[str, Any]], specs: dict[str, StudySpec], objective: Objective,
              seeds: Sequence[int] | None, sign: float, phase: Callable[[str], None]) -> dict[str, Any]:
    """Train every candidate again per seed on the search's split; the best mean validation score wins."""
    for k, cand in enumerate(candidates, start=1):
        runs = seeds if seeds is not None else (cand["seed"],)
        phase(f"final pick: re-training candidate {k}/{len(candidates)} on {len(runs)} seed(s)")
        vals = [objective.evaluate(cand["params"], specs[cand["study"]].settings, seed=s).value for s in runs]
        cand["val_per_seed"] = vals
        cand["val_mean"] = statistics.fmean(vals)
    return max(candidates, key=lambda c: (sign * c["val_mean"], sign * c["search_value"]))


def _settings(spec: StudySpec, epochs: int | None):
    return spec.settings if epochs is None else dataclasses.replace(spec.settings, epochs=int(epochs))


def _score_seeds(spec: StudySpec | dict[str, Any], params: dict[str, Any], seeds: Sequence[int], retrain: str,
                 blas_threads: int | None, epochs: int | None = None) -> list[tuple[float, float, bool, int, int]]:
    """Train the pick once per seed on ``retrain`` (for ``epochs``, None: the trial's) and score each net on the
    test split, read once here (a worker process runs this for its share of the seeds):
    [(test score, seconds, diverged, n_train, n_test)]."""
    spec = spec if isinstance(spec, StudySpec) else StudySpec.from_dict(spec)
    objective = get_objective(spec.objective)
    settings = _settings(spec, epochs)
    out = []
    with threadpool_limits(limits=blas_threads) if blas_threads else nullcontext():
        data = _train_data(spec, retrain)
        x_test, t_test = objective.test_split(spec.settings)
        for seed in seeds:
            t0 = time.perf_counter()
            net, res = objective.fit(params, settings, seed=seed, data=data)
            seconds = time.perf_counter() - t0
            out.append((float(net.accuracy(x_test, t_test)), seconds, bool(res.diverged), len(data.x_train),
                        int(len(t_test))))
    return out


def _validate_lengths(spec: StudySpec | dict[str, Any], params: dict[str, Any], lengths: Sequence[int], seed: int,
                      blas_threads: int | None) -> list[tuple[float, float, bool]]:
    """Train the pick with ``seed`` on the search's split once per length (epochs) and score it on validation:
    [(validation score, seconds, diverged)]."""
    spec = spec if isinstance(spec, StudySpec) else StudySpec.from_dict(spec)
    objective = get_objective(spec.objective)
    out = []
    with threadpool_limits(limits=blas_threads) if blas_threads else nullcontext():
        for epochs in lengths:
            res = objective.evaluate(params, _settings(spec, epochs), seed=seed)
            out.append((float(res.value), float(res.seconds), bool(res.diverged)))
    return out


def _shares(weights: Sequence[float], jobs: int) -> list[list[int]]:
    """Indices of ``weights`` shared out among ``jobs`` workers, longest first to the least loaded one (equal
    weights: round robin)."""
    loads, shares = [0.0] * jobs, [[] for _ in range(jobs)]
    for i in sorted(range(len(weights)), key=lambda i: -weights[i]):  # stable: equal weights keep their order
        k = loads.index(min(loads))
        shares[k].append(i)
        loads[k] += weights[i]
    return [sorted(share) for share in shares if share]


def _side_by_side(task: Callable[..., list], spec: StudySpec, params: dict[str, Any], items: Sequence[Any],
                  n_jobs: int, *args: Any, weights: Sequence[float] | None = None) -> list:
    """``task(spec, params, share, *args)`` over ``items``, shared out among up to ``n_jobs`` worker processes
    (one BLAS thread each, the same results as in this process; ``weights``: the items' costs, the longest
    go first to the least loaded worker); the results in the order of ``items``."""
    jobs = max(1, min(n_jobs, len(items)))
    if jobs == 1:
        return task(spec, params, list(items), *args)
    # loky's reusable executor, as the launch's workers (joblib.Parallel would clash with it in a process that
    # launched a study: both share loky's one executor)
    executor = get_reusable_executor(max_workers=jobs)
    shares = _shares(weights if weights is not None else [1.0] * len(items), jobs)
    futures = [executor.submit(task, spec.to_dict(), params, [items[i] for i in share], *args) for share in shares]
    out: list = [None] * len(items)
    for share, future in zip(shares, futures, strict=True):
        for i, result in zip(share, future.result(), strict=True):
            out[i] = result
    return out


def makespan(weights: Sequence[float], n_jobs: int) -> float:
    """The wall time of ``weights`` shared out as :func:`_side_by_side` does on ``n_jobs`` workers."""
    jobs = max(1, min(n_jobs, len(weights)))
    return max((sum(weights[i] for i in share) for share in _shares(weights, jobs)), default=0.0)


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


def _length_check(chosen: dict[str, Any], spec: StudySpec, factor: float, min_gain: float, seed: int, sign: float,
                  n_jobs: int, blas_threads: int | None) -> dict[str, Any]:
    """Step 3 of the module docstring: the trial's epochs against longer runs (:func:`lengths_for`), one seed,
    side by side; the record says what ran and what was decided."""
    lengths = lengths_for(int(spec.settings.epochs), factor)
    runs = _side_by_side(_validate_lengths, spec, chosen["params"], lengths, n_jobs, seed, blas_threads,
                         weights=lengths)
    values, seconds, diverged = ([r[k] for r in runs] for k in range(3))
    epochs = chosen_length(lengths, values, diverged, min_gain=min_gain, maximize=sign > 0)
    at = lengths.index(epochs)
    return {"factor": float(factor), "epochs": lengths, "seed": int(seed), "values": values,
            "diverged": diverged, "gain": sign * (values[at] - values[0]) if at else 0.0,
            "min_gain": float(min_gain), "paid": epochs != lengths[0], "seconds": seconds, "chosen_epochs": epochs}


def _pace(chosen: dict[str, Any]) -> float | None:
    """Seconds an epoch of the chosen trial took in the search (None: not recorded)."""
    seconds, epochs = chosen.get("seconds"), chosen.get("epochs_run")
    return seconds / epochs if seconds and epochs else None


def _about(seconds: float | None) -> str:
    if seconds is None:
        return ""
    about = f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
    return f"; about {about} at the search's pace"


def _test(chosen: dict[str, Any], spec: StudySpec, seeds: Sequence[int], retrain: str, n_jobs: int,
          blas_threads: int | None, epochs: int | None = None) -> dict[str, Any]:
    """Train the pick once per seed on ``retrain`` and score each net once on the test split; with
    ``n_jobs`` > 1 the seeds are shared out among that many worker processes (one BLAS thread each), which
    give the same nets and scores."""
    runs = _side_by_side(_score_seeds, spec, chosen["params"], seeds, n_jobs, retrain, blas_threads, epochs)
    tests = [r[0] for r in runs]
    seconds = [r[1] for r in runs]
    diverged = any(r[2] for r in runs)
    return {"test_per_seed": tests, "test_mean": statistics.fmean(tests),
            "test_std": statistics.stdev(tests) if len(tests) > 1 else None, "train_seconds": sum(seconds),
            "seconds_per_seed": seconds, "n_train": runs[0][3], "n_test": runs[0][4], "diverged": diverged,
            "parallel_seeds": max(1, min(n_jobs, len(seeds)))}


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
) -> dict[str, Any]:
    """Pick among the finished trials of ``studies`` (each with its spec), retrain, score on test once; see
    the module docstring. Returns (and stores) the record: candidates, chosen, trial, study, params, value
    (the search score), seeds, test_per_seed, test_mean, test_std, test_acc (= test_mean), retrain, n_train,
    n_search_train, n_test, train_seconds, diverged, direction, studies, dataset. ``blas_threads`` pins BLAS
    while training (None: leave it); ``n_jobs`` > 1 trains the seeds of the test scoring side by side in that
    many worker processes (the same nets and scores as one after the other). ``longer`` (a factor > 1, None:
    off) runs the length check of step 3 first, with the first retraining seed; ``min_gain`` is its margin.
    The record then holds ``length_check`` and ``epochs`` (the retraining's)."""
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
        chosen = _validate(candidates, by_name, objective, seeds, sign, phase) if top > 1 else candidates[0]
        runs = list(seeds) if seeds is not None else [chosen["seed"]]
        spec = by_name[chosen["study"]]
        check = None
        pace = _pace(chosen)
        if longer is not None:
            lengths = lengths_for(int(spec.settings.epochs), longer)
            wall = pace and pace * makespan(lengths, n_jobs)
            phase(f"final pick: length check on validation ({', '.join(map(str, lengths))} epochs side by side"
                  f"{_about(wall)})")
            check = _length_check(chosen, spec, longer, min_gain, runs[0], sign, n_jobs, blas_threads)
        epochs = check["chosen_epochs"] if check else int(spec.settings.epochs)
        data = load_data(spec.settings)
        more = 1.0 + (len(data.x_val) / len(data.x_train) if retrain == "train+val" else 0.0)  # images an epoch
        wall = pace and pace * more * makespan([epochs] * len(runs), n_jobs)
        phase(f"final pick: scoring the chosen configuration on the test split ({len(runs)} seed(s), "
              f"{epochs} epochs{_about(wall)})")
        scored = _test(chosen, spec, runs, retrain, n_jobs, blas_threads, epochs)
    final = {
        "studies": names, "direction": objective.direction, "candidates": candidates, "chosen": chosen,
        "study": chosen["study"], "trial": chosen["trial"], "params": chosen["params"],
        "value": chosen["search_value"], "seeds": runs, "seed": runs[0], "retrain": retrain,
        "n_search_train": len(load_data(spec.settings).x_train), "test_acc": scored["test_mean"], **scored,
        "epochs": epochs, "length_check": check,
        "dataset": getattr(spec.settings, "dataset", None),
    }
    studies[0].set_user_attr("final", final)
    log.info("%s: final pick trial %d of %s, test accuracy %.4f over %d seed(s)", names[0], chosen["trial"],
             chosen["study"], final["test_acc"], len(runs))
    return final
