"""MNIST's IDX files read into NumPy, with their format and checksums verified.

Images come back as uint8 arrays of shape (n, 28, 28) and labels as uint8 arrays of shape (n,).
The caller says which folder holds the four standard files; the engine names no path of its own.
"""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

# md5 of the *decompressed* IDX files, from MNIST's own distribution.
FILES = {
    ("train", "images"): ("train-images-idx3-ubyte.gz", "6bbc9ace898e44ae57da46a324031adb", 60000),
    ("train", "labels"): ("train-labels-idx1-ubyte.gz", "a25bea736e30d166cdddb491f175f624", 60000),
    ("test", "images"): ("t10k-images-idx3-ubyte.gz", "2646ac647ad5339dbf082846283269ea", 10000),
    ("test", "labels"): ("t10k-labels-idx1-ubyte.gz", "27ae3e4e09519cfbb04c329615203637", 10000),
}


class DataFileError(ValueError):
    """An MNIST file that is missing, damaged or not what it claims to be."""


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataFileError(f"Cannot read {path}: {e.strerror}. Copy the four MNIST .gz files into {path.parent}.") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            raise DataFileError(f"{path.name} is a damaged gzip file ({e}). Copy a fresh one into {path.parent}.") from None
    return raw


def parse_idx(raw: bytes, name: str = "IDX data") -> np.ndarray:
    """Decode an uncompressed IDX file of unsigned bytes (MNIST's images or labels)."""
    if len(raw) < 8 or raw[0:2] != b"\x00\x00" or raw[2] != 0x08:
        raise DataFileError(f"{name} is not an IDX file of unsigned bytes (its first bytes are {raw[:4].hex()}).")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if ndim not in (1, 3) or len(raw) < header:
        raise DataFileError(f"{name} declares {ndim} dimensions; MNIST files have 1 (labels) or 3 (images).")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DataFileError(f"{name} declares shape {shape} ({expected} bytes) but holds {len(raw)} bytes: "
                            "it is truncated or padded. Copy a fresh file.")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def read_idx(path: str | Path, md5: str | None = None) -> np.ndarray:
    """Read one IDX file (gzip or raw); check its md5 (of the decompressed bytes) when given."""
    path = Path(path)
    raw = _read_bytes(path)
    if md5 is not None and hashlib.md5(raw).hexdigest() != md5:
        raise DataFileError(f"{path.name} has the wrong checksum (md5 {hashlib.md5(raw).hexdigest()}, "
                            f"expected {md5}): it is damaged or a different file. Copy the original MNIST file.")
    return parse_idx(raw, path.name)


def load_mnist(split: str, data_dir: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(images (n, 28, 28) uint8, labels (n,) uint8) of the 'train' or 'test' split in `data_dir`, verified."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    folder = Path(data_dir)
    out = []
    for kind, magic_ndim in (("images", 3), ("labels", 1)):
        fname, md5, count = FILES[(split, kind)]
        arr = read_idx(folder / fname, md5)
        if arr.ndim != magic_ndim or arr.shape[0] != count or (kind == "images" and arr.shape[1:] != (28, 28)):
            raise DataFileError(f"{fname} has shape {arr.shape}; expected {count} {kind}.")
        out.append(arr)
    images, labels = out
    if labels.max() > 9:
        raise DataFileError(f"{FILES[(split, 'labels')][0]} holds a label {labels.max()}; digits are 0-9.")
    return images, labels
