"""Read the tensors out of a `torch.save` file without torch and without running its pickle's code.

A `.pth` file is a pickle whose tensors point at raw storages kept beside it: in a zip archive
(`<name>/data.pkl` plus `<name>/data/<key>`, torch >= 1.6) or, in the legacy format, as a run of
pickles followed by each storage's bytes. We unpickle with `find_class` limited to the few globals
a state_dict needs, each mapped to a harmless stand-in; anything else is refused before it runs.
Tensors come back as `TorchTensor`s; `to_float32` checks the declared offset, shape and strides
against the storage's real size before it touches memory.

Nothing is built before it is checked. `check_pickle` first walks the pickle's opcodes with
`pickletools.genops` and follows the stack the unpickler would build, without building it: only
the opcodes torch.save writes, at most MAX_PICKLE_BYTES and MAX_PICKLE_OPS (so at most that many
objects), memo indices that exist, dict keys that are strings or integers (so no hashing of a deep
or shared structure), integers of at most 64 bits, nesting at most MAX_DEPTH deep, and no container
changed after it was put inside another (so no cycles, and the depth is exact). `Zip` reads members
through bounded streams and trusts no declared size. The limits are stated in `load.py`.
"""
from __future__ import annotations

import collections
import io
import pickle
import pickletools
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

# Limits, chosen so that any file is checked in well under a second (genops takes ~4 us an opcode)
# and a state_dict of a few thousand tensors still fits; load.py's docstring lists them all.
MAX_PICKLE_BYTES = 4 * 2**20  # a 784-512-10 state_dict's data.pkl takes 0.5 kB, an Adam checkpoint's 3 kB
MAX_PICKLE_OPS = 100_000      # each opcode makes at most one object: ~35 opcodes a tensor
MAX_DEPTH = 32                # an Adam checkpoint nests 8 deep
MAX_TENSORS = 2048
MAX_ZIP_ENTRIES = MAX_TENSORS + 16  # torch writes one member a storage and 6 others
MAX_INT = 2**64
SAVE_ADVICE = "Save the weights with torch.save(model.state_dict(), path) and try that file."

# The opcodes torch.save's pickler writes for a state_dict or a checkpoint, protocols 2 to 5. Sets,
# the text opcodes of protocols 0 and 1, and 8-byte lengths never occur.
TORCH_OPCODES = frozenset("""PROTO FRAME STOP MARK NONE NEWTRUE NEWFALSE BININT BININT1 BININT2 LONG1
    BINFLOAT BINUNICODE SHORT_BINUNICODE BINBYTES SHORT_BINBYTES EMPTY_LIST EMPTY_DICT EMPTY_TUPLE TUPLE
    TUPLE1 TUPLE2 TUPLE3 APPEND APPENDS SETITEM SETITEMS BINPUT LONG_BINPUT MEMOIZE BINGET LONG_BINGET
    GLOBAL STACK_GLOBAL REDUCE NEWOBJ BUILD BINPERSID""".split())  # NEWOBJ: a whole model, refused by name
_KINDS = {"NONE": "atom", "NEWTRUE": "atom", "NEWFALSE": "atom", "BINFLOAT": "atom", "BINBYTES": "atom",
          "SHORT_BINBYTES": "atom", "BININT": "int", "BININT1": "int", "BININT2": "int", "LONG1": "int",
          "BINUNICODE": "str", "SHORT_BINUNICODE": "str", "EMPTY_LIST": "list", "EMPTY_DICT": "dict",
          "EMPTY_TUPLE": "tuple"}


def shown(name, limit: int = 40) -> str:
    """A name from a file, fit to quote in a message: escaped if it holds control characters, and short."""
    name = name if isinstance(name, str) else str(name)
    short = name if len(name) <= limit else name[:limit] + "..."
    return short if short.isprintable() else repr(name[:limit])[1:-1] + ("..." if len(name) > limit else "")


def model_file_advice(refused: str) -> str:
    """The message for a pickle that names a global we refuse."""
    module, _, name = refused.rpartition(".")
    refused = shown(refused, 60)
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
        self.n_tensors = 0
        self._read = read

    def elements(self, storage: Storage) -> np.ndarray:
        if storage.key not in self.raw and self._read is not None:
            self.raw[storage.key] = self._read(storage.key)
        raw = self.raw.get(storage.key)
        if raw is None:
            raise ModelFileError(f"This file is damaged: the data of storage '{shown(storage.key)}' is missing.")
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

    def to_float32(self) -> np.ndarray:
        """A C-ordered float32 copy of the tensor's elements, after checking that the offset, shape and
        strides stay inside the storage and that the tensor has no more elements than its storage (with
        strides of 0 a 1 kB storage could declare a network of millions of numbers)."""
        data = self.storage.store.elements(self.storage)
        numel = prod(self.shape)
        if numel > data.size:
            raise ModelFileError(f"This file is damaged or hostile: a tensor of {shown(f'{numel:,}')} numbers repeats "
                                 f"a storage of {data.size:,}. " + SAVE_ADVICE)
        if numel:
            last = self.offset + sum((n - 1) * s for n, s in zip(self.shape, self.stride))
            if last >= data.size:  # offset, shape and strides must stay inside the storage
                raise ModelFileError(f"This file is damaged: a tensor reaches element {last:,} of a storage "
                                     f"that holds only {data.size:,}.")
        start = data[self.offset:] if numel else data[:0]
        view = np.lib.stride_tricks.as_strided(start, self.shape, [s * data.itemsize for s in self.stride],
                                               writeable=False)
        if self.dtype == "bfloat16":  # its 16 bits are the upper half of a float32
            bits = view.astype(np.uint32, order="C")
            return np.left_shift(bits, 16, out=bits).view(np.float32)
        with np.errstate(over="ignore"):  # a float64 beyond float32's range becomes inf, refused later
            return view.astype(np.float32, order="C")


def rebuild_tensor(storage, offset, shape, stride, *_ignored) -> TorchTensor:
    """Stand-in for torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)."""
    ok = (isinstance(storage, Storage) and _is_count(offset) and isinstance(shape, tuple)
          and isinstance(stride, tuple) and len(shape) == len(stride) <= 8
          and all(map(_is_count, shape)) and all(map(_is_count, stride)))
    if not ok:
        raise ModelFileError("This file is damaged: a tensor's offset, shape or strides are not valid.")
    store = storage.store
    store.n_tensors += 1
    if store.n_tensors > MAX_TENSORS:
        raise ModelFileError(f"This file holds more than {MAX_TENSORS:,} tensors, more than a network this "
                             f"app shows needs. " + SAVE_ADVICE)
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


# ---------------------------------------------------------------- checking a pickle before it runs


class _Value:
    """What the check knows of a value the unpickler would build."""
    __slots__ = ("kind", "depth", "inside", "text")

    def __init__(self, kind: str, text: str | None = None):
        self.kind, self.depth, self.inside, self.text = kind, 1, False, text


def _refuse(what: str) -> ModelFileError:
    return ModelFileError(f"This file is damaged or hostile: its pickle {what}, which torch.save never "
                          f"writes. " + SAVE_ADVICE)


def _put(into: _Value, items) -> None:
    """Put `items` inside the container `into`, keeping depths exact and refusing cycles."""
    if into.inside:  # a change torch never makes, and the way to hide depth or build a cycle
        raise _refuse("changes a value after putting it inside another")
    for item in items:
        if item is into:
            raise _refuse("puts a value inside itself")
        item.inside = True
        into.depth = max(into.depth, item.depth + 1)
    if into.depth > MAX_DEPTH:
        raise _refuse(f"nests values more than {MAX_DEPTH} deep")


def _pop_mark(stack: list, marks: list) -> list:
    at = marks.pop()
    items = stack[at:]
    del stack[at:]
    return items


def check_pickle(data) -> int:
    """Walk the pickle at the start of `data` (bytes) without building anything, refuse what torch.save
    never writes (see the module docstring), and return the pickle's length in bytes."""
    stack: list[_Value] = []
    marks: list[int] = []
    memo: dict[int, _Value] = {}
    f = io.BytesIO(data[:MAX_PICKLE_BYTES])
    for n_ops, (op, arg, pos) in enumerate(pickletools.genops(f), start=1):
        name = op.name
        if name not in TORCH_OPCODES:
            raise _refuse(f"uses the opcode {name}")
        if n_ops > MAX_PICKLE_OPS:
            raise _refuse(f"has more than {MAX_PICKLE_OPS:,} opcodes")
        if name in _KINDS:
            if name == "LONG1" and not (-MAX_INT <= arg < MAX_INT or arg == LEGACY_MAGIC):
                raise _refuse("holds an integer of more than 64 bits")
            stack.append(_Value(_KINDS[name], arg if name.endswith("UNICODE") else None))
        elif name == "MARK":
            marks.append(len(stack))
        elif name.startswith("TUPLE"):
            items = _pop_mark(stack, marks) if name == "TUPLE" else [stack.pop() for _ in range(int(name[5]))][::-1]
            tup = _Value("tuple")
            _put(tup, items)
            stack.append(tup)
        elif name in ("APPEND", "APPENDS"):
            items = _pop_mark(stack, marks) if name == "APPENDS" else [stack.pop()]
            if stack[-1].kind != "list":
                raise _refuse("appends to something that is not a list")
            _put(stack[-1], items)
        elif name in ("SETITEM", "SETITEMS"):
            items = _pop_mark(stack, marks) if name == "SETITEMS" else [stack.pop(-2), stack.pop()]
            if stack[-1].kind != "dict" or len(items) % 2:
                raise _refuse("sets items of something that is not a dict")
            if any(key.kind not in ("str", "int") for key in items[::2]):
                raise _refuse("has a dict key that is neither a string nor an integer")
            _put(stack[-1], items)
        elif name in ("BINPUT", "LONG_BINPUT", "MEMOIZE"):
            index = len(memo) if name == "MEMOIZE" else arg
            if index >= n_ops:  # torch numbers its memo entries 0, 1, 2, ...
                raise _refuse(f"stores memo entry {index:,} after only {n_ops:,} opcodes")
            memo[index] = stack[-1]
        elif name in ("BINGET", "LONG_BINGET"):
            if arg not in memo:
                raise _refuse(f"reads memo entry {arg:,}, which was never stored")
            stack.append(memo[arg])
        elif name in ("GLOBAL", "STACK_GLOBAL"):
            if name == "STACK_GLOBAL":
                module, attr = stack.pop(-2), stack.pop()
                if not module.kind == attr.kind == "str":
                    raise _refuse("names a global with something other than strings")
                arg = f"{module.text} {attr.text}"
            stack.append(_Value("global", arg))
        elif name in ("REDUCE", "NEWOBJ"):
            args, func = stack.pop(), stack.pop()  # func: a global, refused by find_class unless allowed
            if args.kind != "tuple":
                raise _refuse("calls a function with arguments that are not a tuple")
            result = _Value("dict" if func.text == "collections OrderedDict" else "object")
            _put(result, [args])
            stack.append(result)
        elif name == "BUILD":
            state = stack.pop()
            if stack[-1].kind not in ("dict", "object"):
                raise _refuse("sets the state of something that is not an object")
            _put(stack[-1], [state])
        elif name == "BINPERSID":
            pid = _Value("object")
            _put(pid, [stack.pop()])
            stack.append(pid)
        elif name == "STOP":
            if len(stack) != 1 or marks:
                raise _refuse("does not end with exactly one value")
            return pos + 1
    raise AssertionError  # unreachable: genops stops at STOP or raises ValueError


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
            raise ModelFileError(f"This file is damaged: storage '{shown(pid[2])}' is declared with two types.")
        return Storage(pid[1], pid[2], self.store)


def load_pickle(data, store: Store) -> tuple[Any, int]:
    """The object pickled at the start of `data` (bytes or memoryview), once `check_pickle` has passed
    it, and the pickle's length in bytes."""
    try:
        n = check_pickle(data)
    except (ValueError, IndexError) as e:  # genops: an unknown opcode or the end before STOP; an empty stack
        if isinstance(e, ModelFileError):
            raise
        if len(data) > MAX_PICKLE_BYTES:
            raise ModelFileError(f"This file's pickle is larger than {MAX_PICKLE_BYTES // 2**20} MB or damaged; "
                                 f"a state_dict's takes a few kB. " + SAVE_ADVICE) from e
        raise ModelFileError("This file is damaged or cut short: its pickle is not valid. " + SAVE_ADVICE) from e
    return _Unpickler(io.BytesIO(data[:n]), store).load(), n


class Zip:
    """A zip archive whose members are read through bounded streams: only stored or deflated members,
    at most `budget` bytes in all, whatever sizes the archive declares."""

    def __init__(self, data: bytes, budget: int):
        # Each entry zipfile reads starts with this signature, so this bounds what ZipFile() parses.
        if data.count(b"PK\x01\x02") > MAX_ZIP_ENTRIES:
            raise ModelFileError(f"This archive has more than {MAX_ZIP_ENTRIES:,} members, more than a model "
                                 f"file needs. " + SAVE_ADVICE)
        self.zf = zipfile.ZipFile(io.BytesIO(data))
        self.names = self.zf.namelist()
        if len(set(self.names)) != len(self.names):
            raise ModelFileError("This archive is damaged or hostile: two members have the same name.")
        for info in self.zf.infolist():
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ModelFileError(f"This archive compresses {shown(info.filename)} with a method this app "
                                     f"does not read (torch.save stores its members; np.savez_compressed "
                                     f"deflates them). " + SAVE_ADVICE)
        self.budget = budget

    def read(self, name: str, limit: int) -> bytes:
        """The member's bytes, refused once they pass `limit` or the archive's budget."""
        limit = min(limit, self.budget)
        with self.zf.open(name) as f:
            if self.zf.getinfo(name).compress_type == zipfile.ZIP_STORED:  # no bigger than the archive, which is in memory already
                content = f.read(limit + 1)
            else:  # a megabyte at a time: read(n) would inflate up to n bytes before checking anything
                out = io.BytesIO()
                while out.tell() <= limit and (chunk := f.read(min(2**20, limit + 1 - out.tell()))):
                    out.write(chunk)
                content = out.getvalue()
        if len(content) > limit:
            raise ModelFileError(f"This archive's member {shown(name)} unpacks to more than "
                                 f"{limit / 2**20:.0f} MB, more than a model file this app reads. " + SAVE_ADVICE)
        self.budget -= len(content)
        return content


def read_zip(zf: Zip, pkl_name: str) -> Any:
    """The object saved by torch.save in the zip format; `pkl_name` is its `<name>/data.pkl` member."""
    prefix = pkl_name[: -len("data.pkl")]
    names = set(zf.names)
    big_endian = prefix + "byteorder" in names and zf.read(prefix + "byteorder", 16).strip() == b"big"

    def read(key):
        return zf.read(prefix + "data/" + key, zf.budget) if prefix + "data/" + key in names else None

    store = Store(">" if big_endian else "<", read)
    return load_pickle(zf.read(pkl_name, MAX_PICKLE_BYTES), store)[0]


def read_legacy(data: bytes) -> Any:
    """The object saved by torch.save(..., _use_new_zipfile_serialization=False).

    Layout: pickles of the magic number, the protocol version and sys_info; the object's pickle; a
    pickle of the storage keys; then for each key an 8-byte element count and the raw elements.
    """
    view = memoryview(data)
    store = Store("<")
    pos = 0

    def load():
        nonlocal pos
        obj, n = load_pickle(view[pos:], store)
        pos += n
        return obj

    if load() != LEGACY_MAGIC or load() != 1001:
        raise ModelFileError("This is a Python pickle but not a file written by torch.save. Save the "
                             "weights with torch.save(model.state_dict(), path).")
    sys_info = load()
    if isinstance(sys_info, dict) and sys_info.get("little_endian") is False:
        store.order = ">"
    obj = load()
    keys = load()
    if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise ModelFileError("This file is damaged: its list of storages is not valid.")
    for key in keys:
        if key not in store.types or pos + 8 > len(data):
            raise ModelFileError("This file is damaged or cut short: a storage is missing.")
        (numel,) = struct.unpack(store.order + "q", data[pos:pos + 8])
        nbytes = numel * np.dtype(store.types[key].raw).itemsize
        if not 0 <= nbytes <= len(data) - pos - 8:
            raise ModelFileError("This file is damaged or cut short: a storage is larger than the file.")
        store.raw[key] = view[pos + 8:pos + 8 + nbytes]
        pos += 8 + nbytes
    return obj
