"""The Draw page on a phone (390 px, and 320 px for the swipe): the bars follow the Prediction, a swipe that starts beside the canvas
scrolls the page while one on the canvas draws, and no chart's toolbar covers its title."""
import pytest

from harness.server import metric_value, wait_for_app_idle

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PREDICTION = """() => { for (const m of document.querySelectorAll('[data-testid="stMetric"]'))
  if (m.innerText.startsWith('Prediction')) { const r = m.getBoundingClientRect(); return r.bottom; } }"""
CANVAS = 'canvas[data-testid="live-canvas"]'
CANVAS_TOP = """() => { for (const host of document.querySelectorAll('*')) {  // inside its component's shadow root
  const c = host.shadowRoot && host.shadowRoot.querySelector('canvas[data-testid="live-canvas"]');
  if (c) return c.getBoundingClientRect().top; } }"""


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("path", ["/?source=draw", "/?source=test&image=3"])
def test_the_bars_follow_the_prediction(phone, app_url, path):
    phone.goto(app_url + path)
    phone.locator(".softmax-bars").first.wait_for(timeout=60000)
    wait_for_app_idle(phone, 60000)
    gap = phone.locator(".softmax-bars").first.bounding_box()["y"] - phone.evaluate(PREDICTION)
    assert 0 <= gap < 300, f"{gap:.0f} px from the Prediction down to its bars"  # a Loss metric may sit between


def swipe_up(phone, x: float, y: float) -> None:
    """A finger moving 300 px up from (x, y), as the browser gets it from a touch screen."""
    cdp = phone.context.new_cdp_session(phone)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, 16):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y - 20 * i}]})
        phone.wait_for_timeout(16)  # a frame apart, as a finger's moves come
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def canvas_box(phone) -> tuple[float, float, float, float]:
    box = phone.locator(CANVAS).bounding_box()  # the canvas is in its component's shadow root: a locator finds it
    return box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]


@pytest.mark.parametrize("width", [320, 390])
def test_a_swipe_beside_the_canvas_scrolls_and_one_on_it_draws(phone, app_url, width):
    phone.set_viewport_size({"width": width, "height": PHONE["height"]})
    phone.goto(app_url + "/?source=draw")
    phone.locator(CANVAS).wait_for(timeout=60000)
    wait_for_app_idle(phone, 60000)
    left, top, right, bottom = canvas_box(phone)
    assert width - right >= 48  # room beside the canvas for a thumb to scroll with

    swipe_up(phone, (left + right) / 2, bottom - 20)
    phone.wait_for_function("() => (window.__liveCanvas?.strokes.length ?? 0) >= 1", timeout=30000)
    assert canvas_box(phone)[1] == pytest.approx(top, abs=2)  # ink, not a scroll

    swipe_up(phone, right + (width - right) / 2, bottom - 20)
    phone.wait_for_function(f"(top) => ({CANVAS_TOP})() < top - 100", arg=top, timeout=30000)
    assert phone.evaluate("window.__liveCanvas.strokes.length") == 1  # and no stroke from that swipe
    wait_for_app_idle(phone, 60000)
    assert metric_value(phone, "Prediction") is not None


def test_no_chart_toolbar_covers_a_chart_title(phone, app_url):
    phone.goto(app_url + "/weights")
    phone.locator(".js-plotly-plot .gtitle").first.wait_for(timeout=60000)
    wait_for_app_idle(phone, 60000)
    for plot in phone.locator(".js-plotly-plot").all():
        if not plot.is_visible():
            continue
        plot.tap()  # a tap is a phone's hover: Plotly shows its toolbar then
        covered = plot.evaluate("""(plot) => {
          const bar = plot.querySelector('.modebar');  // the buttons (their container has no height)
          const b = bar && getComputedStyle(bar).opacity !== '0' ? bar.getBoundingClientRect() : null;
          return b ? [...plot.querySelectorAll('.gtitle')].some(t => { const r = t.getBoundingClientRect();
            return r.left < b.right && b.left < r.right && r.top < b.bottom && b.top < r.bottom; }) : false; }""")
        assert not covered
