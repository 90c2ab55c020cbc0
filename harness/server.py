"""Run the app and read it in a browser: a `streamlit run app.py` on a free port of 127.0.0.1, Debian's
chromium, the app's state and metrics, and the processes a server starts. The tests and the benchmarks
both use these.
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

from PIL import Image

from mnistapp.paths import ROOT

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# `python -m streamlit`, with every thread's stack written to the server's log on SIGUSR1 (dump_stacks)
STREAMLIT = [sys.executable, "-c", "import faulthandler, signal; faulthandler.register(signal.SIGUSR1); "
             "from streamlit.web.cli import main; main(prog_name='streamlit')"]
running: list[subprocess.Popen] = []  # the servers start_streamlit started and stop has not stopped


def start_streamlit(port: int, extra: tuple[str, ...] = (), env: dict | None = None) -> subprocess.Popen:
    cmd = [*STREAMLIT, "run", "app.py", "--server.address", "127.0.0.1",
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
                    running.append(proc)
                    return proc
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise RuntimeError("streamlit did not become healthy within 60 s")


def stop(proc: subprocess.Popen) -> None:
    if proc in running:
        running.remove(proc)
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def dump_stacks() -> None:
    """Have every running server write each of its threads' stacks to its log (to see what a hung page waits on)."""
    for proc in running:
        if proc.poll() is None:
            proc.send_signal(signal.SIGUSR1)
    time.sleep(0.5)


SCRIPT_STATE_IS = ("(state) => { const a = document.querySelector('[data-testid=\"stApp\"]');"
                   " return a && a.getAttribute('data-test-script-state') === state; }")  # 'running', 'notRunning'


def wait_for_app_idle(page, timeout_ms: int = 30000) -> None:
    """Wait until Streamlit's script run has finished (the app's own state attribute)."""
    page.wait_for_function(SCRIPT_STATE_IS, arg="notRunning", timeout=timeout_ms)


def wait_for_store(page, timeout_ms: int = 30000) -> None:
    """Wait until the browser store (mnistapp/keep.js) has written what it was sent, and the run its answer
    starts has finished: a test that counts reruns or sends then sees only its own."""
    page.wait_for_function("() => window.__keepQueue === undefined || window.__keepQueue.then(() => true)",
                           timeout=timeout_ms)
    page.wait_for_timeout(150)
    wait_for_app_idle(page, timeout_ms)


def metric_value(page, label: str) -> str | None:
    """Text of the st.metric whose label is exactly `label`, or None if there is none."""
    return page.evaluate(
        """(label) => { for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
             const l = m.querySelector('[data-testid="stMetricLabel"]');
             if (l && l.innerText.trim() === label) {
               const v = m.querySelector('[data-testid="stMetricValue"]'); return v ? v.innerText.trim() : null; } }
           return null; }""", label)


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) so far of process `root` and every live process below it."""
    procs = processes()

    def below(pid: int) -> bool:
        while pid > 1:
            if pid == root:
                return True
            pid = procs.get(pid, (0, 0))[0]
        return False

    return sum(ticks for pid, (_, ticks) in procs.items() if below(pid)) / os.sysconf("SC_CLK_TCK")
