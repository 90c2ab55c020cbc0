"""Load an uploaded model file in a child process, so that nothing in it can take the server down.

The checks in `mnistcore/load.py` make loading in-process safe for every file we know of; the app adds this
second wall because one process serves every session. The child, `python -m mnistapp.sandbox`,
limits its own address space (RLIMIT_AS, counted above its size after importing NumPy) and CPU time,
reads the file's bytes on stdin, refuses a network bigger than the app serves (MAX_SERVED_PARAMS,
MAX_HIDDEN_LAYERS: every page of every session would slow down with it), and writes back one JSON line, either {"refused": message} or
{"shapes": [W1, b1, W2, ...]}, followed by the arrays' raw little-endian float32 bytes. The parent
rebuilds Params from those bytes alone: nothing the child sends is unpickled. A crash, a timeout or
the memory limit in the child becomes a ModelFileError, and the parent goes on.

Test hook: with the environment variable MNISTCORE_LOADER_TEST_HOOK set to "abort", "hang", "allocate" or
"slow", a child whose bytes start with TEST_HOOK_MARKER calls os.abort(), sleeps, allocates memory until
the limit stops it, or waits SLOW_HOOK_S and then reads the bytes after the marker as the file. Without the
variable such bytes are an ordinary file (refused).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from mnistcore.load import MAX_FILE_BYTES, load_params
from mnistcore.params import ModelFileError, Params

MAX_SERVED_PARAMS = 2_000_000  # 5x the shipped 784-512-10 (407,050): 8 MB a session, every page stays quick
MAX_HIDDEN_LAYERS = 8            # the Draw page shows every hidden layer on every stroke
MAX_MEMORY_BYTES = 512 * 2**20  # the loader needs at most ~300 MB above its baseline for any file
TIMEOUT_S = 10.0  # the loader takes at most ~2 s for any file; the child's start takes ~0.3 s
# Children reading at once, per server: a class of 60 uploading within seconds of each other otherwise started
# 60 Pythons on 2 cores, and half of them ran out of their 10 s waiting for a core (benchmarks/class_load.py --cold).
MAX_CHILDREN = 2
_children = threading.BoundedSemaphore(MAX_CHILDREN)
TEST_HOOK_ENV = "MNISTCORE_LOADER_TEST_HOOK"
TEST_HOOK_MARKER = b"mnistcore loader test hook\n"
SLOW_HOOK_S = 4.0  # "slow": long enough for a browser test to drop another file meanwhile
OUT_OF_MEMORY = 3  # the child's exit status after a MemoryError outside load_params
ROOT = Path(__file__).resolve().parent.parent
TRY_AGAIN = "The app is fine; save the weights with torch.save(model.state_dict(), path) and try that file."


def load_params_isolated(data: bytes, *, max_memory_bytes: int = MAX_MEMORY_BYTES, timeout_s: float = TIMEOUT_S,
                         max_params: int = MAX_SERVED_PARAMS) -> Params:
    """The file's bytes -> Params, as load_params(data) gives them, loaded in a child process; a network
    over MAX_SERVED_PARAMS parameters or MAX_HIDDEN_LAYERS hidden layers is refused (ModelFileError)."""
    if len(data) > MAX_FILE_BYTES:  # refused here, without starting a child
        return load_params(data, max_params=max_params)
    with _children:  # the wait for a turn counts into no child's time limit
        return _load_in_child(data, max_memory_bytes, timeout_s, max_params)


def _load_in_child(data: bytes, max_memory_bytes: int, timeout_s: float, max_params: int) -> Params:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    child = subprocess.Popen([sys.executable, "-m", "mnistapp.sandbox", str(max_memory_bytes), str(timeout_s),
                              str(max_params)],
                             cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
    try:
        out, _ = child.communicate(bytes(data), timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise ModelFileError(f"Reading this file took longer than {timeout_s:g} s, so it was stopped. "
                             + TRY_AGAIN) from None
    finally:  # timed out, or the caller interrupted: the child goes too
        if child.poll() is None:
            child.kill()
            child.communicate()
    if child.returncode == OUT_OF_MEMORY or child.returncode == -signal.SIGKILL:  # SIGKILL: the kernel's OOM killer
        raise ModelFileError(f"Reading this file needed more than {max_memory_bytes // 2**20} MB of memory, so it "
                             f"was stopped. " + TRY_AGAIN)
    if child.returncode == -signal.SIGXCPU:
        raise ModelFileError(f"Reading this file took longer than {timeout_s:g} s, so it was stopped. " + TRY_AGAIN)
    if child.returncode != 0:
        raise ModelFileError(f"Reading this file crashed the loader (exit status {child.returncode}), so it was "
                             f"refused. " + TRY_AGAIN)
    return _params_from(out)


def _params_from(out: bytes) -> Params:
    """Params from the child's answer: a JSON line, then W1, b1, W2, ... as raw float32."""
    line, _, raw = out.partition(b"\n")
    header = json.loads(line)
    if "refused" in header:
        raise ModelFileError(header["refused"])
    shapes = [tuple(s) for s in header["shapes"]]
    sizes = [int(np.prod(s)) for s in shapes]
    assert 4 * sum(sizes) == len(raw), "the child answers as _child writes"
    arrays, at = [], 0
    for shape, n in zip(shapes, sizes):
        arrays.append(np.frombuffer(raw, "<f4", count=n, offset=4 * at).reshape(shape))
        at += n
    return Params(Ws=tuple(arrays[0::2]), bs=tuple(arrays[1::2]))


def _limit_self(max_memory_bytes: int, timeout_s: float) -> None:
    """Cap this process's address space at its present size plus max_memory_bytes, and its CPU time."""
    import resource  # POSIX only, like the app's server
    with open("/proc/self/statm") as f:
        size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (size + max_memory_bytes, size + max_memory_bytes))
    cpu = int(timeout_s) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


def _test_hook(what: str) -> None:
    if what == "abort":
        os.abort()
    if what == "hang":
        time.sleep(3600)
    if what == "slow":
        time.sleep(SLOW_HOOK_S)
    if what == "allocate":
        blocks = []
        while True:
            blocks.append(np.ones(2**24))  # 128 MB at a time, touched, until the limit refuses one


def check_served_size(params: Params) -> None:
    """Refuse a network deeper than the app serves (its parameter count is checked while loading)."""
    if len(params.Ws) - 1 > MAX_HIDDEN_LAYERS:
        raise ModelFileError(f"This network has {len(params.Ws) - 1} hidden layers, more than the {MAX_HIDDEN_LAYERS} "
                             f"this app shows (every page draws each one). Try a shallower network.")


def _child(argv: list[str]) -> int:
    _limit_self(int(argv[0]), float(argv[1]))
    data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    if os.environ.get(TEST_HOOK_ENV) and data.startswith(TEST_HOOK_MARKER):
        _test_hook(os.environ[TEST_HOOK_ENV])
        data = data[len(TEST_HOOK_MARKER):]  # "slow" goes on to read the rest
    try:
        params = load_params(data, max_params=int(argv[2]))
        check_served_size(params)
    except ModelFileError as e:
        header, arrays = {"refused": str(e)}, []
    else:
        arrays = [a for W, b in zip(params.Ws, params.bs) for a in (W, b)]
        header = {"shapes": [a.shape for a in arrays]}
    out = sys.stdout.buffer
    out.write(json.dumps(header).encode() + b"\n")
    for a in arrays:
        out.write(np.ascontiguousarray(a, "<f4").data)
    out.flush()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(_child(sys.argv[1:]))
    except MemoryError:
        os._exit(OUT_OF_MEMORY)  # no clean-up: it could need memory too
