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
ModelFileError that says what is wrong and what to do.
"""
from __future__ import annotations

import io
import json
import os
import re
import struct
import zipfile
from pathlib import Path

import numpy as np

from . import torchfile
from .params import N_CLASSES, N_PIXELS, ModelFileError, Params
from .torchfile import STORAGE_TYPES, TorchTensor, fmt_shape, prod

MAX_FILE_BYTES = 200 * 2**20  # a 784-512-10 network takes 1.6 MB; ResNet-50 takes 100 MB
MAX_NUMBERS = MAX_FILE_BYTES // 4  # parameters in a network we read: 200 MB of float32
SAVE_ADVICE = "Save the weights with torch.save(model.state_dict(), path) and try that file."
SAFETENSORS_TYPES = {"F32": "FloatStorage", "F64": "DoubleStorage", "F16": "HalfStorage",
                     "BF16": "BFloat16Storage", "I64": "LongStorage", "I32": "IntStorage",
                     "I16": "ShortStorage", "I8": "CharStorage", "U8": "ByteStorage", "BOOL": "BoolStorage"}
NOT_MODELS = {b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
              b"%PDF": "a PDF document"}


def load_params(source) -> Params:
    """A path (str or Path), the file's bytes, or a binary file object -> Params (float32, (n_in, n_out))."""
    data = _read_source(source)
    try:
        return _checked_params(_layers(data))
    except ModelFileError:
        raise
    except Exception as e:  # a damaged or hostile file must never surface as anything else
        raise ModelFileError(f"This file is damaged, cut short or not a model file "
                             f"({type(e).__name__}: {e}). {SAVE_ADVICE}") from e


def _read_source(source) -> bytes:
    too_big = (f"This file is larger than {MAX_FILE_BYTES // 2**20} MB, the most this app accepts; "
               f"a network for MNIST digits takes a few MB.")
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        try:
            if Path(source).stat().st_size > MAX_FILE_BYTES:
                raise ModelFileError(too_big)
            data = Path(source).read_bytes()
        except OSError as e:
            raise ModelFileError(f"Cannot read {source}: {e.strerror or e}.") from e
    else:
        data = bytes(source.read(MAX_FILE_BYTES + 1))  # a file opened in text mode fails here
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
        zf = zipfile.ZipFile(io.BytesIO(data))
        if sum(info.file_size for info in zf.infolist()) > MAX_FILE_BYTES:  # a zip bomb, or too big
            raise ModelFileError(f"This archive unpacks to more than {MAX_FILE_BYTES // 2**20} MB, the most "
                                 f"this app accepts.")
        names = zf.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if pickles:
            return _torch_layers(_state_dict(torchfile.read_zip(zf, pickles[0])), saved_order=True)
        if names and all(n.endswith(".npy") for n in names):
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                return _npz_layers(npz)
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
        raise ModelFileError(f"This file holds a {type(obj).__name__}, not a state_dict. " + SAVE_ADVICE)
    for key in ("state_dict", "model_state_dict"):
        if isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    tensors = {k: v for k, v in obj.items() if isinstance(k, str) and isinstance(v, TorchTensor)}
    if not tensors:
        keys = ", ".join(map(str, list(obj)[:8])) or "nothing"
        raise ModelFileError(f"This file holds no weights (it has {keys}). A checkpoint should keep them "
                             f"under 'state_dict' or 'model_state_dict'. " + SAVE_ADVICE)
    return tensors


def _safetensors(data: bytes) -> dict[str, TorchTensor]:
    """A .safetensors file's tensors; like a state_dict's, but their order is not kept."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = memoryview(data)[8 + n:]
    store = torchfile.Store("<")
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in SAFETENSORS_TYPES:
            raise ModelFileError(f"{name} holds {info['dtype']} numbers, which this app does not read.")
        begin, end = info["data_offsets"]
        if not (type(begin) is type(end) is int and 0 <= begin <= end <= len(body)):
            raise ModelFileError(f"This file is damaged: the data of {name} lies outside the file.")
        shape = tuple(info["shape"])
        store.raw[name] = body[begin:end]
        storage = torchfile.Storage(torchfile.StorageType(*STORAGE_TYPES[SAFETENSORS_TYPES[info["dtype"]]]),
                                    name, store)
        tensors[name] = torchfile.rebuild_tensor(storage, 0, shape, torchfile.contiguous_strides(shape))
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
            raise ModelFileError(f"{name} is not the weight or bias of a Linear layer; this app shows fully "
                                 f"connected networks (Linear layers and ReLUs) only.")
        groups.setdefault(prefix, {})[kind] = (name, t)
    order = list(groups) if saved_order else sorted(groups, key=_natural_key)
    layers = []
    for prefix in order:
        if "weight" not in groups[prefix]:
            raise ModelFileError(f"{groups[prefix]['bias'][0]} has no weight next to it. " + SAVE_ADVICE)
        w_name, w = groups[prefix]["weight"]
        _check_weight_shape(w_name, w.shape)
        b_name, b = groups[prefix].get("bias", (f"{prefix}.bias".lstrip("."), None))
        layers.append((w_name, w.T, b_name, b))  # torch keeps Linear weights as (out, in); we keep (in, out)
    return layers


def _npz_layers(npz) -> list[Layer]:
    names = set(npz.files)
    n_layers = sum(1 for n in names if re.fullmatch(r"W[1-9]\d*", n))
    expected = {f"{a}{l}" for a in "Wb" for l in range(1, n_layers + 1)}
    if not n_layers or names != expected:
        raise ModelFileError(f"An .npz model holds arrays W1, b1, W2, b2, ... with each W shaped (inputs, "
                             f"outputs); this one holds {', '.join(sorted(names)) or 'nothing'}.")
    layers = []
    for l in range(1, n_layers + 1):
        W, b = npz[f"W{l}"], npz[f"b{l}"]
        if not (isinstance(W, np.ndarray) and isinstance(b, np.ndarray)):  # NpzFile gives bytes for a non-.npy
            raise ModelFileError(f"This file is damaged: W{l} or b{l} is not a NumPy array.")
        _check_weight_shape(f"W{l}", W.shape)
        layers.append((f"W{l}", W, f"b{l}", b))
    return layers


def _check_weight_shape(name: str, shape) -> None:
    if len(shape) >= 3:
        raise ModelFileError(f"This looks like a convolutional network ({name} has shape "
                             f"{fmt_shape(shape)}); this app shows fully connected networks only.")
    if len(shape) != 2:
        raise ModelFileError(f"{name} has shape {fmt_shape(shape)}, which is not the weight of a Linear "
                             f"layer (a normalization layer?); this app shows Linear layers and ReLUs only.")
    if 0 in shape:
        raise ModelFileError(f"{name} has shape {fmt_shape(shape)}: a layer without units. " + SAVE_ADVICE)


def _checked_params(layers: list[Layer]) -> Params:
    """Check the shapes (784 inputs, layers that chain, 10 outputs) before reading any tensor, then
    read them as float32 and check that every number is finite."""
    for l, ((prev, W_prev, _, _), (name, W, _, _)) in enumerate(zip(layers, layers[1:]), start=2):
        if W.shape[0] != W_prev.shape[1]:
            raise ModelFileError(f"Layer {l} ({name}) expects {W.shape[0]} inputs but layer {l - 1} ({prev}) "
                                 f"gives {W_prev.shape[1]}. Was this file saved from a different network?")
    first, W1, _, _ = layers[0]
    if W1.shape[0] != N_PIXELS:
        raise ModelFileError(f"Layer 1 ({first}) expects {W1.shape[0]} inputs, but an MNIST image has "
                             f"{N_PIXELS} pixels (28x28). This app shows networks for MNIST digits only.")
    last, WL, _, _ = layers[-1]
    if WL.shape[1] != N_CLASSES:
        raise ModelFileError(f"The last layer ({last}) gives {WL.shape[1]} outputs, but MNIST has {N_CLASSES} "
                             f"classes (the digits 0-9). Was this file saved from a different network?")
    for w_name, W, b_name, b in layers:
        if b is not None and b.shape != (W.shape[1],):
            raise ModelFileError(f"{b_name} has shape {fmt_shape(b.shape)}, but {w_name} gives {W.shape[1]} "
                                 f"outputs. Was this file saved from a different network?")
    n_numbers = sum(prod(W.shape) + W.shape[1] for _, W, _, _ in layers)
    if n_numbers > MAX_NUMBERS:  # strides of 0 could make a small file declare a huge network
        raise ModelFileError(f"This network has {n_numbers:,} parameters, more than this app handles "
                             f"({MAX_NUMBERS:,}).")
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
    with np.errstate(over="ignore"):  # a float64 beyond float32's range becomes inf, refused later
        return np.ascontiguousarray(t.to_numpy() if isinstance(t, TorchTensor) else t, dtype=np.float32)
