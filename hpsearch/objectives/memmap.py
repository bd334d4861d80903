"""One copy of a study's data per machine: arrays written once as ``.npy`` files, memory-mapped read-only.

Every worker process of a study needs the same training/validation split. Instead of each building its own
copy (60,000 Fashion-MNIST images are 188 MB in float32), the first process to need a split writes it to
``<cache>/<digest>/<name>.npy`` and every process maps those files read-only: the operating system keeps one
copy in its page cache, shared by all of them. The digest covers the split's description and the size and
modification time of the source files, so a changed source builds a new copy.

The cache folder is ``$HPSEARCH_CACHE`` or ``~/.cache/hpsearch/arrays``. A folder appears only complete (it
is written under a temporary name, then renamed), so concurrent first uses are safe: one rename wins, the
other copy is removed. A folder that cannot be read back is rebuilt; when the cache cannot be written at all
the arrays are kept in memory, with a warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["cache_dir", "shared_arrays"]

log = logging.getLogger(__name__)

_FORMAT = 1  # bump when the layout of a cached split changes


def cache_dir() -> Path:
    """Where shared arrays live: ``$HPSEARCH_CACHE`` or ``~/.cache/hpsearch/arrays``."""
    env = os.environ.get("HPSEARCH_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "hpsearch" / "arrays"


def _digest(key: Mapping[str, Any], sources: list[Path]) -> str:
    stamp = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in sources]
    text = json.dumps({"format": _FORMAT, "key": dict(key), "sources": stamp}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _open(folder: Path, names: list[str]) -> dict[str, np.ndarray]:
    return {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in names}


def _write(root: Path, folder: Path, arrays: Mapping[str, np.ndarray], key: Mapping[str, Any]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=root))
    try:
        for name, arr in arrays.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(arr), allow_pickle=False)
        (tmp / "key.json").write_text(json.dumps(dict(key), sort_keys=True, default=str))
        try:
            os.rename(tmp, folder)
        except OSError:
            if not folder.is_dir():  # not "another process won the race"
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def shared_arrays(
    key: Mapping[str, Any], sources: list[Path], build: Callable[[], Mapping[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """The arrays ``build()`` returns, as read-only memory maps shared by every process of the machine.

    ``key`` describes the arrays (JSON-able), ``sources`` are the files they are made from; ``build`` runs
    only when no current copy exists.
    """
    root = cache_dir()
    folder = root / _digest(key, sources)
    for _ in range(2):
        names = sorted(p.stem for p in folder.glob("*.npy")) if folder.is_dir() else []
        if names:
            try:
                return _open(folder, names)
            except (OSError, ValueError) as exc:  # damaged on disk: set it aside and build again
                log.warning("shared data %s cannot be read (%s); building it again", folder, exc)
                shutil.rmtree(folder, ignore_errors=True)
        arrays = build()
        try:
            _write(root, folder, arrays, key)
        except OSError as exc:
            log.warning("cannot write shared data under %s (%s): this process keeps its own copy", root, exc)
            return {name: np.asarray(a) for name, a in arrays.items()}
    raise OSError(f"shared data {folder} is unreadable even after rebuilding it; delete {root} and run again")
