"""Shared fixtures: a real `streamlit run app.py` on 127.0.0.1 and Debian's chromium driven by Playwright.

Browser tests take `app_url` and `page` (or `browser` for their own contexts) and are marked
`browser`; screenshots go to artifacts/screenshots/ so a person can look at them.
"""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from harness.server import CHROMIUM, CHROMIUM_ARGS, dump_stacks, free_port, processes, start_streamlit, stop
from mnistapp.paths import ROOT

SCREENSHOTS = ROOT / "artifacts" / "screenshots"


def loader_children(pid: int) -> list[int]:
    """Processes of parent `pid` that read a model file (python -m mnistapp.sandbox), zombies included."""
    found = []
    for child, (ppid, _) in processes().items():
        try:
            if ppid == pid and b"mnistapp.sandbox" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:  # it ended meanwhile
            continue
    return found


def pytest_collection_modifyitems(items):
    """A browser test that times out waiting for the page runs once more; a wrong value fails at once. In full
    runs on 2 cores, 1 to 3 of the 126 browser tests a run waited out a timeout for a page whose server was idle
    (every thread waiting, in the report below), a different test each run, and none of them when run alone."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.flaky(reruns=1, only_rerun=["TimeoutError"]))


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
    if report.failed and item.get_closest_marker("browser"):  # what the servers and the machine were doing
        report.sections.append(("servers and processes at the failure", what_ran(since=time.time() - 300)))
    return report


def what_ran(since: float, lines: int = 200) -> str:
    """Each running server's threads' stacks, the last lines of each server log written since `since`, and the
    processes using the most CPU now."""
    dump_stacks()
    out = []
    for log in sorted((ROOT / "artifacts").glob("streamlit-*.log")):
        if log.stat().st_mtime >= since:
            out += [f"--- {log.name}", *log.read_text(errors="replace").splitlines()[-lines:]]
    ps = subprocess.run(["ps", "-eo", "pid,ppid,pcpu,rss,etime,args", "--sort=-pcpu"], capture_output=True, text=True)
    out += ["--- ps", *(line[:160] for line in ps.stdout.splitlines()[:15])]
    return "\n".join(out)


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
    main = "document.querySelector('[data-testid=\"stMain\"]')"
    height, top = page.evaluate(f"() => {{ const m = {main};"
                                " return m ? [m.scrollHeight, m.scrollTop] : [document.body.scrollHeight, 0]; }")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(height, 6000))})
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)
    # scrolled back to where the test had it, so boxes it measured before still hold
    page.evaluate(f"(top) => {{ const m = {main}; if (m) m.scrollTop = top; }}", top)
    return path


def wait_until_in_view(page, selector: str, timeout_ms: int = 5000) -> None:
    """Wait until the element's top edge is in the upper half of the window (scrolled there, or already)."""
    page.wait_for_function(
        """(sel) => { const el = document.querySelector(sel); if (!el) return false;
             const top = el.getBoundingClientRect().top; return top >= 0 && top < window.innerHeight / 2; }""",
        arg=selector, timeout=timeout_ms)
