"""load_params_isolated: the same Params as load_params, bit for bit, and a crash, a hang or the memory
limit in the child becomes a ModelFileError while this process goes on."""
import io
import os
import time

import hostile_files as H
import numpy as np
import pytest
import safetensors.torch
import torch

from conftest import loader_children
from mnistapp.paths import SHIPPED_MODEL
from mnistapp.sandbox import TEST_HOOK_ENV, TEST_HOOK_MARKER, load_params_isolated
from mnistcore import ModelFileError, load_params
from mnistcore.load import MAX_PARAMS


def files() -> dict[str, bytes]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 32), torch.nn.ReLU(),
                                torch.nn.Linear(32, 10))
    out = {}
    for fmt in ("zip", "legacy"):
        f = io.BytesIO()
        torch.save(model.to(torch.bfloat16).state_dict(), f, _use_new_zipfile_serialization=(fmt == "zip"))
        out[fmt] = f.getvalue()
    out["safetensors"] = safetensors.torch.save(model.float().state_dict())
    out["npz"] = H.npz(H.good_npz_members())
    return out


FILES = files()


@pytest.mark.parametrize("fmt", FILES)
def test_isolated_load_equals_in_process_load_bit_for_bit(fmt):
    isolated, in_process = load_params_isolated(FILES[fmt]), load_params(FILES[fmt])
    assert isolated.sizes == in_process.sizes
    for a, b in zip(isolated.Ws + isolated.bs, in_process.Ws + in_process.bs):
        assert a.dtype == np.float32 and not a.flags.writeable
        np.testing.assert_array_equal(a, b)
    assert isolated.digest == in_process.digest


def test_refusal_is_the_in_process_message():
    with pytest.raises(ModelFileError) as in_process:
        load_params(H.MEMO_BOMB)
    with pytest.raises(ModelFileError) as isolated:
        load_params_isolated(H.MEMO_BOMB)
    assert str(isolated.value) == str(in_process.value)


def test_crashing_child_is_a_refusal_and_the_next_load_works(monkeypatch):
    monkeypatch.setenv(TEST_HOOK_ENV, "abort")
    with pytest.raises(ModelFileError, match=r"crashed the loader \(exit status -6\), so it was refused. The app is fine"):
        load_params_isolated(TEST_HOOK_MARKER)
    assert load_params_isolated(FILES["zip"]).digest == load_params(FILES["zip"]).digest  # the hook needs its marker


def test_hanging_child_is_stopped_at_the_timeout(monkeypatch):
    monkeypatch.setenv(TEST_HOOK_ENV, "hang")
    start = time.perf_counter()
    with pytest.raises(ModelFileError, match="took longer than 1.5 s, so it was stopped"):
        load_params_isolated(TEST_HOOK_MARKER, timeout_s=1.5)
    assert time.perf_counter() - start < 5


def test_slow_hook_reads_the_file_after_its_marker(monkeypatch):
    monkeypatch.setenv(TEST_HOOK_ENV, "slow")
    assert load_params_isolated(TEST_HOOK_MARKER + FILES["zip"]).digest == load_params(FILES["zip"]).digest


def test_child_over_its_memory_limit_is_a_refusal(monkeypatch):
    monkeypatch.setenv(TEST_HOOK_ENV, "allocate")
    with pytest.raises(ModelFileError, match="needed more than 512 MB of memory, so it was stopped"):
        load_params_isolated(TEST_HOOK_MARKER)


def test_large_file_under_a_small_memory_limit_is_refused_not_crashed():
    data = H.large_good_network()  # 38 MB; reading it needs ~120 MB more
    with pytest.raises(ModelFileError, match="needs more memory to read than this app allows"):
        load_params_isolated(data, max_memory_bytes=64 * 2**20, max_params=MAX_PARAMS)
    assert load_params_isolated(data, max_params=MAX_PARAMS).sizes == (784, 12_000, 10)
    with pytest.raises(ModelFileError, match="more than the 2,000,000 this app handles"):  # the served limit
        load_params_isolated(data)


def test_hook_marker_without_the_variable_is_an_ordinary_file(monkeypatch):
    monkeypatch.delenv(TEST_HOOK_ENV, raising=False)
    with pytest.raises(ModelFileError, match="This is a text file, not a model file"):
        load_params_isolated(TEST_HOOK_MARKER)


def test_child_runs_this_checkout_of_mnistcore():
    # the child imports mnistcore from the directory above the package, whatever the working directory
    here = os.getcwd()
    try:
        os.chdir("/")
        assert load_params_isolated(FILES["npz"]).sizes == (784, 4, 10)
    finally:
        os.chdir(here)


def test_many_uploads_at_once_run_at_most_max_children_loaders_and_all_load():
    """A class uploading together: the loaders take turns instead of 60 Pythons sharing 2 cores."""
    import threading

    from mnistapp.sandbox import MAX_CHILDREN
    data = SHIPPED_MODEL.read_bytes()
    loaded, most, done = [], [0], threading.Event()

    def count() -> None:
        while not done.is_set():
            most[0] = max(most[0], len(loader_children(os.getpid())))
            time.sleep(0.005)

    watcher = threading.Thread(target=count)
    watcher.start()
    threads = [threading.Thread(target=lambda: loaded.append(load_params_isolated(data))) for _ in range(3 * MAX_CHILDREN)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    done.set()
    watcher.join()
    assert len(loaded) == 3 * MAX_CHILDREN and len({p.digest for p in loaded}) == 1
    assert 1 <= most[0] <= MAX_CHILDREN
