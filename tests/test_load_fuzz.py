"""Damaged files: flipped, inserted, deleted and cut bytes in small valid files of every format, and
structure-aware damage to their pickles (opcodes inserted, lengths, integers and memo indices changed,
runs of opcodes repeated so that values nest deeper). load_params must return a Params or raise
ModelFileError with a short printable message, never anything else.

Zip members carry a CRC, so mutating the archive's bytes mostly tests the zip reader; the `*-member`
cases mutate one member's content and repack it with a valid CRC, so the unpickler and the .npy
reader see the damage themselves.
"""
import io
import pickletools
import zipfile

import numpy as np
import pytest
import safetensors.torch
import torch
from hostile_files import replace_member
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mnistcore import ModelFileError, Params, load_params


def small_files() -> dict[str, bytes]:
    """Valid files of a 784-2-10 network (2 hidden units keep them a few kB)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 2), torch.nn.ReLU(), torch.nn.Linear(2, 10))
    state = model.state_dict()
    files = {}
    for fmt in ("zip", "legacy"):
        f = io.BytesIO()
        torch.save({"state_dict": state, "epoch": 3}, f, _use_new_zipfile_serialization=(fmt == "zip"))
        files[fmt] = f.getvalue()
    files["safetensors"] = safetensors.torch.save(state)
    f = io.BytesIO()
    np.savez(f, W1=state["0.weight"].numpy().T, b1=state["0.bias"].numpy(),
             W2=state["2.weight"].numpy().T, b2=state["2.bias"].numpy())
    files["npz"] = f.getvalue()
    return files


FILES = small_files()

mutations = st.lists(st.tuples(st.sampled_from(["flip", "insert", "delete", "truncate"]),
                               st.integers(0, 2**31), st.binary(min_size=1, max_size=8)),
                     min_size=1, max_size=4)


def mutate(data: bytes, ops) -> bytes:
    for op, pos, payload in ops:
        pos %= max(len(data), 1)
        if op == "flip" and data:
            data = data[:pos] + bytes([data[pos] ^ payload[0]]) + data[pos + 1:]
        elif op == "insert":
            data = data[:pos] + payload + data[pos:]
        elif op == "delete":
            data = data[:pos] + data[pos + len(payload):]
        else:
            data = data[:pos]
    return data


def mutate_member(zip_bytes: bytes, suffix: str, ops) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            dst.writestr(info, mutate(content, ops) if info.filename.endswith(suffix) else content)
    return out.getvalue()


CASES = {
    "zip": lambda ops: mutate(FILES["zip"], ops),
    "zip-member": lambda ops: mutate_member(FILES["zip"], "/data.pkl", ops),
    "legacy": lambda ops: mutate(FILES["legacy"], ops),
    "safetensors": lambda ops: mutate(FILES["safetensors"], ops),
    "npz": lambda ops: mutate(FILES["npz"], ops),
    "npz-member": lambda ops: mutate_member(FILES["npz"], "W1.npy", ops),
}


def test_unmutated_files_load():
    for data in FILES.values():
        assert load_params(data).sizes == (784, 2, 10)


@pytest.mark.parametrize("case", CASES)
@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(ops=mutations)
def test_damaged_file_gives_params_or_model_file_error(case, ops):
    data = CASES[case](ops)
    try:
        params = load_params(data)
    except ModelFileError:
        return
    assert isinstance(params, Params)


# ---------------------------------------------------------------- structure-aware: the pickle's own opcodes


def opcodes_of(pkl: bytes) -> list[tuple[str, int]]:
    """(name, position) of each opcode, as far as the pickle still parses."""
    found = []
    try:
        for op, _, pos in pickletools.genops(pkl):
            found.append((op.name, pos))
    except Exception:  # a mutated pickle may stop parsing part way
        pass
    return found or [("", 0)]


ARG_WIDTHS = {"BINUNICODE": 4, "SHORT_BINUNICODE": 1, "BINBYTES": 4, "SHORT_BINBYTES": 1, "BININT": 4, "BININT1": 1,
              "BININT2": 2, "LONG1": 1, "FRAME": 8}
MEMO_WIDTHS = {"BINPUT": 1, "BINGET": 1, "LONG_BINPUT": 4, "LONG_BINGET": 4}
OPCODES = [op.code.encode("latin-1") for op in pickletools.opcodes]

pickle_mutations = st.lists(st.tuples(st.sampled_from(["insert", "length", "memo", "repeat"]),
                                      st.integers(0, 2**31), st.integers(0, 2**64 - 1)), min_size=1, max_size=4)


def mutate_pickle(pkl: bytes, ops) -> bytes:
    """Insert opcodes, change lengths, integers and memo indices, repeat runs of opcodes (deeper nesting)."""
    for kind, where, value in ops:
        spots = opcodes_of(pkl)
        if kind == "insert":
            _, pos = spots[where % len(spots)]
            arg = value.to_bytes(8, "little")[: value % 9]
            pkl = pkl[:pos] + OPCODES[value % len(OPCODES)] + arg + pkl[pos:]
        elif kind in ("length", "memo"):
            widths = ARG_WIDTHS if kind == "length" else MEMO_WIDTHS
            spots = [(name, pos) for name, pos in spots if name in widths]
            if spots:
                name, pos = spots[where % len(spots)]
                width = widths[name]
                pkl = pkl[:pos + 1] + value.to_bytes(8, "little")[:width] + pkl[pos + 1 + width:]
        else:
            i = where % len(spots)
            j = min(i + 1 + value % 16, len(spots) - 1)
            run = pkl[spots[i][1]:spots[j][1]]
            pkl = pkl[:spots[i][1]] + run * (1 + (value >> 4) % 300) + pkl[spots[i][1]:]
    return pkl


def legacy_pickles(data: bytes) -> list[int]:
    """Where each of a legacy file's five pickles ends."""
    f, ends = io.BytesIO(data), []
    for _ in range(5):
        for _ in pickletools.genops(f):
            pass
        ends.append(f.tell())
    return ends


ZIP_PICKLE = next(zipfile.ZipFile(io.BytesIO(FILES["zip"])).read(n) for n in zipfile.ZipFile(io.BytesIO(FILES["zip"])).namelist()
                  if n.endswith("/data.pkl"))
LEGACY_ENDS = legacy_pickles(FILES["legacy"])

PICKLE_CASES = {
    "zip-pickle": lambda ops: replace_member(FILES["zip"], "/data.pkl", mutate_pickle(ZIP_PICKLE, ops)),
    "legacy-pickle": lambda ops: (FILES["legacy"][:LEGACY_ENDS[2]]
                                  + mutate_pickle(FILES["legacy"][LEGACY_ENDS[2]:LEGACY_ENDS[3]], ops)
                                  + FILES["legacy"][LEGACY_ENDS[3]:]),
}


def test_unmutated_pickles_load():
    for case in PICKLE_CASES.values():
        assert load_params(case([])).sizes == (784, 2, 10)


@pytest.mark.filterwarnings("ignore:invalid escape sequence")  # genops decodes a STRING opcode before we refuse it
@pytest.mark.parametrize("case", PICKLE_CASES)
@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(ops=pickle_mutations)
def test_structurally_damaged_pickle_gives_params_or_model_file_error(case, ops):
    data = PICKLE_CASES[case](ops)
    try:
        params = load_params(data)
    except ModelFileError as e:
        assert len(str(e)) <= 300 and str(e).isprintable()
        return
    assert isinstance(params, Params)
