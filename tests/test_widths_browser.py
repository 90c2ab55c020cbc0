"""Every page is right at every width from a small phone (320 px) to a wide screen (2,560 px): no block overlaps
another, nothing is cut off or outside the window sideways, and the page never scrolls sideways.

One browser page is resized through the widths (harness/boxes.py measures the boxes). The 1,024 px window is
tried with the sidebar open and closed: a tablet in landscape, or a laptop on a projector at 150 %.
"""
import pytest

from harness.axe import lesson_drawn
from harness.boxes import set_sidebar, settled_layout_problems
from harness.server import metric_value, wait_for_app_idle

pytestmark = pytest.mark.browser

# (width, sidebar open?); under 1,024 px the sidebar covers the page when open, so it is measured closed
WIDTHS = [(320, False), (390, False), (768, False), (1024, True), (1024, False), (1152, True), (1366, True),
          (2560, True)]
READY = {  # what shows once each page has drawn
    "draw-empty": ("/?source=draw", 'canvas[data-testid="live-canvas"]'),
    "draw-test-image": ("/?source=test&image=3", ".softmax-bars .bar"),
    "draw-classic-canvas": ("/?canvas=classic", "canvas.upper-canvas"),
    "weights": ("/weights", ".js-plotly-plot"),
    "testset": ("/testset", '.pictures figure img'),
    "learn": ("/learn", '[data-testid="stTab"]'),
    "lesson-drawn": ("/lesson?step=2", 'canvas[data-testid="live-canvas"]'),
}


@pytest.fixture
def window(browser):
    """A fresh browser for each page state: what one state keeps in the browser's store would change the next."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("name", list(READY))
def test_page_is_laid_out_right_at_every_width(window, app_url, name):
    path, ready = READY[name]
    window.set_viewport_size({"width": 1366, "height": 900})
    window.goto(app_url + path)
    window.locator(ready).first.wait_for(timeout=60000)
    wait_for_app_idle(window, 60000)
    if name == "draw-test-image":  # test image 3 is a 0 the network reads, once the store's rerun is over
        for _ in range(120):
            if metric_value(window, "Prediction") == "0":
                break
            window.wait_for_timeout(500)
        assert metric_value(window, "Prediction") == "0"
    if name == "lesson-drawn":  # a step with a drawing: the canvas, the digit the network gets and the task's views
        lesson_drawn(window, app_url)
    found = []
    for width, sidebar in WIDTHS:
        window.set_viewport_size({"width": width, "height": 900})
        set_sidebar(window, sidebar)
        found += [f"{width} px, sidebar {'open' if sidebar else 'closed'}: {p}" for p in settled_layout_problems(window)]
    assert not found, "\n".join(found)
