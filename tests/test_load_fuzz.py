"""Damaged files: flipped, inserted, deleted and cut bytes in small valid files of every format.
load_params must return a Params or raise ModelFileError, never anything else.

Zip members carry a CRC, so mutating the archive's bytes mostly tests the zip reader; the `*-member`
cases mutate one member's content and repack it with a valid CRC, so the unpickler and the .npy
reader see the damage themselves.
"""
import io
import zipfile

import numpy as np
import pytest
import safetensors.torch
import torch
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
