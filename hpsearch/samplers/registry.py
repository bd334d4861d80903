"""Sampler and pruner registries: the only place a sampler or pruner name becomes an Optuna object.

Samplers ``random`` (the book's), ``qmc`` and ``grid`` are *planned*: their parameters for every slot are
computed up front by :mod:`hpsearch.samplers.planned` and enqueued, so the Optuna sampler object behind them is never
consulted (a seeded RandomSampler stands in). ``tpe`` and ``cmaes`` are adaptive: each worker builds its own
instance with a distinct seed.

Pruners watch the per-epoch validation accuracy (``trial.report(val_acc, epoch)``). ``asha`` is hpsearch's
cost-aware asynchronous successive halving (:mod:`hpsearch.samplers.asha`): its decisions are taken by the
worker on the seconds each trial spent (:mod:`hpsearch.execution.scheduling`), so the Optuna pruner behind it
never prunes.
"""

from __future__ import annotations

from collections.abc import Callable

import optuna

from hpsearch.samplers.planned import PLANNED

__all__ = ["SAMPLERS", "PRUNERS", "make_sampler", "make_pruner"]


def _tpe(seed: int, startup: int | None = None) -> optuna.samplers.BaseSampler:
    if startup is None:
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True)
    return optuna.samplers.TPESampler(seed=seed, constant_liar=True, n_startup_trials=startup)


def _cmaes(seed: int, startup: int | None = None) -> optuna.samplers.BaseSampler:
    # categorical and conditional parameters fall back to random sampling: that is expected, keep it quiet
    return optuna.samplers.CmaEsSampler(
        seed=seed,
        warn_independent_sampling=False,
        independent_sampler=optuna.samplers.RandomSampler(seed=seed),
    )


def _planned(seed: int, startup: int | None = None) -> optuna.samplers.BaseSampler:
    return optuna.samplers.RandomSampler(seed=seed)


SAMPLERS: dict[str, Callable[..., optuna.samplers.BaseSampler]] = {
    "random": _planned,
    "tpe": _tpe,
    "cmaes": _cmaes,
    "qmc": _planned,
    "grid": _planned,
}


def _median(epochs: int) -> optuna.pruners.BasePruner:
    return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=max(1, epochs // 5))


def _sha(epochs: int) -> optuna.pruners.BasePruner:
    return optuna.pruners.SuccessiveHalvingPruner(min_resource=max(1, epochs // 9), reduction_factor=3)


def _hyperband(epochs: int) -> optuna.pruners.BasePruner:
    return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs, reduction_factor=3)


PRUNERS: dict[str, Callable[[int], optuna.pruners.BasePruner]] = {
    "none": lambda epochs: optuna.pruners.NopPruner(),
    "median": _median,
    "sha": _sha,
    "hyperband": _hyperband,
    "asha": lambda epochs: optuna.pruners.NopPruner(),
}
_PRUNER_ALIASES = {"successive_halving": "sha", "successive-halving": "sha", "nop": "none", "asha-cost": "asha"}


def pruner_name(name: str) -> str:
    """The registry key for ``name`` (accepts 'successive_halving' for 'sha')."""
    key = _PRUNER_ALIASES.get(name, name)
    if key not in PRUNERS:
        raise ValueError(f"pruner {name!r} is unknown; choose one of {', '.join(PRUNERS)}")
    return key


def check_sampler(name: str) -> str:
    if name not in SAMPLERS:
        raise ValueError(f"sampler {name!r} is unknown; choose one of {', '.join(SAMPLERS)}")
    return name


def is_planned(name: str) -> bool:
    return check_sampler(name) in PLANNED


def make_sampler(name: str, *, seed: int, startup: int | None = None) -> optuna.samplers.BaseSampler:
    """A fresh sampler ``name`` seeded with ``seed`` (each worker passes its own); ``startup``: the trials an
    adaptive sampler treats as its start-up (None: the sampler's default; a warm start sets it)."""
    return SAMPLERS[check_sampler(name)](seed, startup)


def make_pruner(name: str, *, epochs: int) -> optuna.pruners.BasePruner:
    """Pruner ``name`` for trials of ``epochs`` evaluations."""
    return PRUNERS[pruner_name(name)](epochs)
