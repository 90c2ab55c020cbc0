"""The writers: torch reads our .pth with weights_only=True, and every format loads back bit for bit."""
import io
import struct
import zipfile

import numpy as np
import pytest
import torch

from mnistapp.paths import SHIPPED_MODEL
from mnistapp.sandbox import load_params_isolated
from mnistcore import forward, load_params, npz_bytes, pth_bytes, safetensors_bytes
from mnistcore.save import ALIGN, WRITERS
from reference import random_params

SHAPES = [(784, 512, 10), (784, 32, 10), (784, 64, 48, 10)]


class MLP(torch.nn.Module):  # train.py's module names, for any depth
    def __init__(self, sizes):
        super().__init__()
        for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), start=1):
            setattr(self, f"fc{l}", torch.nn.Linear(n_in, n_out))
        self.n = len(sizes) - 1

    def forward(self, x):
        for l in range(1, self.n + 1):
            x = getattr(self, f"fc{l}")(x)
            x = torch.relu(x) if l < self.n else x
        return x


@pytest.mark.parametrize("sizes", SHAPES, ids=lambda s: "-".join(map(str, s)))
def test_torch_loads_our_pth_with_weights_only_into_linear_layers(sizes, tmp_path):
    params = random_params(sizes, rng=sum(sizes))
    path = tmp_path / "ours.pth"
    path.write_bytes(pth_bytes(params))
    state = torch.load(path, weights_only=True)
    assert list(state) == [f"fc{l}.{k}" for l in range(1, len(sizes)) for k in ("weight", "bias")]
    model = MLP(sizes)
    model.load_state_dict(state)  # strict: every key present, every shape right
    for l, (W, b) in enumerate(zip(params.Ws, params.bs), start=1):
        layer = getattr(model, f"fc{l}")
        np.testing.assert_array_equal(layer.weight.detach().numpy(), W.T)  # torch keeps (out, in)
        np.testing.assert_array_equal(layer.bias.detach().numpy(), b)
    x = np.random.default_rng(0).normal(size=(5, 784)).astype(np.float32)
    np.testing.assert_allclose(model(torch.from_numpy(x)).detach().numpy(), forward(params, x).logits,
                               rtol=1e-5, atol=1e-5)


def test_our_pth_of_the_shipped_model_holds_torchs_own_tensors():
    ours = torch.load(io.BytesIO(pth_bytes(load_params(SHIPPED_MODEL))), weights_only=True)
    theirs = torch.load(SHIPPED_MODEL, weights_only=True)
    assert list(ours) == list(theirs)
    for k in theirs:
        assert torch.equal(ours[k], theirs[k]) and ours[k].is_contiguous(), k


def test_pth_storages_are_aligned_as_torch_aligns_them():
    data = pth_bytes(random_params((784, 32, 10)))
    zf = zipfile.ZipFile(io.BytesIO(data))
    for info in zf.infolist():
        if "/data/" in info.filename:
            name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26:info.header_offset + 30])
            assert (info.header_offset + 30 + name_len + extra_len) % ALIGN == 0, info.filename
    assert zf.read("archive/byteorder") == b"little" and zf.read("archive/version") == b"3\n"


@pytest.mark.parametrize("fmt", sorted(WRITERS))
@pytest.mark.parametrize("sizes", SHAPES, ids=lambda s: "-".join(map(str, s)))
def test_every_format_loads_back_bit_for_bit(fmt, sizes):
    params = random_params(sizes, rng=len(sizes))
    back = load_params(WRITERS[fmt](params))
    assert back.sizes == params.sizes
    for a, b in zip(back.Ws + back.bs, params.Ws + params.bs):
        np.testing.assert_array_equal(a, b)
    assert back.digest == params.digest


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_the_apps_child_process_loader_reads_every_format_as_the_engine_does(fmt):
    """The sidebar loads uploads with load_params_isolated: what the Learn page writes must come back whole."""
    params = random_params((784, 64, 10), rng=7)
    back = load_params_isolated(WRITERS[fmt](params))
    assert back.digest == params.digest
    x = np.random.default_rng(1).normal(size=(20, 784)).astype(np.float32)
    np.testing.assert_array_equal(forward(back, x).logits, forward(params, x).logits)


def test_safetensors_is_read_by_the_safetensors_library():
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    params = random_params((784, 32, 10))
    arrays = safetensors_numpy.load(safetensors_bytes(params))
    np.testing.assert_array_equal(arrays["fc1.weight"], params.Ws[0].T)
    np.testing.assert_array_equal(arrays["fc2.bias"], params.bs[1])


def test_npz_keeps_the_engines_orientation():
    params = random_params((784, 32, 10))
    with np.load(io.BytesIO(npz_bytes(params))) as npz:
        assert sorted(npz.files) == ["W1", "W2", "b1", "b2"]
        np.testing.assert_array_equal(npz["W1"], params.Ws[0])
