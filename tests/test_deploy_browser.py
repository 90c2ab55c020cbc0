"""deploy/serve.py: two replicas behind nginx; one browser keeps its replica (and so its session) while it
draws, uploads a model and moves between pages; new browsers spread over both; the script stops them all."""
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import torch

from conftest import screenshot
from harness.canvas import draw, open_draw_page, settle
from harness.server import free_port, metric_value, wait_for_app_idle
from harness.strokes import digit_strokes
from mnistapp.paths import DATA_DIR, ROOT
from mnistcore import load_mnist

pytestmark = pytest.mark.browser


@pytest.fixture
def cluster():
    """(proxy URL, replica ports) of `deploy/serve.py --replicas 2`; stopped with SIGTERM afterwards."""
    proc = subprocess.Popen([sys.executable, "deploy/serve.py", "--replicas", "2", "--port", str(free_port())],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()  # blocks until "ready: ..." or the script's error
    m = re.match(r"ready: (http://127\.0\.0\.1:(\d+)) -> replicas on ports \[(\d+), (\d+)\]", line)
    if m is None:
        proc.kill()
        raise RuntimeError(line + proc.stdout.read())
    url, ports = m.group(1), [int(m.group(i)) for i in (2, 3, 4)]
    yield url, ports
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    time.sleep(0.5)
    for port in ports:  # nginx and both replicas are gone
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"


def test_a_session_keeps_its_replica_and_its_model_through_the_proxy(cluster, browser, tmp_path):
    url, (_, *replicas) = cluster
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    seen = []
    page.on("response", lambda r: seen.append(r.headers.get("x-replica")) if r.url.startswith(url) else None)

    images, labels = load_mnist("test", DATA_DIR)
    canvas, box = open_draw_page(page, url)
    draw(page, box, digit_strokes(images[0], 280))
    settle(page)
    page.wait_for_function("() => document.body.innerText.includes('sure')", timeout=30000)
    drawn = metric_value(page, "Prediction")
    assert drawn not in (None, "–")

    path = tmp_path / "tiny.pth"
    torch.save(torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10)).state_dict(),
               path)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Your model", exact=True).wait_for(timeout=30000)

    for name, ready in (("Weights", "Weights"), ("Test set", "The test set"), ("Draw", "Draw a digit")):
        sidebar.get_by_role("link", name=name).click()
        page.get_by_role("heading", name=ready).first.wait_for(timeout=60000)
        wait_for_app_idle(page, 60000)
        assert "tiny.pth" in sidebar.inner_text() and "784–32–10" in sidebar.inner_text(), name
    page.wait_for_function("() => document.body.innerText.includes('sure')", timeout=30000)  # the drawing is back
    assert metric_value(page, "Prediction") not in (None, "–")
    screenshot(page, "deploy_two_replicas")
    assert page.locator('[data-testid="stException"]').count() == 0

    ours = {r for r in seen if r}
    assert len(ours) == 1 and ours <= {f"127.0.0.1:{p}" for p in replicas}, ours  # every request: one replica
    # new browsers (no cookie yet) are spread over both replicas: 16 of them all on one has odds 2 / 2**16
    spread = set()
    for _ in range(16):
        other = browser.new_context()
        spread.add(other.request.get(url).headers["x-replica"])
        other.close()
    assert spread == {f"127.0.0.1:{p}" for p in replicas}, spread
    context.close()
