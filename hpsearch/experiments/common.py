"""Shared pieces of the chapter-6 experiments: settings plumbing, seeds, data, and the book's hand-coded loop.

Seeds. An experiment's grid has a ``seed`` parameter (the replicate). Every random stream of a trial is
derived from that parameter and a purpose (``derived_rng(seed, "batches")``, ``derived_rng(seed, "init",
method)``), never from the trial's slot: so the trials of one replicate that differ only by their method
(optimizer, init, regulariser, ...) draw the SAME minibatches, whatever worker runs them and in what order.

The loop. The book's comparison scripts (optimizers, inits, batch norm, weight decay) do not use its Trainer:
they draw ``batch_size`` indices uniformly WITH replacement at every step, compute the gradient, update, and
record the loss of the same batch AFTER the update; some evaluate after update ``i`` when ``i`` is a multiple
of the "epoch" length ``N/B`` (so after the very first update) and stop after a given number of evaluations.
:func:`book_loop` is that loop.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from hpsearch.checks import check_net_size, check_types
from hpsearch.objectives.training import TrialResult
from netcore.data import load_dataset
from netcore.trainer import take_rows

__all__ = [
    "DTYPES", "LoopResult", "SettingsBase", "book_eval_every", "book_loop", "derived_rng", "replicate_seed",
    "result", "train_test", "updates_for",
]

DTYPES = {"float32": np.float32, "float64": np.float64}


class SettingsBase:
    """``to_dict``/``from_dict`` for the experiments' frozen settings dataclasses (tuples travel as lists)."""

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]):
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"settings: unknown field {unknown[0]!r}; known fields are {sorted(known)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})

    def __post_init__(self) -> None:
        """What every experiment's settings share: ``hidden`` as a tuple of ints, a known dtype, epochs >= 1.
        A subclass with checks of its own calls ``super().__post_init__()`` first. Every field's type is checked
        against its annotation first (:func:`hpsearch.checks.check_types`)."""
        check_types(self, "settings")
        if hasattr(self, "hidden"):
            object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))  # type: ignore[attr-defined]
            if not self.hidden or min(self.hidden) < 1:  # type: ignore[attr-defined]
                raise ValueError(f"settings: hidden={self.hidden!r} must list positive layer widths")  # type: ignore[attr-defined]
            check_net_size(self.hidden, "settings")  # type: ignore[attr-defined]
        dtype = getattr(self, "dtype", "float32")
        if dtype not in DTYPES:
            raise ValueError(f"settings: dtype={dtype!r} is unknown; use 'float32' or 'float64'")
        epochs = getattr(self, "epochs", 1)
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"settings: epochs={epochs!r} must be an integer >= 1")


def _word(key: str | int) -> int:
    return int(key) if isinstance(key, (int, np.integer)) else zlib.crc32(str(key).encode("utf-8"))


def derived_rng(seed: int, *keys: str | int) -> np.random.Generator:
    """A Generator for one purpose of replicate ``seed`` (keys: strings are hashed with CRC-32)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), *(_word(k) for k in keys)]))


def replicate_seed(params: Mapping[str, Any], slot_seed: int) -> int:
    """The replicate seed: the grid's ``seed`` parameter, or the trial's slot seed when there is none."""
    return int(params["seed"]) if "seed" in params else int(slot_seed)


_DATA: dict[tuple, tuple[np.ndarray, ...]] = {}


def train_test(dataset: str, n_train: int | None, dtype: str) -> tuple[np.ndarray, ...]:
    """(x_train[:n_train], t_train[:n_train], x_test, t_test) of ``dataset`` in ``dtype``, cached per process;
    the book takes fixed prefixes of the training set in its canonical order (``None``: all of it)."""
    key = (dataset, n_train, dtype)
    if key not in _DATA:
        ds = load_dataset(dataset)
        n = len(ds.x_train) if n_train is None else int(n_train)
        if not 1 <= n <= len(ds.x_train):
            raise ValueError(f"settings: n_train={n_train!r} but {dataset} has {len(ds.x_train)} training images")
        dt = DTYPES[dtype]
        _DATA[key] = (ds.x_train[:n].astype(dt), ds.t_train[:n], ds.x_test.astype(dt), ds.t_test)
    return _DATA[key]


def updates_for(settings: Any) -> int:
    """Updates of one run of a hand-coded book loop that stops right after its last evaluation: that evaluation is
    after update (epochs - 1) * every (the book: 191 for batch norm, 601 for overfitting)."""
    return (settings.epochs - 1) * book_eval_every(settings.n_train, settings.batch_size) + 1


def book_eval_every(n: int, batch_size: int) -> int:
    """The period at which the book's ``i % max(N/B, 1) == 0`` (a float modulo) fires: N/B when B divides N,
    otherwise N/gcd(N, B) (the smallest i with i*B/N whole, e.g. 125 for N=1000, B=128); 1 when N <= B."""
    if n <= batch_size:
        return 1
    return n // batch_size if n % batch_size == 0 else n // math.gcd(n, batch_size)


@dataclass
class LoopResult:
    losses: list[float] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)  # the update index of each evaluation
    updates: int = 0
    samples: int = 0
    diverged: bool = False
    seconds: float = 0.0


def book_loop(
    net: Any,
    opt: Any,
    x: np.ndarray,
    t: np.ndarray,
    *,
    rng: np.random.Generator,
    batch_size: int,
    updates: int,
    every: int = 0,
    on_eval: Callable[[int], None] | None = None,
    loss_record: str = "post",
) -> LoopResult:
    """``updates`` book steps on (x, t); ``on_eval(i)`` after update i whenever ``every`` and i % every == 0.

    The recorded loss is the post-update loss of the batch (inference mode, weight-decay term included), or
    with ``loss_record="pre"`` the loss of the gradient pass (no extra forward, shifted by one update). A
    non-finite loss stops the loop (``diverged``)."""
    if loss_record not in ("post", "pre"):
        raise ValueError(f"loss_record={loss_record!r} is unknown; use 'post' (book) or 'pre'")
    out = LoopResult()
    n = len(x)
    t0 = time.perf_counter()
    xb = None
    with np.errstate(all="ignore"):
        for i in range(updates):
            idx = rng.integers(0, n, size=batch_size)
            xb, tb = take_rows(x, idx, xb), t[idx]
            loss = net.gradient(xb, tb)
            opt.update(net.params, net.grads, overwrite_grads=True)
            if loss_record == "post":
                loss = net.loss(xb, tb, train=False)
            out.losses.append(float(loss))
            out.updates += 1
            out.samples += batch_size
            if not math.isfinite(loss):
                out.diverged = True
                break
            if every and i % every == 0:
                out.steps.append(i)
                if on_eval is not None:
                    on_eval(i)
    out.seconds = time.perf_counter() - t0
    return out


def result(value: float, curves: Mapping[str, list[float]], loop: LoopResult | None = None, *,
           best: float | None = None, seconds: float | None = None) -> TrialResult:
    """A TrialResult of an experiment (``best`` fills ``best_val_acc``; 0.0 when the experiment has none).
    ``value`` must be finite (each objective says what a diverged trial scores)."""
    if not math.isfinite(value):
        raise ValueError(f"an experiment's value must be finite, got {value!r}")
    n_points = max((len(v) for v in curves.values()), default=0)
    return TrialResult(
        value=float(value),
        best_val_acc=float(best) if best is not None and math.isfinite(best) else 0.0,
        diverged=bool(loop.diverged) if loop else False,
        stopped=False,
        epochs_run=len(loop.steps) if loop and loop.steps else n_points,
        samples=loop.samples if loop else 0,
        seconds=float(seconds if seconds is not None else (loop.seconds if loop else 0.0)),
        curves={k: [float(v) for v in vals] for k, vals in curves.items()},
        step=list(loop.steps) if loop else [],
    )
