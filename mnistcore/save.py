"""Write Params as .pth (torch's own zip format, without torch), .safetensors or .npz.

Every writer returns the file's bytes; `load_params` reads each back bit for bit.
  - .pth: what `torch.save(model.state_dict(), f)` writes for train.py's MLP: a zip archive of
    `archive/data.pkl` (a protocol-2 pickle of an OrderedDict whose values are
    `torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())`), one raw
    little-endian storage per tensor in `archive/data/<i>` aligned to 64 bytes, and the small
    `version`, `byteorder`, `.format_version` and `.storage_alignment` records. The pickle is written
    opcode by opcode here, since pickling a global needs the global's module (torch) to be importable.
    `torch.load(f, weights_only=True)` accepts it and `nn.Linear.load_state_dict` takes its tensors.
  - .safetensors: an 8-byte little-endian header length, a JSON header padded to 8 bytes, the tensors.
Both use train.py's keys, fc1.weight, fc1.bias, fc2.weight, ..., in torch's (out, in) orientation.
  - .npz: W1, b1, W2, b2, ... in the engine's (n_in, n_out) orientation.
"""
from __future__ import annotations

import io
import json
import struct
import zipfile

import numpy as np

from .params import Params

ALIGN = 64  # torch aligns each storage's bytes in the zip to 64 (its .storage_alignment record)


def state_dict(params: Params) -> dict[str, np.ndarray]:
    """train.py's state_dict as float32 arrays: fc{l}.weight (out, in) and fc{l}.bias (out,)."""
    out = {}
    for l, (W, b) in enumerate(zip(params.Ws, params.bs), start=1):
        out[f"fc{l}.weight"] = np.ascontiguousarray(W.T)  # torch stores Linear weights as (out, in)
        out[f"fc{l}.bias"] = np.ascontiguousarray(b)
    return out


# --- a protocol-2 pickle, opcode by opcode (names from the standard library's pickletools) ---------
def _str(s: str) -> bytes:
    raw = s.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw  # BINUNICODE


def _int(i: int) -> bytes:
    return b"J" + struct.pack("<i", i)  # BININT


def _tuple(items: list[bytes]) -> bytes:
    return b"(" + b"".join(items) + b"t"  # MARK ... TUPLE


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"  # GLOBAL


def _data_pkl(tensors: dict[str, np.ndarray]) -> bytes:
    ordered_dict = _global("collections", "OrderedDict") + b")R"  # OrderedDict() : EMPTY_TUPLE REDUCE
    out = [b"\x80\x02", ordered_dict, b"("]  # PROTO 2, the state_dict, MARK for its items
    for key, (name, a) in enumerate(tensors.items()):
        storage = _tuple([_str("storage"), _global("torch", "FloatStorage"), _str(str(key)), _str("cpu"),
                          _int(a.size)]) + b"Q"  # BINPERSID: torch.load finds archive/data/<key>
        strides = [int(s // a.itemsize) for s in a.strides]
        args = _tuple([storage, _int(0), _tuple([_int(d) for d in a.shape]), _tuple([_int(s) for s in strides]),
                       b"\x89", ordered_dict])  # storage offset 0, size, stride, requires_grad False, hooks
        out += [_str(name), _global("torch._utils", "_rebuild_tensor_v2"), args, b"R"]
    out += [b"u", b"."]  # SETITEMS, STOP
    return b"".join(out)


def _write_aligned(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    """Store `data` uncompressed with its first byte at a multiple of ALIGN, padding the local header's
    extra field as torch does."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    start = zf.fp.tell() + 30 + len(name.encode()) + 4  # local header, name, the extra field's own header
    pad = -start % ALIGN
    info.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad  # torch's "FB" padding record
    zf.writestr(info, data)


def pth_bytes(params: Params) -> bytes:
    """The .pth file torch.save(model.state_dict()) would write for this network, as bytes."""
    tensors = state_dict(params)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        _write_aligned(zf, "archive/data.pkl", _data_pkl(tensors))
        _write_aligned(zf, "archive/.format_version", b"1")
        _write_aligned(zf, "archive/.storage_alignment", str(ALIGN).encode())
        _write_aligned(zf, "archive/byteorder", b"little")
        for key, a in enumerate(tensors.values()):
            _write_aligned(zf, f"archive/data/{key}", a.astype("<f4").tobytes())
        _write_aligned(zf, "archive/version", b"3\n")
    return buf.getvalue()


def safetensors_bytes(params: Params) -> bytes:
    """The .safetensors file of the same state_dict, as bytes."""
    tensors = state_dict(params)
    header, offset = {}, 0
    for name, a in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)  # the format pads the header with spaces to a multiple of 8
    return struct.pack("<Q", len(head)) + head + b"".join(a.astype("<f4").tobytes() for a in tensors.values())


def npz_bytes(params: Params) -> bytes:
    """An .npz of W1, b1, W2, b2, ... in the engine's (n_in, n_out) orientation, as bytes."""
    arrays = {}
    for l, (W, b) in enumerate(zip(params.Ws, params.bs), start=1):
        arrays[f"W{l}"], arrays[f"b{l}"] = W, b
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


WRITERS = {"pth": pth_bytes, "safetensors": safetensors_bytes, "npz": npz_bytes}
