"""deploy/serve.py with two replicas: killing the one a visitor is on moves them to the other at their next
action, with their drawing and their model, read back from their own browser (mnistapp/keep.py)."""
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from conftest import screenshot
from harness.canvas import PREDICTION_IS, draw, open_draw_page, settle
from harness.keep import kept, wait_kept, wait_sidebar
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
    line = proc.stdout.readline()
    m = re.match(r"ready: (http://127\.0\.0\.1:\d+) -> replicas on ports \[(\d+), (\d+)\]", line)
    if m is None:
        proc.kill()
        raise RuntimeError(line + proc.stdout.read())
    yield m.group(1), [int(m.group(2)), int(m.group(3))]
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)


def replica_pid(port: int) -> int:
    """The streamlit process that serves `port` (its command line names it)."""
    for entry in Path("/proc").iterdir():
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if entry.name.isdigit() and b"streamlit" in b" ".join(args) and str(port).encode() in args:
            return int(entry.name)
    raise LookupError(port)


def test_killing_a_visitors_replica_moves_them_to_the_other_with_their_work(cluster, browser, tmp_path):
    url, ports = cluster
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    seen = []
    page.on("response", lambda r: seen.append(r.headers.get("x-replica")))
    try:
        images, _ = load_mnist("test", DATA_DIR)
        canvas, box = open_draw_page(page, url)
        draw(page, box, digit_strokes(images[1], 280))
        settle(page)
        page.wait_for_function("() => document.body.innerText.includes('sure')", timeout=30000)
        drawn = metric_value(page, "Prediction")
        torch.manual_seed(0)
        path = tmp_path / "tiny.pth"
        torch.save(torch.nn.Sequential(torch.nn.Linear(784, 24), torch.nn.ReLU(), torch.nn.Linear(24, 10))
                   .state_dict(), path)
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
        wait_sidebar(page, "Your model")
        wait_kept(page, lambda meta: (meta.get("current") or {}).get("id") and (meta.get("drawing") or {}).get("strokes"))
        wait_for_app_idle(page)
        drawn = metric_value(page, "Prediction")  # now the uploaded model's answer
        mine = {r for r in seen if r}
        assert len(mine) == 1, mine
        port = int(mine.pop().rsplit(":", 1)[1])
        with page.expect_event("websocket", timeout=60000):  # the page reconnects, through nginx, to the other one
            os.kill(replica_pid(port), signal.SIGKILL)
        page.wait_for_function("() => document.querySelector('[data-testid=\"stApp\"]')"
                               ".getAttribute('data-test-connection-state') === 'CONNECTED'", timeout=60000)

        seen.clear()
        page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Weights").click()  # the next action
        page.get_by_role("heading", name="Weights").first.wait_for(timeout=90000)
        wait_sidebar(page, "Your model", timeout_ms=90000)
        page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Draw").click()
        page.wait_for_function(PREDICTION_IS, arg=drawn, timeout=90000)
        wait_for_app_idle(page)
        assert "784–24–10" in page.locator('[data-testid="stSidebar"]').inner_text()
        assert f"127.0.0.1:{port}" not in {r for r in seen if r}  # all of it from the other replica
        assert any(k.startswith("model.") for k in kept(page))
        screenshot(page, "keep_replica_killed")
    except Exception:
        print(screenshot(page, "FAILED-keep_replica_killed"), seen[-20:], page.inner_text("body")[:2000])
        raise
    finally:
        context.close()
