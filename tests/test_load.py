"""load_params against torch.load(..., weights_only=True): every format and dict shape people save,
and one test per file we must refuse, hostile pickles included (they try to create a marker file)."""
import io
import os
import pickle
import subprocess
import sys
import warnings
import zipfile
from collections import OrderedDict

import hostile_files as H
import numpy as np
import numpy.testing._private.utils as np_testing_utils
import pytest
import safetensors.torch
import torch
from PIL import Image

from mnistapp.paths import ROOT
from mnistcore import ModelFileError, Params, forward, load_params
from mnistcore.load import MAX_FILE_BYTES
from mnistcore.torchfile import SAVE_ADVICE, contiguous_strides, fmt_shape, shown

SHAPES = [(784, 512, 10), (784, 256, 128, 10), (784, 32, 10)]
DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]
FORMATS = ["zip", "legacy"]


def mlp(sizes, seed=0) -> torch.nn.Sequential:
    """Linear, ReLU, Linear, ...: its state_dict has keys 0.weight, 0.bias, 2.weight, ..."""
    torch.manual_seed(seed)
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


class FcNet(torch.nn.Module):  # keys fc1.weight, fc1.bias, fc2.weight, fc2.bias
    def __init__(self, hidden=32):
        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(784, hidden), torch.nn.Linear(hidden, 10)


class LayersNet(torch.nn.Module):  # keys layers.0.weight, ..., layers.2.bias
    def __init__(self):
        super().__init__()
        self.layers = mlp((784, 32, 10))


class UnsortedNet(torch.nn.Module):  # saved order z_in, a_out is not alphabetical order
    def __init__(self):
        super().__init__()
        self.z_in, self.a_out = torch.nn.Linear(784, 32), torch.nn.Linear(32, 10)


def save(obj, path, fmt="zip"):
    torch.save(obj, path, _use_new_zipfile_serialization=(fmt == "zip"))
    return path


def weights_of(state_dict) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
    """(weight, bias) of each Linear, in saved order."""
    names = [k for k in state_dict if k.endswith("weight")]
    return [(state_dict[k], state_dict.get(k[: -len("weight")] + "bias")) for k in names]


def assert_equal_to_reference(params: Params, state_dict):
    """Our (in, out) float32 arrays equal torch's (out, in) tensors, transposed and made float32."""
    pairs = weights_of(state_dict)
    assert len(params.Ws) == len(pairs)
    for W, b, (w_ref, b_ref) in zip(params.Ws, params.bs, pairs):
        assert W.dtype == b.dtype == np.float32
        np.testing.assert_array_equal(W, w_ref.float().numpy().T)
        np.testing.assert_array_equal(b, b_ref.float().numpy())


# ---------------------------------------------------------------- files we read


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("sizes", SHAPES, ids=lambda s: "-".join(map(str, s)))
def test_state_dict_equals_torch_load_bit_for_bit(tmp_path, sizes, dtype, fmt):
    path = save(mlp(sizes).to(dtype).state_dict(), tmp_path / "m.pth", fmt)
    params = load_params(path)
    assert params.sizes == sizes
    assert_equal_to_reference(params, torch.load(path, weights_only=True))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("model", [FcNet(), LayersNet(), UnsortedNet(), torch.nn.DataParallel(FcNet())],
                         ids=["fc1", "layers.0", "saved-order", "module-prefix"])
def test_key_names_pair_weights_with_biases_in_saved_order(tmp_path, model, fmt):
    path = save(model.state_dict(), tmp_path / "m.pth", fmt)
    params = load_params(path)
    assert params.sizes == (784, 32, 10)
    assert_equal_to_reference(params, torch.load(path, weights_only=True))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("key", ["state_dict", "model_state_dict"])
def test_checkpoint_with_adam_state_and_epoch(tmp_path, key, fmt):
    model = FcNet()
    opt = torch.optim.Adam(model.parameters())
    for _ in range(2):  # so Adam's state holds exp_avg, exp_avg_sq and step tensors
        opt.zero_grad()
        model.fc2(torch.relu(model.fc1(torch.rand(4, 784)))).sum().backward()
        opt.step()
    path = save({"epoch": 7, key: model.state_dict(), "optimizer_state_dict": opt.state_dict(), "loss": 0.25},
                tmp_path / "ckpt.pth", fmt)
    reference = torch.load(path, weights_only=True)
    assert reference["optimizer_state_dict"]["state"][0]["exp_avg"].shape == (32, 784)
    assert_equal_to_reference(load_params(path), reference[key])


@pytest.mark.parametrize("fmt", FORMATS)
def test_views_strides_and_shared_storage_are_honoured(tmp_path, fmt):
    torch.manual_seed(1)
    big = torch.randn(32, 2 * 784)
    flat = torch.randn(42)
    state = OrderedDict([("fc1.weight", big[:, ::2]),         # every other column: stride (1568, 2)
                         ("fc1.bias", flat[:32]),             # two biases in one storage ...
                         ("fc2.weight", torch.randn(32, 10).t()),  # a transpose: stride (1, 10)
                         ("fc2.bias", flat[32:])])            # ... the second at offset 32
    path = save(state, tmp_path / "mnistapp.pth", fmt)
    reference = torch.load(path, weights_only=True)
    assert not reference["fc1.weight"].is_contiguous() and not reference["fc2.weight"].is_contiguous()
    assert reference["fc2.bias"].storage_offset() == 32
    assert reference["fc2.bias"].untyped_storage().data_ptr() == reference["fc1.bias"].untyped_storage().data_ptr()
    assert_equal_to_reference(load_params(path), reference)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_any_pickle_protocol_and_saved_parameters_load(tmp_path, protocol, fmt):
    model = FcNet()
    path = tmp_path / "m.pth"
    torch.save(dict(model.named_parameters()), path, pickle_protocol=protocol,  # nn.Parameters, not tensors
               _use_new_zipfile_serialization=(fmt == "zip"))
    # torch.load(weights_only=True) cannot read protocol 4 and 5 (their FRAME opcode), so compare with the model
    assert_equal_to_reference(load_params(path), {k: v.detach() for k, v in model.named_parameters()})


def test_big_endian_zip_file_loads(tmp_path):
    # torch on a big-endian machine writes byteorder "big" and its storages' bytes swapped
    state = FcNet().state_dict()
    data = save(state, tmp_path / "m.pth").read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename.endswith("/byteorder"):
                content = b"big"
            elif "/data/" in info.filename:
                content = np.frombuffer(content, "<f4").astype(">f4").tobytes()
            dst.writestr(info, content)
    assert_equal_to_reference(load_params(out.getvalue()), state)


def test_linear_without_bias_gets_zero_bias(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(784, 32, bias=False), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    params = load_params(save(model.state_dict(), tmp_path / "m.pth"))
    np.testing.assert_array_equal(params.bs[0], np.zeros(32, np.float32))
    x = np.random.default_rng(0).random((5, 784), dtype=np.float32)
    np.testing.assert_allclose(forward(params, x).logits, model(torch.tensor(x)).detach().numpy(),
                               rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_safetensors_equals_safetensors_load_file(tmp_path, dtype):
    path = tmp_path / "m.safetensors"
    safetensors.torch.save_file(mlp((784, 256, 128, 10)).to(dtype).state_dict(), path)
    params = load_params(path)
    assert params.sizes == (784, 256, 128, 10)
    assert_equal_to_reference(params, safetensors.torch.load_file(path))


def test_safetensors_layers_go_in_natural_name_order(tmp_path):
    # safetensors keeps names sorted as strings (layers.10 before layers.2), so it loses the saved order
    torch.manual_seed(5)
    state = {}
    for name, (n_out, n_in) in {"layers.0": (32, 784), "layers.2": (16, 32), "layers.10": (10, 16)}.items():
        state[f"{name}.weight"], state[f"{name}.bias"] = torch.randn(n_out, n_in), torch.randn(n_out)
    safetensors.torch.save_file(state, tmp_path / "m.safetensors")
    params = load_params(tmp_path / "m.safetensors")
    assert params.sizes == (784, 32, 16, 10)
    assert_equal_to_reference(params, state)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_npz_keeps_in_out_orientation(tmp_path, dtype):
    rng = np.random.default_rng(2)
    arrays = {"W1": rng.normal(size=(784, 64)), "b1": rng.normal(size=64),
              "W2": rng.normal(size=(64, 10)), "b2": rng.normal(size=10)}
    arrays = {k: v.astype(dtype) for k, v in arrays.items()}
    np.savez(tmp_path / "m.npz", **arrays)
    params = load_params(tmp_path / "m.npz")
    for l in (1, 2):
        np.testing.assert_array_equal(params.Ws[l - 1], arrays[f"W{l}"].astype(np.float32))
        np.testing.assert_array_equal(params.bs[l - 1], arrays[f"b{l}"].astype(np.float32))


def test_path_str_bytes_and_file_objects_give_the_same_model(tmp_path):
    path = save(FcNet().state_dict(), tmp_path / "any name.bin")
    with open(path, "rb") as f:
        from_file = load_params(f)
    digests = {load_params(path).digest, load_params(str(path)).digest, load_params(path.read_bytes()).digest,
               load_params(io.BytesIO(path.read_bytes())).digest, from_file.digest}
    assert len(digests) == 1


def test_loaded_arrays_are_read_only_float32(tmp_path):
    params = load_params(save(FcNet().state_dict(), tmp_path / "m.pth"))
    for a in params.Ws + params.bs:
        assert a.dtype == np.float32 and not a.flags.writeable
    with pytest.raises(ValueError):
        params.Ws[0][0, 0] = 1


NO_TORCH = """
import sys
attempts = []
class NoTorch:  # any import of torch fails, and we see it
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            attempts.append(name)
            raise ImportError("torch is not installed here")
sys.meta_path.insert(0, NoTorch())
import numpy as np
from mnistcore import forward, load_params
x = np.load(sys.argv[1])
for path in sys.argv[2:]:
    print(" ".join(repr(float(v)) for v in forward(load_params(path), x).logits.ravel()))
assert attempts == [], attempts
"""


def test_load_and_forward_run_where_torch_cannot_be_imported(tmp_path):
    model = mlp((784, 32, 10))
    paths = [save(model.state_dict(), tmp_path / "zip.pth"), save(model.state_dict(), tmp_path / "legacy.pth", "legacy"),
             tmp_path / "m.safetensors", tmp_path / "m.npz"]
    safetensors.torch.save_file(model.state_dict(), paths[2])
    sd = model.state_dict()
    np.savez(paths[3], W1=sd["0.weight"].numpy().T, b1=sd["0.bias"].numpy(), W2=sd["2.weight"].numpy().T,
             b2=sd["2.bias"].numpy())
    x = np.random.default_rng(3).random((4, 784), dtype=np.float32)
    np.save(tmp_path / "x.npy", x)
    out = subprocess.run([sys.executable, "-c", NO_TORCH, tmp_path / "x.npy", *paths], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    expected = model(torch.tensor(x)).detach().numpy().ravel()
    lines = out.stdout.splitlines()
    assert len(lines) == 4
    for line in lines:
        np.testing.assert_allclose(np.array(line.split(), float), expected, rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------- files we refuse


def refusal(source) -> str:
    with pytest.raises(ModelFileError) as e:
        load_params(source)
    return str(e.value)


def test_random_bytes_are_not_a_model(tmp_path):
    path = tmp_path / "noise.pth"
    path.write_bytes(np.random.default_rng(4).bytes(5000))
    assert refusal(path).startswith("This is not a model file. Upload a .pth file saved with torch.save(")


def test_png_image_is_not_a_model(tmp_path):
    Image.new("L", (28, 28)).save(tmp_path / "digit.png")
    assert "This is a PNG image, not a model file" in refusal(tmp_path / "digit.png")


def test_text_file_is_not_a_model(tmp_path):
    (tmp_path / "model.pth").write_text("fc1.weight = [[0.1, 0.2], ...]\n")
    assert refusal(tmp_path / "model.pth").startswith("This is a text file, not a model file. Upload a .pth file")


def test_empty_file_is_refused(tmp_path):
    (tmp_path / "m.pth").write_bytes(b"")
    assert refusal(tmp_path / "m.pth") == "This file is empty. " + SAVE_ADVICE


def test_missing_file_is_refused(tmp_path):
    assert "Cannot read" in refusal(tmp_path / "nope.pth")


@pytest.mark.parametrize("fmt", FORMATS)
def test_file_cut_in_half_is_refused(tmp_path, fmt):
    data = save(FcNet().state_dict(), tmp_path / "m.pth", fmt).read_bytes()
    message = refusal(data[: len(data) // 2])
    assert "damaged" in message or "cut short" in message


def test_too_large_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("mnistcore.load.MAX_FILE_BYTES", 1000)
    path = save(FcNet().state_dict(), tmp_path / "m.pth")
    assert "larger than" in refusal(path)
    assert "larger than" in refusal(path.read_bytes())


def test_convolutional_network_is_refused(tmp_path):
    net = torch.nn.Module()
    net.conv1 = torch.nn.Conv2d(1, 32, 3)
    net.fc1 = torch.nn.Linear(32 * 26 * 26, 10)
    message = refusal(save(net.state_dict(), tmp_path / "cnn.pth"))
    assert "This looks like a convolutional network (conv1.weight has shape 32x1x3x3)" in message


def test_layers_that_do_not_chain_are_named(tmp_path):
    state = {"fc1.weight": torch.zeros(512, 784), "fc1.bias": torch.zeros(512),
             "fc2.weight": torch.zeros(10, 256), "fc2.bias": torch.zeros(10)}
    message = refusal(save(state, tmp_path / "m.pth"))
    assert "Layer 2 (fc2.weight) expects 256 inputs but layer 1 (fc1.weight) gives 512" in message


def test_input_other_than_784_is_refused(tmp_path):
    message = refusal(save(mlp((100, 32, 10)).state_dict(), tmp_path / "m.pth"))
    assert "(0.weight) expects 100 inputs" in message and "784" in message


def test_output_other_than_10_is_refused(tmp_path):
    message = refusal(save(mlp((784, 32, 5)).state_dict(), tmp_path / "m.pth"))
    assert "(2.weight) gives 5 outputs" in message and "10 classes" in message


@pytest.mark.parametrize("name, value", [("fc2.weight", float("nan")), ("fc1.bias", float("inf"))])
def test_nan_or_infinite_weights_are_named(tmp_path, name, value):
    state = FcNet().state_dict()
    state[name].view(-1)[3] = value
    assert f"{name} contains NaN or infinite values" in refusal(save(state, tmp_path / "m.pth"))


def test_float64_beyond_float32_range_is_refused(tmp_path):
    state = {k: v.double() for k, v in FcNet().state_dict().items()}
    state["fc1.weight"][0, 0] = 1e300
    assert "fc1.weight contains NaN or infinite values" in refusal(save(state, tmp_path / "m.pth"))


@pytest.mark.parametrize("state, expected", [
    ({}, "holds no weights"),
    ({"epoch": 3, "optimizer": {"lr": 0.1}}, "holds no weights"),
    ({"fc1.weight": torch.zeros(10, 784, dtype=torch.int64)}, "fc1.weight holds int64 numbers"),
    ({"bn.weight": torch.ones(10), "bn.bias": torch.zeros(10)}, "bn.weight has shape 10"),
    ({"fc1.weight": torch.zeros(10, 784), "fc1.running_mean": torch.zeros(10)}, "fc1.running_mean is not"),
    ({"fc1.bias": torch.zeros(10)}, "fc1.bias has no weight"),
    ([torch.zeros(10, 784)], "holds a list, not a state_dict"),
], ids=["empty", "no-tensors", "int64", "batchnorm", "buffer", "bias-only", "list"])
def test_dicts_without_linear_weights_are_refused(tmp_path, state, expected):
    assert expected in refusal(save(state, tmp_path / "m.pth"))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("model", [mlp((784, 32, 10)), FcNet()], ids=["Sequential", "custom"])
def test_whole_pickled_module_is_refused_with_advice(tmp_path, model, fmt):
    message = refusal(save(model, tmp_path / "whole.pth", fmt))
    assert type(model).__name__ in message and "torch.save(model.state_dict(), path)" in message


class CallOnLoad:
    """Pickles as a call to `func(*args)`, the way a hostile file runs code in a plain unpickler."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def hostile_calls(marker, tmp_path):
    """(name the refusal must show, object that creates `marker` when unpickled)."""
    (tmp_path / "hubconf.py").write_text(f"open({str(marker)!r}, 'w').close()\ndef entry():\n    return 0\n")
    create = f"open({str(marker)!r}, 'w').close()"
    return {
        "os.system": ("posix.system", CallOnLoad(os.system, f"touch '{marker}'")),
        "eval": ("builtins.eval", CallOnLoad(eval, create)),
        "numpy": ("numpy.testing._private.utils.runstring", CallOnLoad(np_testing_utils.runstring, create, {})),
        "torch.hub": ("torch.hub._load_local", CallOnLoad(torch.hub._load_local, str(tmp_path), "entry")),
    }


HOSTILE = ["os.system", "eval", "numpy", "torch.hub"]


def hostile_file(tmp_path, kind, fmt):
    marker = tmp_path / "marker"
    name, evil = hostile_calls(marker, tmp_path)[kind]
    path = save({"state_dict": FcNet().state_dict(), "epoch": evil}, tmp_path / f"{kind}.pth", fmt)
    return path, name, marker


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_pickle_is_refused_before_it_runs(tmp_path, kind, fmt):
    path, name, marker = hostile_file(tmp_path, kind, fmt)
    message = refusal(path)
    assert f"This file tries to call {name} while loading, so it was refused" in message
    assert not marker.exists()


def test_hostile_files_really_run_code_in_a_plain_unpickler(tmp_path):
    # the control for the test above: torch.load without weights_only creates every marker
    files = []
    for kind in HOSTILE:
        (tmp_path / kind).mkdir()
        files.append(hostile_file(tmp_path / kind, kind, "legacy"))
    load_all = "import sys, torch\nfor path in sys.argv[1:]: torch.load(path, weights_only=False)"
    subprocess.run([sys.executable, "-c", load_all, *(path for path, _, _ in files)], cwd=tmp_path, check=True)
    assert all(marker.exists() for _, _, marker in files)


class Mutable:
    """A class a pickle can change, unlike our stand-ins."""


@pytest.mark.parametrize("target, attribute", [(b"collections\nOrderedDict", b"__init__"),
                                               (b"torch\nFloatStorage", b"raw"),
                                               (b"torch._utils\n_rebuild_tensor_v2", b"__defaults__")])
def test_pickle_cannot_change_the_stand_ins_for_later_loads(tmp_path, target, attribute):
    good = save(FcNet().state_dict(), tmp_path / "m.pth").read_bytes()
    # GLOBAL target; BUILD with state (None, {attribute: "x"}), which sets target.attribute = "x"; STOP
    build = (b"\x80\x02c" + target + b"\nN}X" + len(attribute).to_bytes(4, "little") + attribute
             + b"X\x01\x00\x00\x00xs\x86b.")
    # the attack is real: on an ordinary class, the same pickle changes the class for everyone
    pickle.loads(build.replace(target, f"{Mutable.__module__}\nMutable".encode()))
    assert getattr(Mutable, attribute.decode()) == "x"
    delattr(Mutable, attribute.decode())
    with pytest.raises(ModelFileError):
        load_params(H.replace_member(good, "/data.pkl", build))
    assert_equal_to_reference(load_params(good), torch.load(io.BytesIO(good), weights_only=True))


def tensor_pickle(numel, offset, size, stride) -> bytes:
    """A data.pkl whose fc1.weight declares (offset, size, stride) on storage '0' of `numel` floats."""
    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", torch.FloatStorage, "0", "cpu", numel) if obj == "storage 0" else None
    weight = CallOnLoad(torch._utils._rebuild_tensor_v2, "storage 0", offset, size, stride, False, OrderedDict())
    f = io.BytesIO()
    Pickler(f, protocol=2).dump({"fc1.weight": weight})
    return f.getvalue()


@pytest.mark.parametrize("numel, offset, stride", [(7840, 1, (784, 1)), (7840, 0, (785, 1)), (7840, 0, (1, 11)),
                                                   (7840, 7840, (784, 1)), (7840, 7840, (0, 0))])
def test_tensor_reaching_past_its_storage_is_refused(tmp_path, numel, offset, stride):
    data = save({"fc1.weight": torch.zeros(numel)}, tmp_path / "m.pth").read_bytes()
    message = refusal(H.replace_member(data, "/data.pkl", tensor_pickle(numel, offset, (10, 784), stride)))
    assert "damaged: a tensor reaches element" in message
    assert f"of a storage that holds only {numel:,}" in message


@pytest.mark.parametrize("numel, stride", [(4, (784, 1)), (7839, (784, 1)), (784, (0, 1)), (1, (0, 0))])
def test_tensor_with_more_elements_than_its_storage_is_refused(tmp_path, numel, stride):
    # with strides of 0 a 1 kB file could declare a network of millions of numbers
    data = save({"fc1.weight": torch.zeros(numel)}, tmp_path / "m.pth").read_bytes()
    message = refusal(H.replace_member(data, "/data.pkl", tensor_pickle(numel, 0, (10, 784), stride)))
    assert f"a tensor of 7,840 numbers repeats a storage of {numel:,}" in message


@pytest.mark.parametrize("numel, stride", [(7840, (784, 1)), (7840, (0, 1)), (7840, (1, 10))])
def test_hand_written_tensor_inside_its_storage_loads(tmp_path, numel, stride):
    # the control for the tests above: the same hand-written file, in bounds, is read, overlapping or not
    data = save({"fc1.weight": torch.arange(float(numel))}, tmp_path / "m.pth").read_bytes()
    params = load_params(H.replace_member(data, "/data.pkl", tensor_pickle(numel, 0, (10, 784), stride)))
    expected = torch.arange(float(numel)).as_strided((10, 784), stride).numpy().T
    np.testing.assert_array_equal(params.Ws[0], expected)


@pytest.mark.parametrize("fmt", FORMATS)
def test_expanded_tensor_is_refused(tmp_path, fmt):
    # torch.load reads it, but a Linear layer's weight is never a view that repeats a smaller storage
    state = {"fc1.weight": torch.arange(784.0).expand(10, 784), "fc1.bias": torch.ones(10)}
    path = save(state, tmp_path / "m.pth", fmt)
    assert torch.load(path, weights_only=True)["fc1.weight"].stride() == (0, 1)
    assert "a tensor of 7,840 numbers repeats a storage of 784" in refusal(path)


def test_network_larger_than_the_limit_is_refused_and_one_at_the_limit_loads(tmp_path, monkeypatch):
    path = save(FcNet().state_dict(), tmp_path / "m.pth")  # 784 * 32 + 32 + 32 * 10 + 10 = 25,450 parameters
    monkeypatch.setattr("mnistcore.load.MAX_PARAMS", 25_449)
    assert "25,450 parameters, more than the 25,449 this app handles" in refusal(path)
    monkeypatch.setattr("mnistcore.load.MAX_PARAMS", 25_450)
    assert load_params(path).n_params == 25_450


def test_empty_layer_is_refused(tmp_path):
    state = {"fc1.weight": torch.zeros(0, 784), "fc2.weight": torch.zeros(10, 0)}
    assert "fc1.weight has shape 0x784" in refusal(save(state, tmp_path / "m.pth"))


# ---------------------------------------------------------------- formats and checks the hostile files do not reach


@pytest.mark.parametrize("little_endian", [True, False])
def test_legacy_file_in_either_byte_order_loads_bit_for_bit(little_endian):
    tensors = H.mlp_tensors()
    storages = H.storages_for(tensors)
    params = load_params(H.legacy(H.state_dict_pickle(tensors), storages, little_endian))
    f32 = {key: np.frombuffer(raw, "<f4") for key, raw in storages.items()}
    np.testing.assert_array_equal(params.Ws[0], f32["0"].reshape(4, 784).T)
    np.testing.assert_array_equal(params.bs[1], f32["3"])


def legacy_with_view(view_ops: bytes) -> bytes:
    tensors = H.mlp_tensors()
    g = H.Globals()
    items = b"".join(H.text(name) + H.tensor(g, key, numel, shape, stride, view_ops=view_ops)
                     for name, key, numel, shape, stride in tensors)
    return H.legacy(H.PROTO2 + H.EMPTY_DICT + H.MARK + items + H.SETITEMS + H.STOP, H.storages_for(tensors))


def test_legacy_storage_views_are_refused_with_advice():
    assert load_params(legacy_with_view(H.NONE)).sizes == (784, 4, 10)  # a sixth item of None: no view
    message = refusal(legacy_with_view(H.MARK + H.text("0") + H.integer(0) + H.integer(4) + H.TUPLE))
    assert message == ("This file uses storage views from a very old torch (before 0.4). Load it with torch and save it "
                       "again with torch.save(model.state_dict(), path).")


@pytest.mark.parametrize("first, second", [(H.integer(0x1950A86A), H.integer(1001)),
                                           (H.integer(0x1950A86A20F9469CFC6C), H.integer(1000))],
                         ids=["magic", "protocol"])
def test_pickle_that_is_not_a_torch_file_is_refused(first, second):
    data = H.PROTO2 + first + H.STOP + H.PROTO2 + second + H.STOP
    assert refusal(data) == ("This is a Python pickle but not a file written by torch.save. Save the weights with "
                             "torch.save(model.state_dict(), path).")
    assert refusal(pickle.dumps({"fc1.weight": [1.0, 2.0]}, protocol=2)).startswith("This is a Python pickle but not")


def test_legacy_storage_list_and_data_are_checked():
    tensors = H.mlp_tensors()
    good = H.legacy(H.state_dict_pickle(tensors), H.storages_for(tensors))
    assert refusal(good[:-1]) == "This file is damaged or cut short: a storage is larger than the file."
    assert refusal(good[:-(4 * 10 + 8)]) == "This file is damaged or cut short: a storage is missing."
    no_list = H.legacy(H.state_dict_pickle(tensors))[:-len(H.PROTO2 + H.EMPTY_LIST + H.MARK + H.APPENDS + H.STOP)]
    assert refusal(no_list + H.PROTO2 + H.text("0") + H.STOP) == "This file is damaged: its list of storages is not valid."
    assert "its list of storages is not valid" in refusal(no_list + H.PROTO2 + H.EMPTY_LIST + H.integer(0) + H.APPEND
                                                          + H.STOP)
    unknown = no_list + H.PROTO2 + H.EMPTY_LIST + H.text("9") + H.APPEND + H.STOP
    assert "a storage is missing" in refusal(unknown)


def test_safetensors_with_metadata_loads(tmp_path):
    state = FcNet().state_dict()
    safetensors.torch.save_file(state, tmp_path / "m.safetensors", metadata={"format": "pt", "epoch": "3"})
    assert_equal_to_reference(load_params(tmp_path / "m.safetensors"), state)


@pytest.mark.parametrize("info, expected", [
    ({"dtype": "F32", "shape": [10, 784], "data_offsets": [0, 31360, 0]}, "the header of fc1.weight is not valid"),
    ({"dtype": 32, "shape": [10, 784], "data_offsets": [0, 31360]}, "the header of fc1.weight is not valid"),
    ({"dtype": "F32", "shape": "10x784", "data_offsets": [0, 31360]}, "the header of fc1.weight is not valid"),
    ({"dtype": "F32", "shape": [10, 784], "data_offsets": "0-31360"}, "the header of fc1.weight is not valid"),
    ({"dtype": "F32", "shape": [10, 784], "data_offsets": [4, 0]}, "the data of fc1.weight lies outside the file"),
    ({"dtype": "F32", "shape": [10, 784], "data_offsets": [-4, 31356]}, "the data of fc1.weight lies outside"),
    ({"dtype": "F32", "shape": [10, 784], "data_offsets": [4, 31364]}, "the data of fc1.weight lies outside"),
    ({"dtype": "F32", "shape": [10, 784], "data_offsets": [0.0, 31360]}, "the data of fc1.weight lies outside"),
    ({"dtype": "F32", "shape": [10, 784], "data_offsets": [4, 31360]}, "the data of fc1.weight does not match its shape 10x784"),
    ({"dtype": "F32", "shape": [10, -784], "data_offsets": [0, 31360]}, "a tensor's offset, shape or strides are not valid"),
    ({"dtype": "C64", "shape": [10, 784], "data_offsets": [0, 31360]}, "fc1.weight holds C64 numbers"),
], ids=["3-offsets", "dtype-int", "shape-str", "offsets-str", "end-before-begin", "negative", "past-end", "float",
        "size", "negative-dim", "complex"])
def test_safetensors_header_is_checked(info, expected):
    good = {"dtype": "F32", "shape": [10, 784], "data_offsets": [0, 31360]}
    assert load_params(H.safetensors_file({"fc1.weight": good}, bytes(31360))).sizes == (784, 10)
    assert expected in refusal(H.safetensors_file({"fc1.weight": info}, bytes(31360)))


@pytest.mark.parametrize("names, listed", [(["W1", "b1", "W2"], "W1, W2, b1"), (["W1", "b1", "W2", "b2", "W3"], "W1, W2, W3, b1, b2"),
                                           (["W1", "b1", "W2", "b2", "notes"], "W1, W2, b1, b2, notes"),
                                           (["b1"], "b1"), (["W0", "b0"], "W0, b0"),
                                           ([f"a{i}" for i in range(8)], "a0, a1, a2, a3, a4, a5, a6, a7"),
                                           ([f"a{i}" for i in range(9)], "a0, a1, a2, a3, a4, a5, a6, a7, ..."),
                                           (["W1", "b1", "x" * 21], "W1, b1, " + "x" * 20 + "...")],
                         ids=["no-b2", "W3", "notes", "b1", "W0", "eight", "nine", "long-name"])
def test_npz_with_a_missing_or_extra_array_is_refused(tmp_path, names, listed):
    rng = np.random.default_rng(5)
    shapes = {"W1": (784, 8), "b1": (8,), "W2": (8, 10), "b2": (10,), "W3": (10, 10), "notes": (1,), "W0": (784, 10), "b0": (10,)}
    np.savez(tmp_path / "m.npz", **{n: rng.normal(size=shapes.get(n, (1,))) for n in names})
    assert f"with each W shaped (inputs, outputs); this one holds {listed}." in refusal(tmp_path / "m.npz")


def test_npz_arrays_are_checked_like_torch_tensors(tmp_path):
    rng = np.random.default_rng(6)
    W1, b1, W2, b2 = rng.normal(size=(784, 8)), rng.normal(size=8), rng.normal(size=(8, 10)), rng.normal(size=10)
    np.savez(tmp_path / "f.npz", W1=np.asfortranarray(W1), b1=b1, W2=W2, b2=b2)  # Fortran order is honoured
    np.testing.assert_array_equal(load_params(tmp_path / "f.npz").Ws[0], W1.astype(np.float32))
    np.savez_compressed(tmp_path / "c.npz", W1=W1, b1=b1, W2=W2, b2=b2)  # deflated members are read
    np.testing.assert_array_equal(load_params(tmp_path / "c.npz").Ws[1], W2.astype(np.float32))
    np.savez(tmp_path / "i.npz", W1=W1.astype(np.int32), b1=b1, W2=W2, b2=b2)
    assert "W1 holds int32 numbers, not floating-point weights" in refusal(tmp_path / "i.npz")
    np.savez(tmp_path / "s.npz", W1=W1, b1=b1, W2=W2, b2=b2.astype(str))
    assert "b2 holds <U" in refusal(tmp_path / "s.npz")
    np.savez(tmp_path / "t.npz", W1=W1[None], b1=b1, W2=W2, b2=b2)
    assert "This looks like a convolutional network (W1 has shape 1x784x8)" in refusal(tmp_path / "t.npz")
    np.savez(tmp_path / "b.npz", W1=W1, b1=b1[:4], W2=W2, b2=b2)
    assert "b1 has shape 4, but W1 gives 8 outputs" in refusal(tmp_path / "b.npz")


def test_npz_member_that_is_not_an_npy_file_is_refused():
    members = H.good_npz_members()
    members["W1.npy"] = b"\x93NUMPY\x03\x00" + members["W1.npy"][8:]
    assert "W1 is not an array saved by np.savez" in refusal(H.npz(members))
    members["W1.npy"] = b"not an array at all"
    assert "damaged" in refusal(H.npz(members))


def test_npz_header_version_2_loads():
    members = H.good_npz_members()
    f = io.BytesIO()
    W1 = np.arange(784 * 4, dtype=np.float32).reshape(784, 4)
    np.lib.format.write_array(f, W1, version=(2, 0))
    members["W1.npy"] = f.getvalue()
    np.testing.assert_array_equal(load_params(H.npz(members)).Ws[0], W1)


def rebuild_pickle(storage, offset, size, stride) -> bytes:
    """A data.pkl whose fc1.weight is _rebuild_tensor_v2(storage, offset, size, stride, False, {})."""
    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", torch.FloatStorage, "0", "cpu", 7840) if obj == "storage 0" else None
    weight = CallOnLoad(torch._utils._rebuild_tensor_v2, storage, offset, size, stride, False, OrderedDict())
    f = io.BytesIO()
    Pickler(f, protocol=2).dump({"fc1.weight": weight})
    return f.getvalue()


@pytest.mark.parametrize("storage, offset, size, stride", [
    ("not a storage", 0, (10, 784), (784, 1)),
    ("storage 0", -1, (10, 784), (784, 1)),
    ("storage 0", 7839, (10, 784), (-784, -1)),  # negative strides would read before the buffer
    ("storage 0", 783, (10, 784), (784, -1)),
    ("storage 0", 0, (10, -784), (784, 1)),
    ("storage 0", 1.0, (10, 784), (784, 1)),
    ("storage 0", True, (10, 784), (784, 1)),
    ("storage 0", 0, [10, 784], (784, 1)),
    ("storage 0", 0, (10, 784), [784, 1]),
    ("storage 0", 0, (10, 784), (784,)),
    ("storage 0", 0, (10, 784.0), (784, 1)),
    ("storage 0", 0, (1,) * 9, (1,) * 9),
], ids=["storage", "offset<0", "strides<0", "stride<0", "size<0", "offset-float", "offset-bool", "size-list",
        "stride-list", "lengths", "size-float", "9-dims"])
def test_invalid_offset_shape_or_strides_are_refused(tmp_path, storage, offset, size, stride):
    data = save({"fc1.weight": torch.zeros(7840)}, tmp_path / "m.pth").read_bytes()
    assert load_params(H.replace_member(data, "/data.pkl", rebuild_pickle("storage 0", 0, (10, 784), (784, 1)))).sizes == (784, 10)
    message = refusal(H.replace_member(data, "/data.pkl", rebuild_pickle(storage, offset, size, stride)))
    assert message == "This file is damaged: a tensor's offset, shape or strides are not valid."


def test_eight_dimensional_tensor_is_read_as_a_convolution(tmp_path):
    data = save({"fc1.weight": torch.zeros(7840)}, tmp_path / "m.pth").read_bytes()
    message = refusal(H.replace_member(data, "/data.pkl", rebuild_pickle("storage 0", 0, (1,) * 8, (1,) * 8)))
    assert "This looks like a convolutional network (fc1.weight has shape 1x1x1x1x1x1x1x1)" in message


def persistent_id_pickle(pid) -> bytes:
    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return pid if obj == "storage 0" else None
    weight = CallOnLoad(torch._utils._rebuild_tensor_v2, "storage 0", 0, (10, 784), (784, 1), False, OrderedDict())
    f = io.BytesIO()
    Pickler(f, protocol=2).dump({"fc1.weight": weight})
    return f.getvalue()


@pytest.mark.parametrize("pid", [["storage", torch.FloatStorage, "0", "cpu", 7840], ("storage", torch.FloatStorage, "0", "cpu"),
                                 ("storage", torch.FloatStorage, "0", "cpu", 7840, None, None),
                                 ("module", torch.FloatStorage, "0", "cpu", 7840), ("storage", "float", "0", "cpu", 7840),
                                 ("storage", torch.FloatStorage, 0, "cpu", 7840)],
                         ids=["list", "4-items", "7-items", "module", "type-str", "key-int"])
def test_storage_reference_torch_never_writes_is_refused(tmp_path, pid):
    data = save({"fc1.weight": torch.zeros(7840)}, tmp_path / "m.pth").read_bytes()
    good = ("storage", torch.FloatStorage, "0", "cpu", 7840)
    assert load_params(H.replace_member(data, "/data.pkl", persistent_id_pickle(good))).sizes == (784, 10)
    message = refusal(H.replace_member(data, "/data.pkl", persistent_id_pickle(pid)))
    assert message == "This file is damaged: it refers to data in a way torch.save never writes."


def test_storage_declared_with_two_types_is_refused(tmp_path):
    state = {"fc1.weight": torch.zeros(10, 784), "fc1.bias": torch.zeros(10, dtype=torch.float64)}
    data = save(state, tmp_path / "m.pth").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        pkl = zf.read("m/data.pkl")
    assert b"X\x01\x00\x00\x001" in pkl
    message = refusal(H.replace_member(data, "/data.pkl", pkl.replace(b"X\x01\x00\x00\x001", b"X\x01\x00\x00\x000")))
    assert "damaged: storage '0' is declared with two types" in message


def test_missing_or_ragged_storage_is_refused(tmp_path):
    data = save({"fc1.weight": torch.zeros(10, 784)}, tmp_path / "m.pth").read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if not info.filename.endswith("/data/0"):
                dst.writestr(info, src.read(info))
    assert "damaged: the data of storage '0' is missing" in refusal(out.getvalue())
    assert refusal(H.replace_member(data, "/data/0", bytes(31361))) == ("This file is damaged: a storage's size is not a "
                                                                        "whole number of elements.")


def test_parameter_that_holds_no_tensor_is_refused(tmp_path):
    data = save({"fc1.weight": torch.zeros(7840)}, tmp_path / "m.pth").read_bytes()
    f = io.BytesIO()
    pickle.Pickler(f, protocol=2).dump({"fc1.weight": CallOnLoad(torch._utils._rebuild_parameter, "x", False, OrderedDict())})
    assert refusal(H.replace_member(data, "/data.pkl", f.getvalue())) == "This file is damaged: a parameter does not hold a tensor."


@pytest.mark.filterwarnings("ignore:Duplicate name")  # zipfile warns when the test writes it
def test_zip_with_two_members_of_one_name_is_refused(tmp_path):
    data = save(FcNet().state_dict(), tmp_path / "m.pth").read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("m/data/0", b"")
    assert refusal(out.getvalue()) == "This archive is damaged or hostile: two members have the same name."


def test_zip_that_is_neither_torch_nor_npz_is_refused():
    assert refusal(H.npz({"a.txt": b"x"})) == ("This is a zip archive, but neither a torch.save file nor an .npz file. "
                                               + SAVE_ADVICE)
    assert "neither a torch.save file nor an .npz file" in refusal(H.npz({}))
    assert "neither" in refusal(H.npz({"W1.npy": b"", "a/b/data.pkl": b""}))


def test_big_endian_zip_reads_only_a_short_byteorder_member(tmp_path):
    data = save(FcNet().state_dict(), tmp_path / "m.pth").read_bytes()
    assert "byteorder unpacks to more than" in refusal(H.replace_member(data, "/byteorder", b"little" + b" " * 100))
    assert load_params(H.replace_member(data, "/byteorder", b"little" + b" " * 10)).sizes == (784, 32, 10)


# ---------------------------------------------------------------- what a refusal says


@pytest.mark.parametrize("byte", range(32))
def test_a_control_byte_other_than_whitespace_makes_a_file_binary(byte):
    data = b"fc1.weight = [[0.1, 0.2],\n" + bytes([byte]) + b" [0.3, 0.4]]\n"
    whitespace = byte in b"\t\n\v\f\r"
    opening = "This is a text file, not a model file." if whitespace else "This is not a model file."
    assert refusal(data).startswith(opening)


def test_only_the_first_4_kb_tell_a_text_file():
    assert refusal(b"0.1, " * 819 + b"0.1\x00").startswith("This is a text file, not a model file.")  # the NUL is byte 4,099


def test_a_pdf_is_named_even_when_its_first_bytes_read_as_text():
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    assert refusal(pdf).startswith("This is a PDF document, not a model file.")


def test_a_file_of_zeros_is_not_a_model():
    assert refusal(bytes(1000)).startswith("This is not a model file.")


def test_a_safetensors_file_is_told_by_a_header_length_that_fits_in_the_file():
    header = {"fc1.weight": {"dtype": "F32", "shape": [10, 784], "data_offsets": [0, 31360]}}
    good = H.safetensors_file(header, bytes(31360))
    n = int.from_bytes(good[:8], "little")
    assert refusal(good[:8 + n]).startswith("This file is damaged: the data of fc1.weight lies outside the file.")
    assert refusal(good[:8 + n - 1]).startswith("This is not a model file.")  # the length points past the end
    assert refusal(H.safetensors_raw(b"{")).startswith("This file is damaged")  # a header of one byte, cut short


def test_a_file_over_50_mb_is_refused_naming_the_limit():
    assert refusal(bytes(MAX_FILE_BYTES + 1)).startswith("This file is larger than 50 MB, the most this app accepts;")


class Endless:
    """A device like /dev/zero, which reports no size and never ends: it records what it is asked for."""

    def __init__(self):
        self.asked = []

    def read(self, n=-1):
        self.asked.append(n)
        assert n is not None and n >= 0, "asked to read to the end of something endless"
        return bytes(n)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_a_source_that_never_ends_is_read_only_to_the_limit_and_one_byte(monkeypatch):
    monkeypatch.setattr("mnistcore.load.MAX_FILE_BYTES", 1000)
    stream = Endless()
    assert "larger than" in refusal(stream)
    device = Endless()
    monkeypatch.setattr("mnistcore.load.open", lambda path, mode: device, raising=False)
    assert "larger than" in refusal("/dev/zero")
    assert stream.asked == device.asked == [1001]


def test_a_long_path_is_shortened_in_the_message(tmp_path):
    path = tmp_path / ("m" * 100 + ".pth")
    assert refusal(path) == f"Cannot read {str(path)[:80]}...: No such file or directory. Check the path and try again."


def test_a_damaged_file_is_refused_as_damaged_with_the_advice():
    assert refusal(b"PK\x03\x04" + bytes(100)) == "This file is damaged, cut short or not a model file. " + SAVE_ADVICE


def test_a_caller_can_set_a_smaller_parameter_limit():
    data = H.good_pth()  # 784-4-10: 3,190 parameters
    assert load_params(data, max_params=3190).n_params == 3190
    with pytest.raises(ModelFileError, match="This network has 3,190 parameters, more than the 3,189 this app handles."):
        load_params(data, max_params=3189)


def test_a_dict_without_weights_lists_its_first_five_keys_shortened(tmp_path):
    state = {"epoch": 3, "a" * 31: 1, "lr": 0.1, "optimizer": {}, "step": 5, "loss": 0.2, "seed": 1}
    message = refusal(save(state, tmp_path / "m.pth"))
    assert message.startswith(f"This file holds no weights (it has epoch, {'a' * 30}..., lr, optimizer, step). A checkpoint")
    assert refusal(save({}, tmp_path / "e.pth")).startswith("This file holds no weights (it has nothing). A checkpoint")


def test_an_empty_safetensors_tensor_is_a_layer_without_units():
    header = {"fc1.weight": {"dtype": "F32", "shape": [0, 784], "data_offsets": [0, 0]}}
    assert refusal(H.safetensors_file(header)).startswith("fc1.weight has shape 0x784: a layer without units.")


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_tensor_stored_last_is_read_and_then_refused_as_a_layer_without_units(tmp_path, fmt):
    # its storage holds no bytes and, in the legacy format, its element count ends the file exactly
    state = {"fc1.weight": torch.zeros(0, 784)}
    assert refusal(save(state, tmp_path / "m.pth", fmt)).startswith("fc1.weight has shape 0x784: a layer without units.")


def test_the_dataparallel_prefix_is_dropped_before_weights_and_biases_are_paired(tmp_path):
    state = {f"module.{k}" if k != "fc1.bias" else k: v for k, v in FcNet().state_dict().items()}
    params = load_params(save(state, tmp_path / "m.pth"))
    np.testing.assert_array_equal(params.bs[0], state["fc1.bias"].numpy())


def test_an_integer_bias_is_named():
    state = FcNet().state_dict()
    state["fc1.bias"] = state["fc1.bias"].long()
    f = io.BytesIO()
    torch.save(state, f)
    assert refusal(f.getvalue()).startswith("fc1.bias holds int64 numbers, not floating-point weights.")


def test_an_npz_record_array_is_refused_naming_its_type_shortened(tmp_path):
    rng = np.random.default_rng(7)
    record = np.zeros(8, dtype=[("weight", "<f4"), ("bias", "<f4")])
    np.savez(tmp_path / "r.npz", W1=rng.normal(size=(784, 8)), b1=record, W2=rng.normal(size=(8, 10)), b2=np.zeros(10))
    assert refusal(tmp_path / "r.npz") == (f"b1 holds {str(record.dtype)[:20]}... values, not floating-point weights. "
                                           "Save plain float arrays with np.savez.")


@pytest.mark.parametrize("fmt", ["pth", "npz"])
def test_float64_beyond_float32_range_is_refused_without_a_warning(tmp_path, fmt):
    state = {k: v.double() for k, v in FcNet().state_dict().items()}
    state["fc1.weight"][0, 0] = 1e300
    if fmt == "pth":
        path, name = save(state, tmp_path / "m.pth"), "fc1.weight"
    else:
        path, name = tmp_path / "m.npz", "W1"
        np.savez(path, W1=state["fc1.weight"].numpy().T, b1=state["fc1.bias"].numpy(),
                 W2=state["fc2.weight"].numpy().T, b2=state["fc2.bias"].numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # float32's overflow is expected, and must not leak out
        assert refusal(path).startswith(f"{name} contains NaN or infinite values")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_a_state_dict_saved_with_any_pickle_protocol_loads(tmp_path, protocol, fmt):
    state = FcNet().state_dict()  # an OrderedDict: protocols 4 and 5 name its class with STACK_GLOBAL
    path = tmp_path / "m.pth"
    torch.save(state, path, pickle_protocol=protocol, _use_new_zipfile_serialization=(fmt == "zip"))
    assert_equal_to_reference(load_params(path), state)


def test_shown_keeps_a_printable_name_up_to_the_limit_and_shortens_a_longer_one():
    assert shown("a" * 40) == "a" * 40
    assert shown("a" * 41) == "a" * 40 + "..."
    assert shown("fc1\\weight's") == "fc1\\weight's"  # printable: as it is, backslash and quote included
    assert shown(12) == "12"


def test_shown_escapes_a_name_with_control_characters_and_shortens_only_a_longer_one():
    assert shown("\x1b" + "a" * 39) == "\\x1b" + "a" * 39
    assert shown("\x1b" + "a" * 40) == "\\x1b" + "a" * 39 + "..."


@pytest.mark.parametrize("shape", [(), (5,), (4, 784), (2, 3, 4), (3, 1, 5, 2)])
def test_shapes_are_written_as_a_product_and_strides_are_numpys_for_a_c_ordered_array(shape):
    assert fmt_shape(shape) == ("x".join(map(str, shape)) if shape else "scalar")
    itemsize = np.dtype(np.float32).itemsize
    assert contiguous_strides(shape) == tuple(s // itemsize for s in np.empty(shape, np.float32).strides)
