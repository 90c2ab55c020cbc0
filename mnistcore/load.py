"""Safe reading of a model file (.pth / .pt, .safetensors, .npz) into Params, without torch.

The format is told from the bytes, since an upload may have any name:
  - torch.save, zip format (torch >= 1.6) or legacy format: read by `torchfile`, whose unpickler
    refuses every global but those a tensor state_dict needs;
  - .safetensors: an 8-byte little-endian header length, a JSON header, then the raw tensors;
  - .npz: arrays W1, b1, W2, b2, ... already in our (n_in, n_out) orientation.
torch and safetensors files hold a state_dict (`fc1.weight`, `0.weight`, `layers.0.weight`, ...,
maybe behind a `module.` prefix or under a checkpoint's `state_dict` / `model_state_dict`). Its Linear
layers are taken in the order they were saved; safetensors does not keep that order, so its layers go
in natural name order (`fc2` before `fc10`). A Linear saved without a bias gets a zero bias, which is
what `nn.Linear(..., bias=False)` computes. Every array becomes float32. Every refusal is a
ModelFileError that says what is wrong and what to do, in a few hundred characters at most, with the
file's own names escaped and shortened.

Limits, so that no file of any size or content can crash, hang or exhaust the process (each is
checked before the memory it guards is used; sizes declared by the file are never trusted):
  - MAX_FILE_BYTES = 50 MB: the file, read with read(limit + 1); the app's upload limit;
  - MAX_UNPACKED_BYTES = 100 MB: all members of a zip archive (.pth or .npz) together, read
    through bounded streams; members must be stored or deflated, at most MAX_ZIP_ENTRIES (2,064);
  - MAX_PARAMS = 10,000,000 numbers in the network (40 MB as float32), checked from the shapes
    before any array is made; a tensor may not have more elements than its storage (stride 0);
  - a pickle (torchfile): at most 4 MB, 100,000 opcodes (so at most as many objects), nesting 32 deep,
    only the opcodes torch.save writes, dict keys that are strings or integers, integers of 64 bits;
  - MAX_TENSORS = 2,048 tensors in a .pth or .safetensors file; a safetensors header of 1 MB.
Measured (tests/test_load_hostile.py): any of these files is refused in well under 2 s and 300 MB.
"""
from __future__ import annotations

import io
import itertools
import json
import os
import re
import struct

import numpy as np

from . import torchfile
from .params import N_CLASSES, N_PIXELS, ModelFileError, Params
from .torchfile import SAVE_ADVICE, STORAGE_TYPES, TorchTensor, fmt_shape, prod, shown

MAX_FILE_BYTES = 50 * 2**20  # a 784-512-10 network takes 1.6 MB
MAX_UNPACKED_BYTES = 2 * MAX_FILE_BYTES  # np.savez_compressed deflates; torch.save stores
MAX_PARAMS = 10_000_000  # about what a 50 MB float32 file holds
MAX_HEADER_BYTES = 2**20  # a safetensors header takes ~100 bytes a tensor
SAFETENSORS_TYPES = {"F32": "FloatStorage", "F64": "DoubleStorage", "F16": "HalfStorage",
                     "BF16": "BFloat16Storage", "I64": "LongStorage", "I32": "IntStorage",
                     "I16": "ShortStorage", "I8": "CharStorage", "U8": "ByteStorage", "BOOL": "BoolStorage"}
NOT_MODELS = {b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
              b"%PDF": "a PDF document"}


def load_params(source, *, max_params: int | None = None) -> Params:
    """A path (str or Path), the file's bytes, or a binary file object -> Params (float32, (n_in, n_out)).

    max_params: refuse a network with more numbers than this (default MAX_PARAMS), checked from the shapes
    before any array is made.
    """
    try:
        return _checked_params(_layers(_read_source(source)), MAX_PARAMS if max_params is None else max_params)
    except ModelFileError:
        raise
    except MemoryError as e:
        raise ModelFileError("This file needs more memory to read than this app allows. " + SAVE_ADVICE) from e
    except Exception as e:  # a damaged or hostile file must never surface as anything else
        raise ModelFileError("This file is damaged, cut short or not a model file. " + SAVE_ADVICE) from e


def _read_source(source) -> bytes:
    too_big = (f"This file is larger than {MAX_FILE_BYTES // 2**20} MB, the most this app accepts; "
               f"a network for MNIST digits takes a few MB.")
    if isinstance(source, (bytes, bytearray, memoryview)):
        if memoryview(source).nbytes > MAX_FILE_BYTES:
            raise ModelFileError(too_big)
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)  # a pipe or a device reports a size of 0: never trust it
        except (OSError, ValueError) as e:  # ValueError: a NUL byte in the path
            reason = e.strerror if isinstance(e, OSError) and e.strerror else "not a valid path"
            raise ModelFileError(f"Cannot read {shown(os.fsdecode(source), 80)}: {reason}. "
                                 f"Check the path and try again.") from e
    elif callable(getattr(source, "read", None)):
        try:
            data = source.read(MAX_FILE_BYTES + 1)
        except UnicodeDecodeError:
            data = ""
        if isinstance(data, str):
            raise ModelFileError("This file was opened in text mode; open it with open(path, 'rb') and try again.")
        data = bytes(data)
    else:
        raise ModelFileError(f"load_params takes a path, the file's bytes or a file opened with open(path, 'rb'), "
                             f"not a {shown(type(source).__name__)}.")
    if len(data) > MAX_FILE_BYTES:
        raise ModelFileError(too_big)
    if not data:
        raise ModelFileError("This file is empty. " + SAVE_ADVICE)
    return data


# A layer as read, before any checks: W's name, W (n_in, n_out), b's name, b (n_out,) or None for no bias.
# W and b are npz arrays, or TorchTensors whose numbers are read only once every shape is checked.
Layer = tuple[str, "TorchTensor | np.ndarray", str, "TorchTensor | np.ndarray | None"]


def _layers(data: bytes) -> list[Layer]:
    """Tell the format from the first bytes and read its layers."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        zf = torchfile.Zip(data, MAX_UNPACKED_BYTES)
        pickles = [n for n in zf.names if n.endswith("/data.pkl") and n.count("/") == 1]
        if pickles:
            return _torch_layers(_state_dict(torchfile.read_zip(zf, pickles[0])), saved_order=True)
        if zf.names and all(n.endswith(".npy") for n in zf.names):
            return _npz_layers(zf)
        raise ModelFileError("This is a zip archive, but neither a torch.save file nor an .npz file. "
                             + SAVE_ADVICE)
    if data[:1] == b"\x80":  # the PROTO opcode that starts a pickle
        return _torch_layers(_state_dict(torchfile.read_legacy(data)), saved_order=True)
    if len(data) > 8 and data[8:9] == b"{" and struct.unpack("<Q", data[:8])[0] <= len(data) - 8:
        return _torch_layers(_safetensors(data), saved_order=False)
    what = next((v for k, v in NOT_MODELS.items() if data.startswith(k)), None)
    if what is None and not any(c < 9 or 13 < c < 32 for c in data[:4096]):  # no control characters
        what = "a text file"
    raise ModelFileError(f"This is {what + ', not' if what else 'not'} a model file. Upload a .pth file "
                         f"saved with torch.save(model.state_dict(), path), a .safetensors file, or an "
                         f".npz file with arrays W1, b1, W2, b2, ...")


def _state_dict(obj) -> dict[str, TorchTensor]:
    """The tensors of a state_dict, or of the one a checkpoint holds under `state_dict`/`model_state_dict`."""
    if not isinstance(obj, dict):
        raise ModelFileError(f"This file holds a {shown(type(obj).__name__)}, not a state_dict. " + SAVE_ADVICE)
    for key in ("state_dict", "model_state_dict"):
        if isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    tensors = {k: v for k, v in obj.items() if isinstance(k, str) and isinstance(v, TorchTensor)}
    if not tensors:
        keys = ", ".join(shown(k, 30) for k in itertools.islice(obj, 5)) or "nothing"
        raise ModelFileError(f"This file holds no weights (it has {keys}). A checkpoint should keep them "
                             f"under 'state_dict' or 'model_state_dict'. " + SAVE_ADVICE)
    return tensors


def _safetensors(data: bytes) -> dict[str, TorchTensor]:
    """A .safetensors file's tensors; like a state_dict's, but their order is not kept."""
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER_BYTES:
        raise ModelFileError(f"This .safetensors file's header is larger than {MAX_HEADER_BYTES // 2**20} MB; a "
                             f"network's takes a few kB. Save the weights again with safetensors.torch.save_file.")
    header = json.loads(data[8:8 + n])
    if not isinstance(header, dict) or len(header) > torchfile.MAX_TENSORS + 1:  # + 1: __metadata__
        raise ModelFileError(f"This .safetensors file's header is damaged or lists more than "
                             f"{torchfile.MAX_TENSORS:,} tensors. " + SAVE_ADVICE)
    body = memoryview(data)[8 + n:]
    store = torchfile.Store("<")
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not (isinstance(info, dict) and isinstance(info.get("dtype"), str) and isinstance(info.get("shape"), list)
                and isinstance(info.get("data_offsets"), list) and len(info["data_offsets"]) == 2):
            raise ModelFileError(f"This file is damaged: the header of {shown(name)} is not valid.")
        if info["dtype"] not in SAFETENSORS_TYPES:
            raise ModelFileError(f"{shown(name)} holds {shown(info['dtype'], 20)} numbers, which this app does "
                                 f"not read.")
        begin, end = info["data_offsets"]
        if not (type(begin) is type(end) is int and 0 <= begin <= end <= len(body)):
            raise ModelFileError(f"This file is damaged: the data of {shown(name)} lies outside the file.")
        shape = tuple(info["shape"])
        store.raw[name] = body[begin:end]
        storage = torchfile.Storage(torchfile.StorageType(*STORAGE_TYPES[SAFETENSORS_TYPES[info["dtype"]]]),
                                    name, store)
        tensors[name] = torchfile.rebuild_tensor(storage, 0, shape, torchfile.contiguous_strides(shape))
        if prod(shape) * np.dtype(storage.type.raw).itemsize != end - begin:
            raise ModelFileError(f"This file is damaged: the data of {shown(name)} does not match its shape "
                                 f"{shown(fmt_shape(shape))}.")
    return tensors


def _natural_key(name: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _torch_layers(tensors: dict[str, TorchTensor], saved_order: bool) -> list[Layer]:
    """Pair each `X.weight` with its `X.bias`, in saved order (or natural name order)."""
    groups: dict[str, dict[str, tuple[str, TorchTensor]]] = {}
    for name, t in tensors.items():
        short = name.removeprefix("module.")  # DataParallel saves module.fc1.weight
        prefix, _, kind = short.rpartition(".")
        if kind not in ("weight", "bias"):
            raise ModelFileError(f"{shown(name)} is not the weight or bias of a Linear layer; this app shows fully "
                                 f"connected networks (Linear layers and ReLUs) only.")
        groups.setdefault(prefix, {})[kind] = (shown(name), t)
    order = list(groups) if saved_order else sorted(groups, key=_natural_key)
    layers = []
    for prefix in order:
        if "weight" not in groups[prefix]:
            raise ModelFileError(f"{groups[prefix]['bias'][0]} has no weight next to it. " + SAVE_ADVICE)
        w_name, w = groups[prefix]["weight"]
        _check_weight_shape(w_name, w.shape)
        b_name, b = groups[prefix].get("bias", (shown(f"{prefix}.bias".lstrip(".")), None))
        layers.append((w_name, w.T, b_name, b))  # torch keeps Linear weights as (out, in); we keep (in, out)
    return layers


def _npz_layers(zf: torchfile.Zip) -> list[Layer]:
    names = {n.removesuffix(".npy") for n in zf.names}
    n_layers = sum(1 for n in names if re.fullmatch(r"W[1-9]\d*", n))
    expected = {f"{a}{l}" for a in "Wb" for l in range(1, n_layers + 1)}
    if not n_layers or names != expected:
        listed = ", ".join(shown(n, 20) for n in sorted(names)[:8]) + (", ..." if len(names) > 8 else "")
        raise ModelFileError(f"An .npz model holds arrays W1, b1, W2, b2, ... with each W shaped (inputs, "
                             f"outputs); this one holds {listed or 'nothing'}.")
    layers = []
    for l in range(1, n_layers + 1):
        W, b = _npy(zf, f"W{l}"), _npy(zf, f"b{l}")
        _check_weight_shape(f"W{l}", W.shape)
        layers.append((f"W{l}", W, f"b{l}", b))
    return layers


def _npy(zf: torchfile.Zip, name: str) -> np.ndarray:
    """An .npz member as a read-only array over its bytes, once its header agrees with its size.
    (np.load would allocate the shape its header declares before reading a byte.)"""
    f = io.BytesIO(zf.read(name + ".npy", zf.budget))
    version = np.lib.format.read_magic(f)
    if version not in ((1, 0), (2, 0)):
        raise ModelFileError(f"This file is damaged: {name} is not an array saved by np.savez.")
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read_header(f)
    if dtype.kind not in "biufc" or dtype.fields is not None:  # no objects, strings or records
        raise ModelFileError(f"{name} holds {shown(str(dtype), 20)} values, not floating-point weights. "
                             "Save plain float arrays with np.savez.")
    data = f.getbuffer()[f.tell():]
    if prod(shape) * dtype.itemsize != data.nbytes:
        raise ModelFileError(f"This file is damaged or cut short: {name} does not hold the "
                             f"{shown(fmt_shape(shape))} numbers its header declares.")
    return np.frombuffer(data, dtype).reshape(shape, order="F" if fortran_order else "C")


def _check_weight_shape(name: str, shape) -> None:
    if len(shape) >= 3:
        raise ModelFileError(f"This looks like a convolutional network ({name} has shape "
                             f"{shown(fmt_shape(shape))}); this app shows fully connected networks only.")
    if len(shape) != 2:
        raise ModelFileError(f"{name} has shape {fmt_shape(shape)}, which is not the weight of a Linear "
                             f"layer (a normalization layer?); this app shows Linear layers and ReLUs only.")
    if 0 in shape:
        raise ModelFileError(f"{name} has shape {shown(fmt_shape(shape))}: a layer without units. " + SAVE_ADVICE)


def _checked_params(layers: list[Layer], max_params: int) -> Params:
    """Check the shapes (784 inputs, layers that chain, 10 outputs, at most MAX_PARAMS numbers) before
    reading any tensor, then read them as float32 and check that every number is finite."""
    for l, ((prev, W_prev, _, _), (name, W, _, _)) in enumerate(zip(layers, layers[1:]), start=2):
        if W.shape[0] != W_prev.shape[1]:
            raise ModelFileError(f"Layer {l} ({name}) expects {shown(W.shape[0])} inputs but layer {l - 1} ({prev}) "
                                 f"gives {shown(W_prev.shape[1])}. Was this file saved from a different network?")
    first, W1, _, _ = layers[0]
    if W1.shape[0] != N_PIXELS:
        raise ModelFileError(f"Layer 1 ({first}) expects {shown(W1.shape[0])} inputs, but an MNIST image has "
                             f"{N_PIXELS} pixels (28x28). This app shows networks for MNIST digits only.")
    last, WL, _, _ = layers[-1]
    if WL.shape[1] != N_CLASSES:
        raise ModelFileError(f"The last layer ({last}) gives {shown(WL.shape[1])} outputs, but MNIST has "
                             f"{N_CLASSES} classes (the digits 0-9). Was this file saved from a different network?")
    for w_name, W, b_name, b in layers:
        if b is not None and b.shape != (W.shape[1],):
            raise ModelFileError(f"{b_name} has shape {shown(fmt_shape(b.shape))}, but {w_name} gives "
                                 f"{W.shape[1]} outputs. Was this file saved from a different network?")
    n_params = sum(prod(W.shape) + W.shape[1] for _, W, _, _ in layers)
    if n_params > max_params:
        raise ModelFileError(f"This network has {shown(f'{n_params:,}')} parameters, more than the "
                             f"{max_params:,} this app handles.")
    Ws, bs = [], []
    for w_name, W, b_name, b in layers:
        Ws.append(_float32(w_name, W))
        bs.append(np.zeros(W.shape[1], np.float32) if b is None else _float32(b_name, b))  # Linear(bias=False)
        for name, a in ((w_name, Ws[-1]), (b_name, bs[-1])):
            if not np.isfinite(a).all():
                raise ModelFileError(f"{name} contains NaN or infinite values, so the network's outputs would "
                                     f"be meaningless. Did the training diverge? Try an earlier checkpoint.")
    return Params(Ws=tuple(Ws), bs=tuple(bs))


def _float32(name: str, t) -> np.ndarray:
    """A torch/safetensors tensor or an npz array -> float32, refusing integers and booleans."""
    dtype = t.dtype if isinstance(t, TorchTensor) else t.dtype.name
    if dtype not in ("float32", "float64", "float16", "bfloat16"):
        raise ModelFileError(f"{name} holds {dtype} numbers, not floating-point weights. " + SAVE_ADVICE)
    if isinstance(t, TorchTensor):
        return t.to_float32()
    with np.errstate(over="ignore"):  # a float64 beyond float32's range becomes inf, refused later
        return np.ascontiguousarray(t, dtype=np.float32)
