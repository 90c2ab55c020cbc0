"""The MNIST reader against the files' published checksums and label counts, and damaged files."""
import gzip
import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from mnistapp.paths import DATA_DIR
from mnistcore.data import FILES, DataFileError, load_mnist, parse_idx, read_idx

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_shipped_files_match_mnists_published_md5():
    for fname, md5, _ in FILES.values():
        assert hashlib.md5(gzip.decompress((DATA_DIR / fname).read_bytes())).hexdigest() == md5


@pytest.mark.parametrize("split, counts", [("train", TRAIN_COUNTS), ("test", TEST_COUNTS)])
def test_load_mnist_gives_the_known_shapes_and_label_counts(split, counts):
    images, labels = load_mnist(split, DATA_DIR)
    assert images.shape == (len(labels), 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), counts)
    if split == "train":  # MNIST's well-known pixel statistics on a 0..1 scale
        assert abs(images.mean() / 255 - 0.1307) < 1e-4 and abs(images.std() / 255 - 0.3081) < 1e-4


def test_paths_resolve_from_the_package_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert len(load_mnist("test", DATA_DIR)[1]) == 10000


def test_raw_uncompressed_files_are_read_too(tmp_path):
    fname, md5, _ = FILES[("test", "labels")]
    raw = tmp_path / "labels.idx"
    raw.write_bytes(gzip.decompress((DATA_DIR / fname).read_bytes()))
    np.testing.assert_array_equal(read_idx(raw, md5), load_mnist("test", DATA_DIR)[1])


def _copy_test_files(tmp_path: Path) -> Path:
    for split_kind in (("test", "images"), ("test", "labels")):
        fname = FILES[split_kind][0]
        (tmp_path / fname).write_bytes((DATA_DIR / fname).read_bytes())
    return tmp_path


def test_a_damaged_image_file_is_refused_with_its_checksum(tmp_path):
    folder = _copy_test_files(tmp_path)
    path = folder / FILES[("test", "images")][0]
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[5000] ^= 0xFF  # one flipped pixel
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DataFileError, match="wrong checksum"):
        load_mnist("test", folder)


def test_a_truncated_gzip_file_is_refused(tmp_path):
    folder = _copy_test_files(tmp_path)
    path = folder / FILES[("test", "labels")][0]
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(DataFileError, match="damaged gzip"):
        load_mnist("test", folder)


def test_a_missing_file_says_where_to_put_it(tmp_path):
    with pytest.raises(DataFileError, match="Copy the four MNIST"):
        load_mnist("test", tmp_path)


def test_parse_idx_checks_magic_and_size():
    good = b"\x00\x00\x08\x01" + (3).to_bytes(4, "big") + bytes([1, 2, 3])
    np.testing.assert_array_equal(parse_idx(good), [1, 2, 3])
    with pytest.raises(DataFileError, match="not an IDX"):
        parse_idx(b"\x89PNG\r\n\x1a\n" + bytes(20))
    with pytest.raises(DataFileError, match="truncated"):
        parse_idx(good[:-1])
    with pytest.raises(DataFileError, match="dimensions"):
        parse_idx(b"\x00\x00\x08\x02" + bytes(8))
    with pytest.raises(DataFileError, match="not an IDX"):
        parse_idx(os.urandom(3))
