"""Read the tensors out of a `torch.save` file without torch and without running its pickle's code.

A `.pth` file is a pickle whose tensors point at raw storages kept beside it: in a zip archive
(`<name>/data.pkl` plus `<name>/data/<key>`, torch >= 1.6) or, in the legacy format, as a run of
pickles followed by each storage's bytes. We unpickle with `find_class` limited to the few globals
a state_dict needs, each mapped to a harmless stand-in; anything else is refused before it runs.
Tensors come back as `TorchTensor`s; `to_numpy` checks the declared offset, shape and strides
against the storage's real size before it touches memory.
"""
from __future__ import annotations

import collections
import io
import pickle
import struct
import zipfile
from typing import Any, NamedTuple

import numpy as np

from .params import ModelFileError

# torch's storage classes -> (dtype name, numpy dtype of the raw elements). bfloat16 has no NumPy
# dtype: we read its raw 16 bits, which are the upper half of a float32.
STORAGE_TYPES = {
    "FloatStorage": ("float32", "f4"), "DoubleStorage": ("float64", "f8"),
    "HalfStorage": ("float16", "f2"), "BFloat16Storage": ("bfloat16", "u2"),
    "LongStorage": ("int64", "i8"), "IntStorage": ("int32", "i4"), "ShortStorage": ("int16", "i2"),
    "CharStorage": ("int8", "i1"), "ByteStorage": ("uint8", "u1"), "BoolStorage": ("bool", "?"),
}
TENSOR_REBUILDS = {"_rebuild_tensor_v2", "_rebuild_parameter", "_rebuild_parameter_with_state"}
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def model_file_advice(refused: str) -> str:
    """The message for a pickle that names a global we refuse."""
    module, _, name = refused.rpartition(".")
    if not refused.isprintable() or len(refused) > 100:  # a damaged name: show it escaped and short
        refused = repr(refused[:100])
    if module.startswith("torch.nn") or module == "__main__" or name[:1].isupper():
        return (f"This file holds a pickled Python object ({refused}), probably a whole model saved "
                f"with torch.save(model). A model file only needs its tensors: save the weights with "
                f"torch.save(model.state_dict(), path) and load that file instead.")
    return (f"This file tries to call {refused} while loading, so it was refused: a model file only "
            f"needs tensors. Load only files you trust, or save the weights with "
            f"torch.save(model.state_dict(), path).")


class StorageType(NamedTuple):  # stand-in for torch.FloatStorage and friends
    dtype: str  # torch's name: "float32", "bfloat16", "int64", ...
    raw: str    # NumPy dtype of one stored element, without byte order


class Store:
    """Storage key -> the storage's bytes: read from the zip when first needed, or filled in by
    read_legacy once the pickle is done."""

    def __init__(self, order: str, read=None):
        self.order = order  # "<" or ">"
        self.raw: dict[str, bytes | memoryview] = {}
        self.types: dict[str, StorageType] = {}
        self._read = read

    def elements(self, storage: Storage) -> np.ndarray:
        if storage.key not in self.raw and self._read is not None:
            self.raw[storage.key] = self._read(storage.key)
        raw = self.raw.get(storage.key)
        if raw is None:
            raise ModelFileError(f"This file is damaged: the data of storage {storage.key!r} is missing.")
        dtype = np.dtype(self.order + storage.type.raw)
        if len(raw) % dtype.itemsize:
            raise ModelFileError("This file is damaged: a storage's size is not a whole number of elements.")
        return np.frombuffer(raw, dtype=dtype)


class Storage(NamedTuple):
    type: StorageType
    key: str
    store: Store


class TorchTensor(NamedTuple):
    storage: Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]

    @property
    def dtype(self) -> str:
        return self.storage.type.dtype

    @property
    def T(self) -> TorchTensor:
        """The transpose, as a view: the same storage with shape and strides reversed."""
        return TorchTensor(self.storage, self.offset, self.shape[::-1], self.stride[::-1])

    def to_numpy(self) -> np.ndarray:
        """A C-ordered copy of the tensor's elements (float32 for bfloat16), after checking that the
        offset, shape and strides stay inside the storage. With strides of 0 a tiny storage can
        declare a huge tensor: the caller bounds prod(shape) first."""
        data = self.storage.store.elements(self.storage)
        numel = prod(self.shape)
        if numel:
            last = self.offset + sum((n - 1) * s for n, s in zip(self.shape, self.stride))
            if last >= data.size:  # offset, shape and strides must stay inside the storage
                raise ModelFileError(f"This file is damaged: a tensor reaches element {last:,} of a storage "
                                     f"that holds only {data.size:,}.")
        start = data[self.offset:] if numel else data[:0]
        view = np.lib.stride_tricks.as_strided(start, self.shape, [s * data.itemsize for s in self.stride],
                                               writeable=False)
        if self.dtype == "bfloat16":
            return (view.astype(np.uint32, order="C") << 16).view(np.float32)  # the upper half of a float32
        return np.ascontiguousarray(view)


def rebuild_tensor(storage, offset, shape, stride, *_ignored) -> TorchTensor:
    """Stand-in for torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)."""
    ok = (isinstance(storage, Storage) and _is_count(offset) and isinstance(shape, tuple)
          and isinstance(stride, tuple) and len(shape) == len(stride) <= 8
          and all(map(_is_count, shape)) and all(map(_is_count, stride)))
    if not ok:
        raise ModelFileError("This file is damaged: a tensor's offset, shape or strides are not valid.")
    return TorchTensor(storage, offset, shape, stride)


def _rebuild_parameter(data, *_ignored) -> TorchTensor:
    """Stand-in for torch._utils._rebuild_parameter(data, requires_grad, hooks[, state])."""
    if not isinstance(data, TorchTensor):
        raise ModelFileError("This file is damaged: a parameter does not hold a tensor.")
    return data


def _is_count(n) -> bool:
    return type(n) is int and n >= 0


def fmt_shape(shape) -> str:
    return "x".join(map(str, shape)) or "scalar"


def contiguous_strides(shape) -> tuple[int, ...]:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return tuple(reversed(strides))


def prod(shape) -> int:
    n = 1
    for s in shape:
        n *= s  # Python ints: no overflow for hostile shapes
    return n


class _Unpickler(pickle.Unpickler):
    """Unpickles a state_dict's pickle with harmless stand-ins for the globals it names, and no others.

    Every stand-in is a fresh object or an immutable type, so an opcode like BUILD can at most change
    an object that belongs to this one load.
    """

    def __init__(self, file, store: Store):
        super().__init__(file)
        self.store = store

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch" and name in STORAGE_TYPES:
            return StorageType(*STORAGE_TYPES[name])
        if module == "torch._utils" and name in TENSOR_REBUILDS:
            rebuild = rebuild_tensor if name == "_rebuild_tensor_v2" else _rebuild_parameter
            return lambda *args: rebuild(*args)
        module = {"__builtin__": "builtins"}.get(module, module)  # protocol 2 keeps Python 2's name
        raise ModelFileError(model_file_advice(f"{module}.{name}"))

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel); legacy files add view_metadata
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"
                and isinstance(pid[1], StorageType) and isinstance(pid[2], str)):
            raise ModelFileError("This file is damaged: it refers to data in a way torch.save never writes.")
        if len(pid) == 6 and pid[5] is not None:
            raise ModelFileError("This file uses storage views from a very old torch (before 0.4). Load it "
                                 "with torch and save it again with torch.save(model.state_dict(), path).")
        if self.store.types.setdefault(pid[2], pid[1]) != pid[1]:
            raise ModelFileError(f"This file is damaged: storage {pid[2]!r} is declared with two types.")
        return Storage(pid[1], pid[2], self.store)


def read_zip(zf: zipfile.ZipFile, pkl_name: str) -> Any:
    """The object saved by torch.save in the zip format; `pkl_name` is its `<name>/data.pkl` member."""
    prefix = pkl_name[: -len("data.pkl")]
    names = set(zf.namelist())
    big_endian = prefix + "byteorder" in names and zf.read(prefix + "byteorder").strip() == b"big"

    def read(key):
        return zf.read(prefix + "data/" + key) if prefix + "data/" + key in names else None

    return _Unpickler(io.BytesIO(zf.read(pkl_name)), Store(">" if big_endian else "<", read)).load()


def read_legacy(data: bytes) -> Any:
    """The object saved by torch.save(..., _use_new_zipfile_serialization=False).

    Layout: pickles of the magic number, the protocol version and sys_info; the object's pickle; a
    pickle of the storage keys; then for each key an 8-byte element count and the raw elements.
    """
    f = io.BytesIO(data)
    store = Store("<")
    if _Unpickler(f, store).load() != LEGACY_MAGIC or _Unpickler(f, store).load() != 1001:
        raise ModelFileError("This is a Python pickle but not a file written by torch.save. Save the "
                             "weights with torch.save(model.state_dict(), path).")
    sys_info = _Unpickler(f, store).load()
    if isinstance(sys_info, dict) and sys_info.get("little_endian") is False:
        store.order = ">"
    obj = _Unpickler(f, store).load()
    keys = _Unpickler(f, store).load()
    if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise ModelFileError("This file is damaged: its list of storages is not valid.")
    pos = f.tell()
    for key in keys:
        if key not in store.types or pos + 8 > len(data):
            raise ModelFileError("This file is damaged or cut short: a storage is missing.")
        (numel,) = struct.unpack(store.order + "q", data[pos:pos + 8])
        nbytes = numel * np.dtype(store.types[key].raw).itemsize
        if not 0 <= nbytes <= len(data) - pos - 8:
            raise ModelFileError("This file is damaged or cut short: a storage is larger than the file.")
        store.raw[key] = memoryview(data)[pos + 8:pos + 8 + nbytes]
        pos += 8 + nbytes
    return obj
