"""The hosted path: a clean venv from requirements.txt alone (as Streamlit Community Cloud builds it)
has no torch, imports mnistcore, loads the shipped model and reads the test set like the dev venv."""
import subprocess
import sys

import numpy as np
import pytest

from mnistapp.paths import DATA_DIR, ROOT, SHIPPED_MODEL
from mnistcore import forward, load_mnist, load_params, scale_input

pytestmark = pytest.mark.slow  # each test builds a fresh venv

SCRIPT = """
import importlib.util, sys
assert importlib.util.find_spec("torch") is None, "torch must not be installed on the hosted path"
from streamlit.testing.v1 import AppTest
from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistcore import forward, load_mnist, load_params, scale_input

params = load_params(SHIPPED_MODEL)
images, labels = load_mnist("test", DATA_DIR)
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
    images, _ = load_mnist("test", DATA_DIR)
    expected = forward(load_params(SHIPPED_MODEL), scale_input(images[:200] / 255)).probs.argmax(1)
    np.testing.assert_array_equal(ours, expected)


LIBRARY_SCRIPT = """
import importlib.util, sys
from pathlib import Path
import numpy as np
import mnistcore
assert Path(mnistcore.__file__).resolve().parent == Path(sys.argv[1]).resolve(), mnistcore.__file__
missing = [m for m in ("streamlit", "plotly", "torch", "PIL") if importlib.util.find_spec(m) is not None]
assert not missing, f"the engine's install brought {missing}"
params = mnistcore.load_params(sys.argv[2])
images, _ = mnistcore.load_mnist("test", sys.argv[3])
print(" ".join(map(str, mnistcore.forward(params, mnistcore.scale_input(images[:50] / 255)).probs.argmax(1))))
"""


def test_pip_install_editable_gives_the_engine_with_numpy_alone(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    pip = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", str(ROOT)],
                         cwd=tmp_path, capture_output=True, text=True)
    assert pip.returncode == 0, pip.stderr[-3000:]
    # Run from elsewhere, as a notebook would: the engine comes from the install, not the current folder.
    out = subprocess.run([py, "-c", LIBRARY_SCRIPT, str(ROOT / "mnistcore"), str(SHIPPED_MODEL), str(DATA_DIR)],
                         cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    images, _ = load_mnist("test", DATA_DIR)
    expected = forward(load_params(SHIPPED_MODEL), scale_input(images[:50] / 255)).probs.argmax(1)
    np.testing.assert_array_equal(np.array(out.stdout.split(), int), expected)
    cli = subprocess.run([venv / "bin" / "mnistcore", "inspect", str(SHIPPED_MODEL)], capture_output=True, text=True)
    assert cli.returncode == 0 and "784x512" in cli.stdout, cli.stderr
