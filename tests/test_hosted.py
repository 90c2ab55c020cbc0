"""The hosted path: a clean venv from requirements.txt alone (as Streamlit Community Cloud builds it)
has no torch, imports mnistcore, loads the shipped model and reads the test set like the dev venv."""
import subprocess
import sys

import numpy as np

from mnistcore import forward, load_mnist, load_params, scale_input
from conftest import ROOT

SCRIPT = """
import importlib.util, sys
assert importlib.util.find_spec("torch") is None, "torch must not be installed on the hosted path"
from streamlit.testing.v1 import AppTest
from mnistcore import forward, load_mnist, load_params, scale_input
params = load_params("mnist_model.pth")
images, labels = load_mnist("test")
print(" ".join(map(str, forward(params, scale_input(images[:200] / 255)).probs.argmax(1))))
at = AppTest.from_file("app.py", default_timeout=60).run()  # the whole app, canvas component included
assert not at.exception, at.exception
print([(m.label, m.value) for m in at.metric])
"""


def test_app_requirements_alone_run_the_engine_without_torch(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    pip = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", "requirements.txt"],
                         cwd=ROOT, capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr[-3000:]
    out = subprocess.run([py, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    predictions, metrics = out.stdout.strip().splitlines()
    assert metrics == "[('Prediction', '–')]"
    ours = np.array(predictions.split(), int)
    images, _ = load_mnist("test")
    expected = forward(load_params(ROOT / "mnist_model.pth"), scale_input(images[:200] / 255)).probs.argmax(1)
    np.testing.assert_array_equal(ours, expected)
