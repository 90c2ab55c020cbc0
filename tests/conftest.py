"""Shared fixtures: a real `streamlit run app.py` on 127.0.0.1 and Debian's chromium driven by Playwright.

Browser tests take `app_url` and `page` (or `browser` for their own contexts) and are marked
`browser`; screenshots go to artifacts/screenshots/ so a person can look at them.
"""
from __future__ import annotations

import base64
import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def data_url_image(url: str) -> Image.Image:
    """The picture in a "data:image/png;base64,..." URL (what the canvas and the page's pictures hold)."""
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


def processes() -> dict[int, tuple[int, int]]:
    """Every process now, zombies included: pid -> (its parent's pid, CPU clock ticks used, user + system)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():  # /proc/self, /proc/meminfo, ...
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):  # it ended meanwhile
            continue
        found[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return found


def loader_children(pid: int) -> list[int]:
    """Processes of parent `pid` that read a model file (python -m mnistcore.isolate), zombies included."""
    found = []
    for child, (ppid, _) in processes().items():
        try:
            if ppid == pid and b"mnistcore.isolate" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:  # it ended meanwhile
            continue
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(port: int, extra: tuple[str, ...] = (), env: dict | None = None) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", *extra]  # tests write files; nothing needs reloading
    # The server's output goes to a file: an unread pipe fills up after a few hundred reruns' warnings
    # and then blocks the server mid-write.
    log = ROOT / "artifacts" / f"streamlit-{port}.log"
    log.parent.mkdir(exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                env=None if env is None else {**os.environ, **env})
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise RuntimeError("streamlit did not become healthy within 60 s")


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def app_url():
    port = free_port()
    proc = start_streamlit(port)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each test's outcome on it, so that `page` can photograph a failure before closing."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    yield pg
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:  # what the browser showed when it failed, for the log
        print(f"screenshot of the failure: {screenshot(pg, 'FAILED-' + request.node.name)}")
        print(f"the page's text then:\n{pg.inner_text('body')[:3000]}")
    context.close()


def screenshot(page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its main section, so grow the window to fit it first."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate("() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
                           " return m ? m.scrollHeight : document.body.scrollHeight; }")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(height, 6000))})
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    return path


SCRIPT_STATE_IS = ("(state) => { const a = document.querySelector('[data-testid=\"stApp\"]');"
                   " return a && a.getAttribute('data-test-script-state') === state; }")  # 'running', 'notRunning'


def wait_for_app_idle(page, timeout_ms: int = 30000) -> None:
    """Wait until Streamlit's script run has finished (the app's own state attribute)."""
    page.wait_for_function(SCRIPT_STATE_IS, arg="notRunning", timeout=timeout_ms)


def metric_value(page, label: str) -> str | None:
    """Text of the st.metric whose label is exactly `label`, or None if there is none."""
    return page.evaluate(
        """(label) => { for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
             const l = m.querySelector('[data-testid="stMetricLabel"]');
             if (l && l.innerText.trim() === label) {
               const v = m.querySelector('[data-testid="stMetricValue"]'); return v ? v.innerText.trim() : null; } }
           return null; }""", label)


def wait_until_in_view(page, selector: str, timeout_ms: int = 5000) -> None:
    """Wait until the element's top edge is in the upper half of the window (scrolled there, or already)."""
    page.wait_for_function(
        """(sel) => { const el = document.querySelector(sel); if (!el) return false;
             const top = el.getBoundingClientRect().top; return top >= 0 && top < window.innerHeight / 2; }""",
        arg=selector, timeout=timeout_ms)
