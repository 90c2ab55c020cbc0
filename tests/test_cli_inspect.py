"""`python -m mnistcore inspect FILE`: shapes and parameter count for a good file; for a bad one, the
clear error on stderr, exit status 2 and no traceback."""
import os
import subprocess
import sys

import torch

from mnistapp.paths import ROOT


class CallOnLoad:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def inspect(path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mnistcore", "inspect", str(path)], cwd=ROOT,
                          capture_output=True, text=True)


def test_inspect_prints_layer_shapes_and_parameter_count(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    torch.save(model.state_dict(), tmp_path / "m.pth")
    out = inspect(tmp_path / "m.pth")
    assert out.returncode == 0, out.stderr
    n_params = sum(p.numel() for p in model.parameters())
    assert f"3 linear layers, {n_params:,} parameters" in out.stdout
    for line in ["W1 784x256, b1 256", "W2 256x128, b2 128", "W3 128x10, b3 10"]:
        assert line in out.stdout


def test_inspect_refuses_a_hostile_file_without_running_it(tmp_path):
    marker = tmp_path / "marker"
    torch.save({"fc1.weight": torch.zeros(10, 784), "x": CallOnLoad(os.system, f"touch '{marker}'")},
               tmp_path / "evil.pth")
    out = inspect(tmp_path / "evil.pth")
    assert out.returncode == 2
    assert "error: This file tries to call posix.system while loading" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert not marker.exists()


def test_inspect_refuses_a_file_that_is_not_a_model(tmp_path):
    (tmp_path / "notes.pth").write_text("not weights\n")
    out = inspect(tmp_path / "notes.pth")
    assert out.returncode == 2
    assert "error: This is a text file, not a model file" in out.stderr
    assert "Traceback" not in out.stderr


def test_inspect_refuses_a_damaged_file(tmp_path):
    torch.save({"fc1.weight": torch.zeros(10, 784)}, tmp_path / "m.pth", _use_new_zipfile_serialization=False)
    data = (tmp_path / "m.pth").read_bytes()
    (tmp_path / "m.pth").write_bytes(data[: len(data) // 3])
    out = inspect(tmp_path / "m.pth")
    assert out.returncode == 2
    assert "error: This file is damaged" in out.stderr
    assert "Traceback" not in out.stderr
