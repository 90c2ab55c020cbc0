"""axe-core (WCAG 2.0, 2.1 and 2.2, levels A and AA) on every state of every page, in light and dark.

`STATES` opens each page state in a Playwright page; `serious_violations` runs axe there and keeps the
critical and serious findings. `python -m harness.axe` starts the app and prints the table of counts
that docs/accessibility.md keeps; tests/test_a11y_browser.py asserts that every count is zero.
"""
from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
from axe_playwright_python.sync_playwright import Axe

from mnistapp.paths import DATA_DIR
from mnistcore import load_mnist

from .canvas import draw, open_draw_page, settle
from .photos import make_photo
from .server import wait_for_app_idle
from .strokes import digit_strokes

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
SERIOUS = ("critical", "serious")
THEMES = ("light", "dark")
TIMEOUT = 120000  # ms: a first visit computes the test set's evaluation, on a machine shared with others
CLOSED_EXPANDERS = '[data-testid="stMain"] details:not([open]) > summary'
# The page at rest: its fonts loaded (KaTeX's widen the equations) and no change to its DOM for 500 ms (at most
# 15 s), then two frames, in which the app's access script (mnistapp/access.js) fixes what the last change drew.
SETTLED = """() => document.fonts.ready.then(() => new Promise(done => {
  let quiet; const end = Date.now() + 15000;
  const observer = new MutationObserver(() => { clearTimeout(quiet); quiet = setTimeout(finish, 500); });
  function finish() { observer.disconnect(); requestAnimationFrame(() => requestAnimationFrame(done)); }
  observer.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  quiet = setTimeout(finish, 500);
  setTimeout(() => { clearTimeout(quiet); finish(); }, Math.max(0, end - Date.now()));
}))"""


def serious_violations(page) -> list[dict]:
    """axe's critical and serious violations on the page as it is now: [{id, impact, help, targets}]."""
    wait_for_app_idle(page, TIMEOUT)  # a rerun still going shows Streamlit's own status and spinners
    page.evaluate(SETTLED)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]})
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "targets": [" ".join(map(str, n["target"])) for n in v["nodes"]]}
            for v in results.response["violations"] if v["impact"] in SERIOUS]


def _open(page, url: str, ready: str) -> None:
    page.goto(url)
    page.locator(ready).first.wait_for(state="attached", timeout=TIMEOUT)
    wait_for_app_idle(page, TIMEOUT)


def _prediction_shown(page) -> None:
    page.locator('[data-testid="stMetric"]').filter(has_text="Prediction").first.wait_for(timeout=TIMEOUT)
    wait_for_app_idle(page, TIMEOUT)


def _open_every_expander(page) -> None:
    """Open the main area's closed expanders one at a time (each reruns and may show new ones)."""
    for _ in range(20):
        closed = page.locator(CLOSED_EXPANDERS)
        if closed.count() == 0:
            return
        closed.first.click()
        wait_for_app_idle(page, TIMEOUT)
        page.wait_for_timeout(300)
        wait_for_app_idle(page, TIMEOUT)


def draw_empty(page, url: str) -> None:
    open_draw_page(page, url)


def draw_drawn(page, url: str) -> None:
    """A test 3 drawn with the mouse, with every view open."""
    images, labels = load_mnist("test", DATA_DIR)
    canvas, box = open_draw_page(page, f"{url}/?open=why,fool,units,steps,map")
    draw(page, box, digit_strokes(images[int(np.flatnonzero(labels == 3)[0])], 280))
    settle(page)
    _prediction_shown(page)
    _open_every_expander(page)


def draw_photo(page, url: str) -> None:
    images, labels = load_mnist("train", DATA_DIR)
    path = DATA_DIR.parent / "artifacts" / "axe-photo.jpg"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(make_photo(images[int(np.flatnonzero(labels == 3)[5])], "everything", np.random.default_rng(7)))
    _open(page, f"{url}/?source=photo", '[data-testid="stMain"] input[type="file"]')
    page.locator('[data-testid="stMain"] input[type="file"]').set_input_files(str(path))
    page.get_by_text("4 the digit's ink").first.wait_for(timeout=TIMEOUT)
    wait_for_app_idle(page, TIMEOUT)


def draw_test_image(page, url: str) -> None:
    _open(page, f"{url}/?source=test&image=1234", '[data-testid="stMetricValue"]')
    _prediction_shown(page)


def weights_tab(tab: str) -> Callable:
    def open_tab(page, url: str) -> None:
        _open(page, url, '[data-testid="stMetric"]')  # app.py must run once before a page's own URL
        _open(page, f"{url}/weights?tab={tab.replace(' ', '+')}", '[data-testid="stTab"][aria-selected="true"]')
        page.locator('[data-testid="stMain"] .js-plotly-plot, [data-testid="stMain"] img').first.wait_for(
            timeout=TIMEOUT)
        wait_for_app_idle(page, TIMEOUT)
    return open_tab


GALLERY = ".st-key-testset-gallery [data-testid='stButton'] button"


def testset(page, url: str) -> None:
    _open(page, url, '[data-testid="stMetric"]')
    _open(page, f"{url}/testset", GALLERY)
    page.locator(".st-key-testset-histograms .js-plotly-plot").first.wait_for(timeout=TIMEOUT)


def testset_dialog(page, url: str) -> None:
    testset(page, url)
    page.locator(GALLERY).first.click()
    page.locator('[role="dialog"]').first.wait_for(timeout=TIMEOUT)
    wait_for_app_idle(page, TIMEOUT)


def learn_trained(page, url: str) -> None:
    """The training tab after a 784-16-10 trained for one epoch: curves, tiles and the hand-over."""
    _open(page, url, '[data-testid="stMetric"]')
    _open(page, f"{url}/learn", 'button:has-text("Start training")')
    for label, value in (("Hidden sizes", "16"), ("Epochs", "1")):
        box = page.get_by_label(label, exact=True)
        box.fill(value)
        box.press("Enter")
        wait_for_app_idle(page, TIMEOUT)
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("Test accuracy").wait_for(timeout=300000)
    wait_for_app_idle(page, TIMEOUT)


def learn_worked_step(page, url: str) -> None:
    _open(page, url, '[data-testid="stMetric"]')
    _open(page, f"{url}/learn", '[data-testid="stTab"]')
    page.get_by_role("tab", name="One step of backprop, worked").click()
    page.get_by_text("Backward").first.wait_for(timeout=TIMEOUT)
    wait_for_app_idle(page, TIMEOUT)


def lesson_drawn(page, url: str) -> None:
    """The lesson's step 2 with a test 3 drawn on its canvas, hint, maths and teacher's notes open."""
    images, labels = load_mnist("test", DATA_DIR)
    _open(page, f"{url}/lesson?step=2", 'canvas[data-testid="live-canvas"]')
    canvas = page.locator('canvas[data-testid="live-canvas"]').first
    canvas.scroll_into_view_if_needed()
    draw(page, canvas.bounding_box(), digit_strokes(images[int(np.flatnonzero(labels == 3)[0])], 280))
    settle(page)
    _open_every_expander(page)


STATES: dict[str, Callable] = {
    "Draw, empty": draw_empty,
    "Draw, drawn, every view open": draw_drawn,
    "Draw, Photo": draw_photo,
    "Draw, Test image": draw_test_image,
    **{f"Weights, {tab}": weights_tab(tab)
       for tab in ("W1 heatmap", "W1 as images", "W2 and templates", "Biases and histograms")},
    "Lesson, step 2, drawn": lesson_drawn,
    "Test set": testset,
    "Test set, dialog open": testset_dialog,
    "Learn, trained": learn_trained,
    "Learn, worked step": learn_worked_step,
}


def main(only: list[str]) -> None:
    """Print a Markdown table: per page state (those whose names contain a word of `only`, or all), the
    nodes with axe's critical or serious violations in light and dark, and the rules they break.
    With AXE_DETAIL=1 in the environment, each violation's targets too."""
    import os

    from playwright.sync_api import sync_playwright

    from .server import CHROMIUM, CHROMIUM_ARGS, free_port, start_streamlit, stop
    port = free_port()
    server = start_streamlit(port)
    url = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print("| Page state | light | dark | rules (nodes) |\n|---|---|---|---|")
            for name, open_state in STATES.items():
                if only and not any(w in name for w in only):
                    continue
                counts, rules = [], {}
                for theme in THEMES:
                    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=theme)
                    page = context.new_page()
                    open_state(page, url)
                    found = serious_violations(page)
                    counts.append(sum(len(v["targets"]) for v in found))
                    for v in found:
                        if os.environ.get("AXE_DETAIL"):
                            print(f"  {theme} {v['id']}: {v['help']}: {v['targets'][:12]}", flush=True)
                        rules[v["id"]] = max(rules.get(v["id"], 0), len(v["targets"]))
                    context.close()
                detail = ", ".join(f"{r} ({n})" for r, n in sorted(rules.items())) or "–"
                print(f"| {name} | {counts[0]} | {counts[1]} | {detail} |", flush=True)
            browser.close()
    finally:
        stop(server)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
