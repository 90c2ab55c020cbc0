"""Hostile model files for tests/test_load_hostile.py, written opcode by opcode: nothing in them can run.

Each builder returns the bytes of one upload an attacker could make, at the sizes the loader must
withstand: a few hundred kB to crash, 1 kB to hang, a few MB to burn CPU, a few bytes to allocate
gigabytes. `CASES` maps a name to (attack class, builder, what the refusal must say).
"""
from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib

import numpy as np

# Pickle opcodes (pickletools.opcodes), protocol 2 unless marked
PROTO2, STOP, MARK, NONE, NEWFALSE = b"\x80\x02", b".", b"(", b"N", b"\x89"
EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE = b"}", b"]", b")"
TUPLE, TUPLE1, TUPLE2 = b"t", b"\x85", b"\x86"
SETITEM, SETITEMS, APPEND, APPENDS = b"s", b"u", b"a", b"e"
REDUCE, BINPERSID = b"R", b"Q"


def text(s: str) -> bytes:  # BINUNICODE
    raw = s.encode("utf-8", "surrogatepass")
    return b"X" + struct.pack("<I", len(raw)) + raw


def integer(n: int) -> bytes:  # BININT for 32 bits, LONG1 beyond
    if -2**31 <= n < 2**31:
        return b"J" + struct.pack("<i", n)
    raw = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(raw)]) + raw


def put(i: int) -> bytes:  # LONG_BINPUT
    return b"r" + struct.pack("<I", i)


def get(i: int) -> bytes:  # LONG_BINGET
    return b"j" + struct.pack("<I", i)


def ints(values) -> bytes:  # a tuple of integers
    return MARK + b"".join(map(integer, values)) + TUPLE


class Globals:
    """The globals a tensor needs, written out and memoized where first used, as torch.save does."""
    NAMES = {0: b"ctorch._utils\n_rebuild_tensor_v2\n", 1: b"ctorch\nFloatStorage\n", 2: b"ccollections\nOrderedDict\n"}

    def __init__(self):
        self.seen = set()

    def __call__(self, i: int) -> bytes:
        if i in self.seen:
            return get(i)
        self.seen.add(i)
        return self.NAMES[i] + put(i)


def tensor(g: Globals, key: str, numel: int, shape, stride, offset: int = 0, shape_ops: bytes | None = None,
           view_ops: bytes = b"") -> bytes:
    """_rebuild_tensor_v2(storage, offset, shape, stride, False, OrderedDict()), as torch.save writes it;
    `view_ops` adds a sixth item to the storage's id, as torch before 0.4 did."""
    rebuild = g(0)
    pid = MARK + text("storage") + g(1) + text(key) + text("cpu") + integer(numel) + view_ops + TUPLE
    return (rebuild + MARK + pid + BINPERSID + integer(offset) + (shape_ops or ints(shape)) + ints(stride) + NEWFALSE
            + g(2) + EMPTY_TUPLE + REDUCE + TUPLE + REDUCE)


def state_dict_pickle(tensors) -> bytes:
    """A state_dict of (name, storage key, numel, shape, stride) as protocol 2 opcodes."""
    g = Globals()
    items = b"".join(text(name) + tensor(g, key, numel, shape, stride) for name, key, numel, shape, stride in tensors)
    return PROTO2 + EMPTY_DICT + MARK + items + SETITEMS + STOP


def torch_zip(pkl: bytes, storages: dict[str, bytes] | None = None, compress=zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("archive/data.pkl", pkl, compress_type=compress)
        zf.writestr("archive/byteorder", "little")
        for key, raw in (storages or {}).items():
            zf.writestr(f"archive/data/{key}", raw, compress_type=compress)
    return out.getvalue()


def mlp_tensors(hidden: int = 4):
    """fc1 and fc2 of a 784-hidden-10 network, each on its own storage."""
    return [("fc1.weight", "0", hidden * 784, (hidden, 784), (784, 1)), ("fc1.bias", "1", hidden, (hidden,), (1,)),
            ("fc2.weight", "2", 10 * hidden, (10, hidden), (hidden, 1)), ("fc2.bias", "3", 10, (10,), (1,))]


def storages_for(tensors, seed: int = 0) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    return {key: rng.normal(size=numel).astype("<f4").tobytes() for _, key, numel, _, _ in tensors}


def good_pth() -> bytes:
    """The control: a hand-written .pth that loads."""
    tensors = mlp_tensors()
    return torch_zip(state_dict_pickle(tensors), storages_for(tensors))


def replace_member(zip_bytes: bytes, suffix: str, content: bytes) -> bytes:
    """The zip with the member whose name ends in `suffix` replaced by `content`, the rest copied."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, content if info.filename.endswith(suffix) else src.read(info))
    return out.getvalue()


def with_pickle(pkl: bytes) -> bytes:
    """A .pth whose data.pkl is `pkl`, with real storages beside it."""
    return torch_zip(pkl, storages_for(mlp_tensors()))


def deflated_zeros(n_bytes: int, prefix: bytes = b"") -> bytes:
    """A raw deflate stream of `prefix` and n_bytes zeros (~1000:1), made without holding the zeros."""
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(2**20)
    return z.compress(prefix) + b"".join(z.compress(chunk) for _ in range(n_bytes // len(chunk))) + z.flush()


def zip_with_raw_deflate(name: str, stream: bytes, declared: int, others: dict[str, bytes]) -> bytes:
    """A zip whose member `name` holds the raw deflate `stream` but declares `declared` bytes unpacked."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for other, content in others.items():
            zf.writestr(other, content)
        zf.writestr(name, stream)  # written as stored; relabelled as deflated below
    data = bytearray(out.getvalue())
    encoded = name.encode()
    # (signature, offset of the method, of the unpacked size, of the name) in a local / central header
    for signature, method_at, size_at, name_at in ((b"PK\x03\x04", 8, 22, 30), (b"PK\x01\x02", 10, 24, 46)):
        at = data.find(signature)
        while at >= 0:
            if data[at + name_at:at + name_at + len(encoded)] == encoded:
                data[at + method_at:at + method_at + 2] = struct.pack("<H", zipfile.ZIP_DEFLATED)
                data[at + size_at:at + size_at + 4] = struct.pack("<I", declared)
            at = data.find(signature, at + 4)
    return bytes(data)


def npy(header: dict, body: bytes) -> bytes:
    """An .npy file with a hand-written header dict."""
    h = repr(header).encode("latin1")
    h += b" " * (-(10 + len(h) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + body


def npz(members: dict[str, bytes], compress=zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content, compress_type=compress)
    return out.getvalue()


def good_npz_members(hidden: int = 4) -> dict[str, bytes]:
    rng = np.random.default_rng(1)
    members = {}
    for name, shape in (("W1", (784, hidden)), ("b1", (hidden,)), ("W2", (hidden, 10)), ("b2", (10,))):
        f = io.BytesIO()
        np.save(f, rng.normal(size=shape).astype(np.float32))
        members[name + ".npy"] = f.getvalue()
    return members


def safetensors_file(header: dict, body: bytes = b"") -> bytes:
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + body


def safetensors_raw(header: bytes, body: bytes = b"") -> bytes:
    return struct.pack("<Q", len(header)) + header + body


def legacy(obj_pickle: bytes, storages: dict[str, bytes] | None = None, little_endian: bool = True) -> bytes:
    """A legacy torch.save file: pickles of the magic number, the protocol, sys_info, the object and the
    storage keys, then each float32 storage as an 8-byte element count and its elements, in the byte
    order sys_info states."""
    order = "<" if little_endian else ">"
    magic = PROTO2 + integer(0x1950A86A20F9469CFC6C) + STOP
    sys_info = PROTO2 + EMPTY_DICT + text("little_endian") + (b"\x88" if little_endian else NEWFALSE) + SETITEM + STOP
    storages = storages or {}
    keys = PROTO2 + EMPTY_LIST + MARK + b"".join(map(text, storages)) + APPENDS + STOP
    data = b"".join(struct.pack(order + "q", len(raw) // 4) + np.frombuffer(raw, "<f4").astype(order + "f4").tobytes()
                    for raw in storages.values())
    return magic + PROTO2 + integer(1001) + STOP + sys_info + obj_pickle + keys + data


# ---------------------------------------------------------------- the attacks


def deep_key() -> bytes:
    """~200 kB: a tuple nested 200,000 deep used as a dict key; hashing it overflowed the C stack."""
    return with_pickle(PROTO2 + EMPTY_DICT + EMPTY_TUPLE + TUPLE1 * 200_000 + NONE + SETITEM + STOP)


def deep_value() -> bytes:
    """Lists nested 40,000 deep as a value: nothing hashes them, but anything recursive would crash."""
    return with_pickle(PROTO2 + EMPTY_DICT + text("a") + EMPTY_LIST * 40_000 + APPEND * 39_999 + SETITEM + STOP)


def exponential_hash() -> bytes:
    """~1 kB: t[i] = (t[i-1], t[i-1]) through the memo, 60 levels, as a dict key: 2**60 hash steps."""
    ops = EMPTY_TUPLE + put(0)
    for i in range(1, 61):
        ops += get(i - 1) + get(i - 1) + TUPLE2 + put(i)
    return with_pickle(PROTO2 + EMPTY_DICT + ops + NONE + SETITEM + STOP)


def tuple_key() -> bytes:
    return with_pickle(PROTO2 + EMPTY_DICT + ints((1, 2)) + NONE + SETITEM + STOP)


def huge_int_shape() -> bytes:
    """~3 MB: a 24-million-bit integer in a tensor's shape (LONG4)."""
    big = (1 << (8 * 3_000_000 - 2)).to_bytes(3_000_000, "little", signed=True)
    shape = MARK + b"\x8b" + struct.pack("<i", len(big)) + big + integer(784) + TUPLE
    t = tensor(Globals(), "0", 10, None, (784, 1), shape_ops=shape)
    return with_pickle(PROTO2 + EMPTY_DICT + text("fc1.weight") + t + SETITEM + STOP)


def int_of_65_bits() -> bytes:
    return with_pickle(PROTO2 + EMPTY_DICT + text("fc1.weight") + tensor(Globals(), "0", 3136, (2**64, 784), (784, 1))
                       + SETITEM + STOP)


def huge_int_in_safetensors() -> bytes:
    header = b'{"fc1.weight": {"dtype": "F32", "shape": [' + b"9" * 100_000 + b', 784], "data_offsets": [0, 4]}}'
    return safetensors_raw(header, bytes(4))


MEMO_BOMB = PROTO2 + NONE + b"r\xff\xff\xff\x7f" + STOP  # LONG_BINPUT 2**31 - 1: 9 bytes, a 16 GB memo


def many_objects() -> bytes:
    """1 MB of opcodes making a million dicts."""
    return with_pickle(PROTO2 + EMPTY_LIST + MARK + EMPTY_DICT * 1_000_000 + APPENDS + STOP)


def many_tensors(n: int) -> bytes:
    """n tiny tensors on one storage, ~40 bytes each: the memo holds the storage id, shape and hooks."""
    g = Globals()
    pid = MARK + text("storage") + g(1) + text("0") + text("cpu") + integer(1) + TUPLE
    shared = text("_") + MARK + pid + put(3) + ints((1,)) + put(4) + g(2) + EMPTY_TUPLE + REDUCE + put(5) + g(0) + TUPLE
    one = get(0) + MARK + get(3) + BINPERSID + integer(0) + get(4) + get(4) + NEWFALSE + get(5) + TUPLE + REDUCE
    items = b"".join(text(f"t{i}.weight") + one for i in range(n))
    return torch_zip(PROTO2 + EMPTY_DICT + MARK + shared + items + SETITEMS + STOP, {"0": bytes(4)})


def many_zip_entries(n: int = 5000) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for i in range(n):
            zf.writestr(f"archive/data/{i}", b"")
    return out.getvalue()


def deflate_bomb_pth(declared: int = 4 * 784 * 4) -> bytes:
    """~200 kB: storage 0 deflates to 200 MB of zeros, and declares 12,544 bytes (or `declared`)."""
    tensors = mlp_tensors()
    storages = storages_for(tensors)
    others = {"archive/data.pkl": state_dict_pickle(tensors), "archive/byteorder": b"little",
              **{f"archive/data/{k}": v for k, v in storages.items() if k != "0"}}
    return zip_with_raw_deflate("archive/data/0", deflated_zeros(200 * 2**20), declared, others)


def deflate_bomb_pickle() -> bytes:
    """data.pkl deflates to 50 MB of zeros (a pickle takes a few kB)."""
    return zip_with_raw_deflate("archive/data.pkl", deflated_zeros(50 * 2**20), 50 * 2**20, {})


def compressed_member(method) -> bytes:
    tensors = mlp_tensors()
    return torch_zip(state_dict_pickle(tensors), storages_for(tensors), compress=method)


def stride_0_network() -> bytes:
    """~1 kB: fc1 (66,000 x 784) and fc2 (10 x 66,000) repeat one number each: 52 million parameters."""
    tensors = [("fc1.weight", "0", 1, (66_000, 784), (0, 0)), ("fc1.bias", "0", 1, (66_000,), (0,)),
               ("fc2.weight", "0", 1, (10, 66_000), (0, 0)), ("fc2.bias", "0", 1, (10,), (0,))]
    return torch_zip(state_dict_pickle(tensors), {"0": bytes(4)})


def stride_0_small() -> bytes:
    """Within the parameter limit, but fc1.weight repeats one row of 784 numbers 1,000 times."""
    tensors = [("fc1.weight", "0", 784, (1000, 784), (0, 1)), ("fc2.weight", "1", 10_000, (10, 1000), (1000, 1))]
    return torch_zip(state_dict_pickle(tensors), storages_for(tensors))


def safetensors_many(n: int) -> bytes:
    entries = (b'"t%d.weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}' % i for i in range(n))
    return safetensors_raw(b"{" + b", ".join(entries) + b"}", bytes(4))


def npz_huge_shape() -> bytes:
    """A 100-byte W1.npy whose header declares 10**12 float64 numbers (8 TB)."""
    members = good_npz_members()
    members["W1.npy"] = npy({"descr": "<f8", "fortran_order": False, "shape": (784, 10**12 // 784)}, bytes(8))
    return npz(members)


def npz_object_array() -> bytes:
    members = good_npz_members()
    members["W1.npy"] = npy({"descr": "|O", "fortran_order": False, "shape": (784, 4)}, b"\x80\x02N.")
    return npz(members)


def npz_deflate_bomb(declared: int | None = None) -> bytes:
    """W1.npy holds a header for 784x4 float32 numbers (12 kB) but deflates to 300 MB; it declares the
    12 kB (or `declared`)."""
    header = npy({"descr": "<f4", "fortran_order": False, "shape": (784, 4)}, b"")
    others = {k: v for k, v in good_npz_members().items() if k != "W1.npy"}
    return zip_with_raw_deflate("W1.npy", deflated_zeros(300 * 2**20, header), declared or len(header) + 784 * 4 * 4, others)


def escape_codes_in_name() -> bytes:
    tensors = mlp_tensors()
    tensors[0] = ("\x1b[2J\x1b[31mfc1.running_mean\x07", *tensors[0][1:])
    return torch_zip(state_dict_pickle(tensors), storages_for(tensors))


def long_name() -> bytes:
    """A 3 MB tensor name."""
    tensors = mlp_tensors()
    tensors[0] = ("x" * 3_000_000, *tensors[0][1:])
    return torch_zip(state_dict_pickle(tensors), storages_for(tensors))


def long_dtype() -> bytes:
    """A 900 kB dtype string in a safetensors header."""
    return safetensors_file({"fc1.weight": {"dtype": "F" * 900_000, "shape": [1], "data_offsets": [0, 4]}}, bytes(4))


def long_header() -> bytes:
    """A 10 MB safetensors header (a 10 MB dtype string)."""
    return safetensors_file({"fc1.weight": {"dtype": "F" * 10_000_000, "shape": [1], "data_offsets": [0, 4]}}, bytes(4))


def large_good_network() -> bytes:
    """The largest network the loader accepts, as torch.save writes it: 784-12,000-10, 9.5M float32
    parameters, a 38 MB file. Not hostile: the bar for time and memory holds for files that load."""
    tensors = mlp_tensors(12_000)
    return torch_zip(state_dict_pickle(tensors), storages_for(tensors))


# name -> (attack class, builder, a part of the refusal; None: the file loads)
CASES = {
    "deep dict key (crash)": ("crash", deep_key, "nests values more than 32 deep"),
    "deep list value": ("crash", deep_value, "nests values more than 32 deep"),
    "exponential hash (hang)": ("hang", exponential_hash, "nests values more than 32 deep"),
    "tuple as dict key": ("hang", tuple_key, "dict key that is neither a string nor an integer"),
    "3 MB integer in a shape": ("CPU", huge_int_shape, "uses the opcode LONG4"),
    "65-bit integer in a shape": ("CPU", int_of_65_bits, "integer of more than 64 bits"),
    "100,000-digit safetensors shape": ("CPU", huge_int_in_safetensors, "damaged"),
    "memo index 2**31 (legacy)": ("memory", lambda: MEMO_BOMB, "stores memo entry 2,147,483,647 after only 3"),
    "memo index 2**31 (zip)": ("memory", lambda: with_pickle(MEMO_BOMB), "stores memo entry 2,147,483,647"),
    "a million objects": ("memory", many_objects, "more than 100,000 opcodes"),
    "900,000 tensors": ("memory", lambda: many_tensors(900_000), "unpacks to more than 4 MB"),
    "3,000 tensors": ("memory", lambda: many_tensors(3000), "more than 2,048 tensors"),
    "5,000 zip members": ("memory", many_zip_entries, "more than 2,064 members"),
    "deflate bomb storage, size lies": ("memory", deflate_bomb_pth, "damaged"),
    "deflate bomb storage, size true": ("memory", lambda: deflate_bomb_pth(200 * 2**20), "unpacks to more than 100 MB"),
    "deflate bomb data.pkl": ("memory", deflate_bomb_pickle, "unpacks to more than 4 MB"),
    "bzip2 members": ("memory", lambda: compressed_member(zipfile.ZIP_BZIP2), "with a method this app does not read"),
    "LZMA members": ("memory", lambda: compressed_member(zipfile.ZIP_LZMA), "with a method this app does not read"),
    "stride 0: 52M parameters from 1 kB": ("memory", stride_0_network, "more than the 10,000,000 this app handles"),
    "stride 0: a repeated row": ("memory", stride_0_small, "a tensor of 784,000 numbers repeats a storage of 784"),
    "safetensors 400,000 tensors": ("memory", lambda: safetensors_many(400_000), "header is larger than 1 MB"),
    "safetensors 3,000 tensors": ("memory", lambda: safetensors_many(3000), "lists more than 2,048 tensors"),
    "npz header declares 8 TB": ("memory", npz_huge_shape, "W1 does not hold the 784x1275510204 numbers"),
    "npz deflate bomb, size lies": ("memory", npz_deflate_bomb, "damaged"),
    "npz deflate bomb, size true": ("memory", lambda: npz_deflate_bomb(300 * 2**20), "unpacks to more than 100 MB"),
    "npz object array": ("messages", npz_object_array, "W1 holds object values"),
    "escape codes in a name": ("messages", escape_codes_in_name, "\\x1b[2J\\x1b[31mfc1.running_mean\\x07 is not the weight"),
    "3 MB tensor name": ("messages", long_name, "xxxxxxxxxx... is not the weight or bias"),
    "900 kB dtype string": ("messages", long_dtype, "fc1.weight holds FFFFFFFFFFFFFFFFFFFF... numbers"),
    "10 MB safetensors header": ("messages", long_header, "header is larger than 1 MB"),
    "784-12000-10 float32 (loads)": ("control", large_good_network, None),
}
