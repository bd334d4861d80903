"""A study's data in each process: the train/validation split (shared on disk, memory-mapped) and the test set.

:func:`load_data` returns the split that settings describe (:meth:`TrainingSettings.data_key`), built once
per machine by :func:`hpsearch.objectives.memmap.shared_arrays` and mapped read-only by every worker; it is cached
per process too. :func:`load_test` returns the dataset's test split, which only the final scoring of a pick
reads (the search never does).
"""

from __future__ import annotations

import numpy as np

from hpsearch.objectives.memmap import shared_arrays
from hpsearch.objectives.settings import DTYPES, TrainingSettings
from netcore.data import book_split, load_dataset, source_files
from netcore.trainer import TrainData

__all__ = ["load_data", "load_test"]

_DATA_CACHE: dict[tuple, TrainData] = {}
_TEST_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def _split(settings: TrainingSettings) -> dict[str, np.ndarray]:
    ds = load_dataset(settings.dataset)
    n = settings.n_samples if settings.n_samples is not None else len(ds.x_train)
    rng = np.random.default_rng(settings.split_seed)
    x_tr, t_tr, x_va, t_va = book_split(
        ds.x_train, ds.t_train, n=n, val_fraction=settings.val_fraction, n_val=settings.n_val, rng=rng
    )
    dt = DTYPES[settings.dtype]
    return {"x_train": x_tr.astype(dt), "t_train": t_tr, "x_val": x_va.astype(dt), "t_val": t_va}


def load_data(settings: TrainingSettings) -> TrainData:
    """The study's train/validation split: read-only memory maps of one on-disk copy per machine."""
    key = tuple(sorted(settings.data_key().items()))
    if key not in _DATA_CACHE:
        arrays = shared_arrays(
            {"kind": "split", **settings.data_key()}, source_files(settings.dataset), lambda: _split(settings)
        )
        _DATA_CACHE[key] = TrainData(arrays["x_train"], arrays["t_train"], arrays["x_val"], arrays["t_val"])
    return _DATA_CACHE[key]


def load_test(settings: TrainingSettings) -> tuple[np.ndarray, np.ndarray]:
    """The dataset's test images (in the settings' dtype) and labels (cached per process)."""
    key = (settings.dataset, settings.dtype)
    if key not in _TEST_CACHE:
        ds = load_dataset(settings.dataset)
        _TEST_CACHE[key] = (ds.x_test.astype(DTYPES[settings.dtype]), ds.t_test)
    return _TEST_CACHE[key]
