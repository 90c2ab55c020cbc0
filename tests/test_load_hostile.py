"""Hostile uploads, written opcode by opcode in hostile_files.py so nothing in them can run.

Each is refused with ModelFileError and a short, clean message: in this process (fast; what mutation
testing runs) and, for the bounds, in a child process through the library and through the CLI, where a
crash cannot take pytest down with it: at most 2 s and 300 MB of peak memory above the interpreter's
baseline (after importing numpy and mnistcore).
"""
import io
import json
import os
import pickletools
import subprocess
import sys
import zipfile
from pathlib import Path

import hostile_files as H
import numpy as np
import pytest

from mnistapp.paths import ROOT
from mnistcore import ModelFileError, load_params
from mnistcore.torchfile import SAVE_ADVICE, model_file_advice

# CPU seconds of the child, not wall time: a loaded machine stretches wall time, never the work done
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
import contextlib, io, json, sys, time
from mnistcore import ModelFileError, load_params
from mnistcore.__main__ import main


def status(field):  # kB; VmHWM is this process's peak resident memory since exec (or since clear_refs)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))


via, path = sys.argv[1:]
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # start the peak afresh at the present size
base = status("VmRSS")
start = time.process_time()
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
seconds = time.process_time() - start
peak_mb = (status("VmHWM") - base) / 1024
print(json.dumps({"outcome": outcome, "message": message, "seconds": seconds, "peak_mb": peak_mb}))
"""


def measure(path, via: str) -> dict:
    """Load `path` in a child process through the library or the CLI; its outcome, message, seconds and
    peak memory above its size after importing mnistcore, in MB (Linux's VmHWM: ru_maxrss would carry
    this process's peak over into the child). Fails the test if the child crashes or raises."""
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
        assert refusal(f) == "This file was opened in text mode; open it with open(path, 'rb') and try again."
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


# ---------------------------------------------------------------- each bound is where it is said to be


def good_zip_parts():
    tensors = H.mlp_tensors()
    return H.state_dict_pickle(tensors), H.storages_for(tensors)


def test_pickle_opcode_and_byte_limits_are_exact(monkeypatch):
    pkl, storages = good_zip_parts()
    data = H.torch_zip(pkl, storages)
    n_ops = sum(1 for _ in pickletools.genops(pkl))
    monkeypatch.setattr("mnistcore.torchfile.MAX_PICKLE_OPS", n_ops)
    assert load_params(data).sizes == (784, 4, 10)
    monkeypatch.setattr("mnistcore.torchfile.MAX_PICKLE_OPS", n_ops - 1)
    assert f"has more than {n_ops - 1:,} opcodes" in refusal(data)
    monkeypatch.undo()
    monkeypatch.setattr("mnistcore.torchfile.MAX_PICKLE_BYTES", len(pkl))
    assert load_params(data).sizes == (784, 4, 10)
    assert load_params(H.legacy(pkl, storages)).sizes == (784, 4, 10)
    monkeypatch.setattr("mnistcore.torchfile.MAX_PICKLE_BYTES", len(pkl) - 1)
    assert "archive/data.pkl unpacks to more than" in refusal(data)
    assert "pickle is larger than 0 MB or damaged" in refusal(H.legacy(pkl, storages))


def test_tensor_and_zip_member_limits_are_exact(monkeypatch):
    pkl, storages = good_zip_parts()
    data = H.torch_zip(pkl, storages)
    monkeypatch.setattr("mnistcore.torchfile.MAX_TENSORS", 4)
    assert load_params(data).sizes == (784, 4, 10)
    monkeypatch.setattr("mnistcore.torchfile.MAX_TENSORS", 3)
    assert "more than 3 tensors" in refusal(data)
    monkeypatch.undo()
    n_members = len(zipfile.ZipFile(io.BytesIO(data)).namelist())
    monkeypatch.setattr("mnistcore.torchfile.MAX_ZIP_ENTRIES", n_members)
    assert load_params(data).sizes == (784, 4, 10)
    monkeypatch.setattr("mnistcore.torchfile.MAX_ZIP_ENTRIES", n_members - 1)
    assert f"more than {n_members - 1} members" in refusal(data)


def test_unpacked_budget_is_exact(monkeypatch):
    pkl, storages = good_zip_parts()
    data = H.torch_zip(pkl, storages)
    unpacked = len(pkl) + len("little") + sum(map(len, storages.values()))  # every member is read once
    monkeypatch.setattr("mnistcore.load.MAX_UNPACKED_BYTES", unpacked)
    assert load_params(data).sizes == (784, 4, 10)
    monkeypatch.setattr("mnistcore.load.MAX_UNPACKED_BYTES", unpacked - 1)
    assert "archive/data/3 unpacks to more than 0 MB" in refusal(data)
    deflated = H.torch_zip(pkl, storages, compress=zipfile.ZIP_DEFLATED)
    assert "archive/data/3 unpacks to more than 0 MB" in refusal(deflated)
    monkeypatch.setattr("mnistcore.load.MAX_UNPACKED_BYTES", unpacked)
    assert load_params(deflated).sizes == (784, 4, 10)


def test_safetensors_header_limits_are_exact(monkeypatch):
    header = {"__metadata__": {"format": "pt"},
              "fc1.weight": {"dtype": "F32", "shape": [4, 784], "data_offsets": [0, 12544]},
              "fc2.weight": {"dtype": "F32", "shape": [10, 4], "data_offsets": [12544, 12704]}}
    data = H.safetensors_file(header, bytes(12704))
    n = int.from_bytes(data[:8], "little")
    monkeypatch.setattr("mnistcore.load.MAX_HEADER_BYTES", n)
    assert load_params(data).sizes == (784, 4, 10)
    monkeypatch.setattr("mnistcore.load.MAX_HEADER_BYTES", n - 1)
    assert "header is larger than" in refusal(data)
    monkeypatch.undo()
    monkeypatch.setattr("mnistcore.torchfile.MAX_TENSORS", 2)  # and __metadata__ is not a tensor
    assert load_params(data).sizes == (784, 4, 10)
    monkeypatch.setattr("mnistcore.torchfile.MAX_TENSORS", 1)
    assert "lists more than 1 tensors" in refusal(data)


def checkpoint_with(epoch_ops: bytes) -> bytes:
    """{"epoch": <epoch_ops>, "state_dict": the hand-written state_dict} as a .pth."""
    pkl, storages = good_zip_parts()
    inner = pkl[len(H.PROTO2):-1]
    return H.torch_zip(H.PROTO2 + H.EMPTY_DICT + H.text("epoch") + epoch_ops + H.SETITEM + H.text("state_dict") + inner
                       + H.SETITEM + H.STOP, storages)


@pytest.mark.parametrize("n, loads", [(2**64 - 1, True), (2**64, False), (-2**64, True), (-2**64 - 1, False)])
def test_integers_up_to_64_bits_load(n, loads):
    data = checkpoint_with(H.integer(n))
    if loads:
        assert load_params(data).sizes == (784, 4, 10)
    else:
        assert "holds an integer of more than 64 bits" in refusal(data)


def test_memo_index_limit_is_exact():
    # PROTO, EMPTY_DICT, "epoch", NONE, PUT: the fifth opcode may store entry 4 and no higher
    assert load_params(checkpoint_with(H.NONE + H.put(4))).sizes == (784, 4, 10)
    assert "stores memo entry 5 after only 5 opcodes" in refusal(checkpoint_with(H.NONE + H.put(5)))
    assert "reads memo entry 7, which was never stored" in refusal(checkpoint_with(H.get(7)))


STACK_CASES = [
    (H.EMPTY_LIST + H.EMPTY_LIST + H.APPEND, None),
    (H.EMPTY_LIST + H.MARK + H.NONE + H.NONE + H.APPENDS, None),
    (H.EMPTY_DICT + H.NONE + H.NONE + H.APPEND, "appends to something that is not a list"),
    (H.EMPTY_DICT + H.MARK + H.text("a") + H.SETITEMS, "sets items of something that is not a dict"),
    (H.EMPTY_LIST + H.text("a") + H.NONE + H.SETITEM, "sets items of something that is not a dict"),
    (H.EMPTY_DICT + H.integer(3) + H.NONE + H.SETITEM, None),
    (H.EMPTY_DICT + H.NONE + H.NONE + H.SETITEM, "dict key that is neither a string nor an integer"),
    (H.EMPTY_DICT + H.MARK + H.text("a") + H.NONE + H.NONE + H.NONE + H.SETITEMS, "neither a string nor an integer"),
    (H.text("a") + H.text("b") + b"\x93", "This file tries to call a.b while loading"),  # STACK_GLOBAL: checked
    (H.text("a") + H.integer(1) + b"\x93", "names a global with something other than strings"),
    (H.integer(1) + H.text("b") + b"\x93", "names a global with something other than strings"),
    (b"ccollections\nOrderedDict\n" + H.NONE + H.REDUCE, "calls a function with arguments that are not a tuple"),
    (b"ccollections\nOrderedDict\n" + H.EMPTY_TUPLE + H.REDUCE + H.EMPTY_DICT + b"b", None),
    (H.EMPTY_LIST + H.EMPTY_DICT + b"b", "sets the state of something that is not an object"),
    (H.EMPTY_TUPLE + H.EMPTY_DICT + b"b", "sets the state of something that is not an object"),
    (H.EMPTY_LIST + H.put(4) + H.get(4) + H.APPEND, "puts a value inside itself"),
    (H.EMPTY_LIST + H.put(4) + H.TUPLE1 + H.get(4) + H.NONE + H.APPEND, "changes a value after putting it inside"),
    (H.EMPTY_DICT + H.put(4) + H.TUPLE1 + H.get(4) + H.EMPTY_DICT + b"b", "changes a value after putting it inside"),
    (b"I1\n", "uses the opcode INT"),
    (b"\x8f", "uses the opcode EMPTY_SET"),
    (b"0" + H.NONE, "uses the opcode POP"),
]


TUPLE3, BUILD, STACK_GLOBAL = b"\x87", b"b", b"\x93"
# One value for each thing the check refuses: the whole sentence names what the pickle does.
REFUSED = [
    (H.integer(2**64), "holds an integer of more than 64 bits"),
    (H.EMPTY_DICT + H.NONE + H.APPEND, "appends to something that is not a list"),
    (H.EMPTY_LIST + H.text("a") + H.NONE + H.SETITEM, "sets items of something that is not a dict"),
    (b"ctorch._utils\n_rebuild_tensor_v2\n" + H.EMPTY_TUPLE + H.REDUCE + H.text("a") + H.NONE + H.SETITEM,
     "sets items of something that is not a dict"),  # what a call returns is an object, unless it is an OrderedDict
    (H.EMPTY_DICT + H.NONE + H.NONE + H.SETITEM, "has a dict key that is neither a string nor an integer"),
    (H.text("a") + H.integer(1) + STACK_GLOBAL, "names a global with something other than strings"),
    (b"ccollections\nOrderedDict\n" + H.NONE + H.REDUCE, "calls a function with arguments that are not a tuple"),
    (H.EMPTY_LIST + H.EMPTY_DICT + BUILD, "sets the state of something that is not an object"),
    (H.EMPTY_LIST + H.put(4) + H.get(4) + H.APPEND, "puts a value inside itself"),
    (H.EMPTY_LIST + H.put(4) + H.TUPLE1 + H.get(4) + H.NONE + H.APPEND, "changes a value after putting it inside another"),
    (H.NONE + H.EMPTY_LIST + H.put(4) + H.NONE + TUPLE3 + H.get(4) + H.NONE + H.APPEND + H.TUPLE2,
     "changes a value after putting it inside another"),  # the list is the middle one of three
]


@pytest.mark.parametrize("ops, what", REFUSED, ids=[f"{i}-{w.split()[0]}" for i, (_, w) in enumerate(REFUSED)])
def test_each_refusal_of_the_check_names_what_the_pickle_does(ops, what):
    assert refusal(checkpoint_with(ops)) == (f"This file is damaged or hostile: its pickle {what}, which torch.save "
                                             f"never writes. " + SAVE_ADVICE)


@pytest.mark.parametrize("module, name", [("torch", "load"), ("os", "FloatStorage"), ("torch._utils", "_load_from_bytes"),
                                          ("builtins", "_rebuild_tensor_v2")])
def test_only_torchs_own_storage_and_rebuild_names_get_stand_ins(module, name):
    call = b"c" + module.encode() + b"\n" + name.encode() + b"\n" + H.EMPTY_TUPLE + H.REDUCE
    assert refusal(checkpoint_with(call)) == model_file_advice(f"{module}.{name}")


def test_a_pickle_over_4_mb_is_refused_naming_the_limit():
    data = H.PROTO2 + H.text("x" * 5 * 2**20) + H.STOP  # a legacy file whose first pickle does not end within 4 MB
    assert refusal(data).startswith("This file's pickle is larger than 4 MB or damaged; a state_dict's takes a few kB.")
    at_the_limit = H.PROTO2 + H.text("x" * (4 * 2**20 - 7))  # 4 MB exactly, with no STOP: not larger, only damaged
    assert refusal(at_the_limit).startswith("This file is damaged or cut short: its pickle is not valid.")


def test_a_member_compressed_another_way_is_named():
    assert refusal(H.compressed_member(zipfile.ZIP_BZIP2)).startswith(
        "This archive compresses archive/data.pkl with a method this app does not read")


@pytest.mark.parametrize("ops, expected", STACK_CASES,
                         ids=[f"{i}-{(e or 'loads').split()[0]}" for i, (_, e) in enumerate(STACK_CASES)])
def test_check_follows_the_stack_the_unpickler_builds(ops, expected):
    # each value stands where the epoch goes, in a checkpoint that loads when the check lets it pass
    data = checkpoint_with(ops)
    if expected is None:
        assert load_params(data).sizes == (784, 4, 10)
    else:
        assert expected in refusal(data)


def test_empty_stack_and_unknown_opcodes_are_damage():
    for pkl in (H.PROTO2 + H.APPEND + H.STOP, H.PROTO2 + b"\xff" + H.STOP, H.PROTO2 + H.NONE):
        assert refusal(H.with_pickle(pkl)).startswith("This file is damaged or cut short: its pickle is not valid.")


@pytest.mark.parametrize("pkl", [H.PROTO2 + H.STOP, H.PROTO2 + H.NONE + H.NONE + H.STOP, H.PROTO2 + H.MARK + H.NONE + H.STOP],
                         ids=["none", "two", "open-mark"])
def test_pickle_must_end_with_one_value(pkl):
    assert "its pickle does not end with exactly one value" in refusal(H.with_pickle(pkl))



@pytest.mark.parametrize("refused", ["torch.nn.functional.relu", "__main__.helper", "my.models.Net", "x.Net"])
def test_a_pickled_object_gets_the_state_dict_advice(refused):
    assert model_file_advice(refused).startswith(f"This file holds a pickled Python object ({refused}), probably a "
                                                 f"whole model saved with torch.save(model).")


@pytest.mark.parametrize("refused", ["posix.system", "builtins.eval", "torch.hub._load_local", "my.models.nET",
                                     "__main__x.f"])
def test_a_refused_call_is_named(refused):
    assert model_file_advice(refused).startswith(f"This file tries to call {refused} while loading, so it was refused")


def test_a_long_or_strange_global_name_is_shortened_and_escaped():
    assert model_file_advice("m" * 70 + ".f").startswith("This file tries to call " + "m" * 60 + "... while loading")
    assert model_file_advice("os.\x1bsystem").startswith("This file tries to call os.\\x1bsystem while")


if __name__ == "__main__":  # PYTHONPATH=. python tests/test_load_hostile.py: a table of time and peak memory
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        print("| class | file | size | library: s, MB | CLI: s, MB | refusal |\n|---|---|---:|---:|---:|---|")
        for name, (kind, build, _) in H.CASES.items():
            path = Path(tmp) / "upload.pth"
            path.write_bytes(build())
            lib, cli = measure(path, "library"), measure(path, "cli")
            print(f"| {kind} | {name} | {path.stat().st_size:,} B | {lib['seconds']:.2f} s, {lib['peak_mb']:.0f} MB "
                  f"| {cli['seconds']:.2f} s, {cli['peak_mb']:.0f} MB | {lib['message'][:60] or 'loads'} |")
        lib = measure("/dev/zero", "library")
        print(f"| memory | /dev/zero (size 0) | - | {lib['seconds']:.2f} s, {lib['peak_mb']:.0f} MB | | {lib['message'][:60]} |")
