"""Ways in and ways to share, in a real browser: a photo the test makes is uploaded and read, a shareable
link opened in a fresh browser context shows the same selection (and a mangled one falls back quietly),
and the star on the hidden map follows the drawing."""

import numpy as np
import pytest

from conftest import screenshot
from harness.canvas import GRAB, LIVE, PREDICTION_IS, draw, grabbed_prediction, open_draw_page, reset, settle
from harness.photos import make_photo
from harness.server import data_url_image, metric_value, wait_for_app_idle
from harness.strokes import digit_strokes
from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistcore import forward, load_mnist, load_params, preprocess_canvas, preprocess_photo, scale_input
from mnistcore.explain.hiddenmap import fit_hidden_map, project
from mnistcore.preprocess import scale_uint8

pytestmark = pytest.mark.browser

STAR = """() => { const p = document.querySelector('.st-key-draw-map-star .js-plotly-plot');
  return p && p.data ? [p.data[1].x[0], p.data[1].y[0]] : null; }"""


@pytest.fixture(scope="module")
def params():
    return load_params(SHIPPED_MODEL)


def wait_for_prediction(page, want: str, timeout_ms: int = 60000) -> None:
    page.wait_for_function(PREDICTION_IS, arg=want, timeout=timeout_ms)
    wait_for_app_idle(page)


def choose_source(page, name: str) -> None:
    page.locator('[data-testid="stMain"] [data-testid="stButtonGroup"]').get_by_text(name, exact=True).click()
    wait_for_app_idle(page)


def test_an_uploaded_photo_is_read_and_its_steps_shown(page, app_url, params, tmp_path):
    images, labels = load_mnist("train", DATA_DIR)
    rng = np.random.default_rng(7)
    i = int(np.flatnonzero(labels == 3)[5])
    data = make_photo(images[i], "everything", rng)  # ruled lines, the table, a shadow, specks
    want = str(int(forward(params, scale_input(preprocess_photo(data)[None])).probs.argmax()))
    assert want == "3"  # the engine reads this photo right; the app must show the same
    path = tmp_path / "digit.jpg"
    path.write_bytes(data)
    page.goto(app_url)
    page.locator('[data-testid="stMetric"]').filter(has_text="Prediction").first.wait_for(timeout=60000)
    wait_for_app_idle(page)
    choose_source(page, "Photo")
    page.locator('[data-testid="stMain"] input[type="file"]').set_input_files(str(path))
    wait_for_prediction(page, want)
    page.get_by_text("4 the digit's ink").wait_for(timeout=30000)  # the steps come after the Prediction
    assert page.get_by_text("4 the digit's ink").count() == 1  # the steps are shown, once
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "ways_photo")
    # a file that is not an image: a clear message, the page keeps working
    bad = tmp_path / "not.png"
    bad.write_bytes(b"this is not a picture at all")
    page.locator('[data-testid="stMain"] input[type="file"]').set_input_files(str(bad))
    page.get_by_text("not an image").first.wait_for(timeout=30000)
    assert metric_value(page, "Prediction") == "–"
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_shared_link_opens_the_same_view_in_a_fresh_browser(browser, app_url, params):
    images, labels = load_mnist("test", DATA_DIR)
    first = browser.new_context(viewport={"width": 1280, "height": 900})
    page = first.new_page()
    page.goto(app_url)
    page.locator('[data-testid="stMetric"]').filter(has_text="Prediction").first.wait_for(timeout=60000)
    wait_for_app_idle(page)
    choose_source(page, "Test image")
    box = page.get_by_label("Test image")
    box.fill("1234")
    box.press("Enter")
    want = str(int(forward(params, scale_uint8(images[1234:1235])).probs.argmax()))
    wait_for_prediction(page, want)
    page.wait_for_function("() => location.search.includes('image=1234')", timeout=30000)
    link = page.url
    assert "source=test" in link
    first.close()

    fresh = browser.new_context(viewport={"width": 1280, "height": 900})  # no cookies, no session
    page = fresh.new_page()
    page.goto(link)
    try:
        wait_for_prediction(page, want, timeout_ms=90000)
    finally:
        screenshot(page, "ways_link_fresh")
    number = page.locator('[data-testid="stMain"] [data-testid="stNumberInput"] input').first
    number.wait_for(timeout=60000)
    assert number.input_value() == "1234"
    assert page.get_by_text(f"labelled {labels[1234]}").count() == 1
    screenshot(page, "ways_link_draw")

    page.goto(f"{app_url}/weights?tab=W1+as+images&unit=37&digit=3")
    page.get_by_label("Unit j").wait_for(timeout=60000)
    wait_for_app_idle(page)
    assert page.get_by_label("Unit j").input_value() == "37"
    assert page.locator('[role="tab"][aria-selected="true"]').inner_text().strip() == "W1 as images"
    screenshot(page, "ways_link_weights")

    for bad in ["/?source=nothing&image=-4", "/?source=test&image=99999", "/weights?tab=nope&unit=x&digit=12",
                "/testset?digit=11&answers=maybe"]:
        page.goto(app_url + bad)
        page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=60000)
        wait_for_app_idle(page, 180000)  # the Test set page's first run evaluates 10,000 images: slow when busy
        assert page.locator('[data-testid="stException"]').count() == 0, bad
        assert page.locator('[data-testid="stAlert"]').filter(has_text="Error").count() == 0, bad
    fresh.close()


def test_the_star_on_the_hidden_map_follows_the_drawing(page, app_url, params):
    images, labels = load_mnist("test", DATA_DIR)
    hmap = fit_hidden_map(params, scale_uint8(images))
    page.goto(app_url)  # a cold server on a busy machine can take longer than open_draw_page waits
    page.locator('[data-testid="stMetric"]').filter(has_text="Prediction").first.wait_for(timeout=90000)
    canvas, box = open_draw_page(page, app_url)
    stars = []
    for d in (0, 1):
        i = int(np.flatnonzero(labels == d)[0])
        canvas.scroll_into_view_if_needed()  # opening the map's expander scrolls the page to it
        box = canvas.bounding_box()
        draw(page, box, digit_strokes(images[i], 280))
        settle(page)
        want = grabbed_prediction(canvas, params)
        wait_for_prediction(page, want)
        if d == 0:  # the map's expander: closed at first; once opened it stays open after Clear
            assert page.locator(".st-key-draw-map-star").count() == 0
            page.get_by_text("Where it lands in hidden space").click()
        page.wait_for_function(STAR, timeout=60000)
        star = np.array(page.evaluate(STAR))
        # the star is where the engine puts the browser's own pixels on the map
        url = canvas.evaluate(GRAB[LIVE])  # the canvas's pixels, as the page got them
        rgba = np.asarray(data_url_image(url).convert("RGBA"))
        a = forward(params, scale_input(preprocess_canvas(rgba)[None])).activations[-1]
        np.testing.assert_allclose(star, project(hmap, a)[0], rtol=0, atol=0.01)
        stars.append(star)
        if d == 0:
            screenshot(page, "ways_map")
        reset(page)
    assert np.linalg.norm(stars[0] - stars[1]) > 1.0  # a 0 and a 1 land far apart: the star moved
