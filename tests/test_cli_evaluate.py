"""`python -m mnistcore evaluate MODEL --data DIR` in a subprocess: the numbers it prints and how it refuses bad files."""
import re
import subprocess
import sys

import numpy as np
import pytest

from mnistapp.paths import DATA_DIR, ROOT, SHIPPED_MODEL
from mnistcore.evaluate import evaluate_model, format_percent


def run_evaluate(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mnistcore", "evaluate", *map(str, args), "--data", str(DATA_DIR)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def printed(stdout: str) -> dict:
    """The accuracy, mean cross-entropy and per-class accuracies as printed."""
    return {"accuracy": re.search(r"^accuracy +(\d+\.\d\d%)", stdout, re.M).group(1),
            "loss": float(re.search(r"^mean cross-entropy +(\d+\.\d+)", stdout, re.M).group(1)),
            "per_class": re.findall(r"^  \d  (\d+\.\d\d%)", stdout, re.M)}


def test_the_shipped_model_prints_the_same_numbers_as_evaluate_model():
    result = run_evaluate(SHIPPED_MODEL)
    assert result.returncode == 0, result.stderr
    ev = evaluate_model(SHIPPED_MODEL, DATA_DIR)
    got = printed(result.stdout)
    assert got["accuracy"] == format_percent(ev.accuracy)
    assert got["loss"] == pytest.approx(ev.mean_loss, abs=5e-5)
    assert got["per_class"] == [format_percent(a) for a in ev.per_class_accuracy]
    assert "10,000 MNIST test images" in result.stdout and "mnist_model.pth" in result.stdout


def test_a_model_given_on_the_command_line_is_the_one_evaluated(tmp_path):
    rng = np.random.default_rng(5)
    path = tmp_path / "tiny.npz"
    np.savez(path, W1=rng.normal(0, 0.05, (784, 16)).astype(np.float32), b1=np.zeros(16, np.float32),
             W2=rng.normal(0, 0.3, (16, 10)).astype(np.float32), b2=np.zeros(10, np.float32))
    result = run_evaluate(path)
    assert result.returncode == 0, result.stderr
    ev = evaluate_model(path, DATA_DIR)
    assert printed(result.stdout)["accuracy"] == format_percent(ev.accuracy)
    assert ev.accuracy < 0.5, "an untrained network must not score like the shipped one"
    assert "tiny.npz" in result.stdout


@pytest.mark.parametrize("name, content, says", [
    ("garbage.pth", b"this is not a model at all", ""),
    ("empty.pth", b"", "empty"),
    ("missing.pth", None, "does not exist"),
])
def test_a_bad_model_file_exits_2_with_one_clear_line_and_no_traceback(tmp_path, name, content, says):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    result = run_evaluate(path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], result.stderr


def test_output_piped_into_a_reader_that_stops_early_ends_without_a_traceback():
    """`python -m mnistcore evaluate | head -1`: the pipe closes before the report is written."""
    proc = subprocess.Popen([sys.executable, "-m", "mnistcore", "evaluate", str(SHIPPED_MODEL), "--data", str(DATA_DIR)],
                            cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()  # like head after its line, but before the report: every write meets a closed pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_without_a_data_folder_it_says_which_option_is_missing():
    result = subprocess.run([sys.executable, "-m", "mnistcore", "evaluate", str(SHIPPED_MODEL)], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--data" in result.stderr and "Traceback" not in result.stderr


def test_a_data_folder_without_mnist_exits_2_and_names_the_folder(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mnistcore", "evaluate", str(SHIPPED_MODEL), "--data", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(tmp_path) in result.stderr and "Copy the four MNIST .gz files" in result.stderr
