"""Hostile uploads (tracker issue 11), written opcode by opcode in hostile_files.py so nothing in them can run.

Each is refused with ModelFileError and a short, clean message: in this process (fast; what mutation
testing runs) and, for the bars, in a child process through the library and through the CLI, where a
crash cannot take pytest down with it: at most 2 s and 300 MB of peak memory above the interpreter's
baseline (after importing numpy and mnistcore).
"""
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hostile_files as H
from conftest import ROOT
from mnistcore import ModelFileError, load_params

MAX_SECONDS, MAX_PEAK_MB = 2.0, 300
PYTHON_ADVICE = ("allow_pickle", "set_int_max_str_digits", "Error:", "Error)", "Traceback", "sys.")


def assert_clean(message: str) -> None:
    """A few hundred printable characters, none of them Python's own advice."""
    assert len(message) <= 300, (len(message), message[:400])
    assert message.isprintable(), repr(message[:400])
    for advice in PYTHON_ADVICE:
        assert advice not in message, message


def refusal(source) -> str:
    with pytest.raises(ModelFileError) as e:
        load_params(source)
    assert_clean(str(e.value))
    return str(e.value)


_built: dict[str, Path] = {}


def case_file(name: str, tmp_path_factory) -> Path:
    """The case's file, built once per test session (the bombs take a second or two to build)."""
    if name not in _built:
        path = tmp_path_factory.mktemp("hostile") / "upload.pth"
        path.write_bytes(H.CASES[name][1]())
        _built[name] = path
    return _built[name]


HOSTILE = [name for name, (kind, _, _) in H.CASES.items() if kind != "control"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_file_is_refused_with_a_short_clean_message(name, tmp_path_factory):
    assert H.CASES[name][2] in refusal(case_file(name, tmp_path_factory).read_bytes())


MEASURE = r"""
import contextlib, io, json, resource, sys, time
from mnistcore import ModelFileError, load_params
from mnistcore.__main__ import main
via, path = sys.argv[1:]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
if via == "library":
    try:
        load_params(path)
        outcome, message = "loaded", ""
    except ModelFileError as e:
        outcome, message = "refused", str(e)
else:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["inspect", path])
    outcome, message = {0: "loaded", 2: "refused"}[code], err.getvalue()
seconds = time.perf_counter() - start
peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
print(json.dumps({"outcome": outcome, "message": message, "seconds": seconds, "peak_mb": peak_mb}))
"""


def measure(path, via: str) -> dict:
    """Load `path` in a child process through the library or the CLI; its outcome, message, seconds and
    peak memory (growth of ru_maxrss) in MB. Fails the test if the child crashes or raises."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", MEASURE, via, str(path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, env=env)
    assert out.returncode == 0, f"the child ended with {out.returncode}: {out.stderr[-2000:]}"
    return json.loads(out.stdout)


@pytest.mark.parametrize("via", ["library", "cli"])
@pytest.mark.parametrize("name", list(H.CASES))
def test_any_file_takes_at_most_2_s_and_300_mb_in_a_child_process(name, via, tmp_path_factory):
    kind, _, expected = H.CASES[name]
    result = measure(case_file(name, tmp_path_factory), via)
    assert result["outcome"] == ("loaded" if kind == "control" else "refused"), result
    if expected is not None:
        assert expected in result["message"]
        assert_clean(result["message"].removeprefix("error: ").rstrip("\n"))
    assert result["seconds"] <= MAX_SECONDS, result
    assert result["peak_mb"] <= MAX_PEAK_MB, result


def test_a_path_that_reports_size_0_is_read_only_to_the_limit():
    result = measure("/dev/zero", "library")  # a device: stat says 0 bytes, reading never ends
    assert result["outcome"] == "refused" and "larger than 50 MB" in result["message"], result
    assert result["seconds"] <= MAX_SECONDS and result["peak_mb"] <= MAX_PEAK_MB, result


def test_cli_prints_escaped_names_on_one_line(tmp_path_factory):
    path = case_file("escape codes in a name", tmp_path_factory)
    out = subprocess.run([sys.executable, "-m", "mnistcore", "inspect", str(path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2
    assert "\x1b" not in out.stderr and "\x07" not in out.stderr
    assert out.stderr.startswith("error: \\x1b[2J\\x1b[31mfc1.running_mean\\x07 is not the weight")
    assert out.stderr.count("\n") == 1


# ---------------------------------------------------------------- the hand-written files are faithful


def test_hand_written_pth_loads_bit_for_bit():
    # the control for every hostile .pth: the same builder, without the attack, gives the arrays it wrote
    tensors = H.mlp_tensors()
    storages = H.storages_for(tensors)
    params = load_params(H.torch_zip(H.state_dict_pickle(tensors), storages))
    f32 = {key: np.frombuffer(raw, "<f4") for key, raw in storages.items()}
    np.testing.assert_array_equal(params.Ws[0], f32["0"].reshape(4, 784).T)
    np.testing.assert_array_equal(params.bs[0], f32["1"])
    np.testing.assert_array_equal(params.Ws[1], f32["2"].reshape(10, 4).T)
    np.testing.assert_array_equal(params.bs[1], f32["3"])


def test_hand_written_npz_and_safetensors_load():
    assert load_params(H.npz(H.good_npz_members())).sizes == (784, 4, 10)
    header = {"fc1.weight": {"dtype": "F32", "shape": [4, 784], "data_offsets": [0, 4 * 784 * 4]},
              "fc2.weight": {"dtype": "F32", "shape": [10, 4], "data_offsets": [4 * 784 * 4, 4 * 784 * 4 + 160]}}
    assert load_params(H.safetensors_file(header, bytes(4 * 784 * 4 + 160))).sizes == (784, 4, 10)


def test_deep_nesting_just_within_the_limit_loads():
    # the bound is 32, not less: beside the weights, 31 nested lists (so the dict is 32 deep) are read
    good = H.state_dict_pickle(H.mlp_tensors())[:-1]  # without its STOP, the state_dict is on the stack
    within = good + H.text("deep") + H.EMPTY_LIST * 31 + H.APPEND * 30 + H.SETITEM + H.STOP
    assert load_params(H.with_pickle(within)).sizes == (784, 4, 10)
    deeper = good + H.text("deep") + H.EMPTY_LIST * 32 + H.APPEND * 31 + H.SETITEM + H.STOP
    assert "nests values more than 32 deep" in refusal(H.with_pickle(deeper))


# ---------------------------------------------------------------- every entry point gives ModelFileError


def test_text_mode_file_object_is_refused(tmp_path):
    path = tmp_path / "m.pth"
    path.write_bytes(H.good_pth())
    with open(path, encoding="latin-1") as f:
        assert "opened in text mode" in refusal(f)
    with open(path, encoding="utf-8") as f:  # the bytes are not UTF-8: reading fails before giving a str
        assert "opened in text mode" in refusal(f)


def test_path_with_a_nul_byte_directory_and_other_objects_are_refused(tmp_path):
    assert "Cannot read m\\x00.pth: not a valid path" in refusal("m\x00.pth")
    assert "Is a directory" in refusal(tmp_path)
    assert "load_params takes a path, the file's bytes or a file opened with open(path, 'rb'), not a int" in refusal(3)
    assert "not a NoneType" in refusal(None)


def test_memory_error_becomes_a_refusal(monkeypatch):
    def exhausted(*args):
        raise MemoryError()
    monkeypatch.setattr("mnistcore.torchfile.read_zip", exhausted)
    assert refusal(H.good_pth()) == ("This file needs more memory to read than this app allows. Save the weights "
                                     "with torch.save(model.state_dict(), path) and try that file.")


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview, io.BytesIO], ids=lambda w: w.__name__)
def test_file_over_the_limit_is_refused_however_it_comes(wrap, monkeypatch):
    data = H.good_pth()
    monkeypatch.setattr("mnistcore.load.MAX_FILE_BYTES", len(data) - 1)
    assert "larger than" in refusal(wrap(data))
    monkeypatch.setattr("mnistcore.load.MAX_FILE_BYTES", len(data))
    assert load_params(wrap(data)).sizes == (784, 4, 10)
