"""Why this digit in a real browser: a drawn digit gets no "not sure", a drawn letter does;
switching a preprocessing step off changes the 28x28 image and the prediction; the views open on demand."""
import time

import numpy as np
import pytest

from conftest import screenshot
from harness.canvas import draw, open_draw_page, reset, settle
from harness.server import data_url_image, metric_value, wait_for_app_idle
from harness.strokes import digit_strokes
from mnistapp.figures.style import NEGATIVE, POSITIVE, ZERO
from mnistapp.paths import DATA_DIR
from mnistcore import load_mnist
from training.nondigits import letter_image

pytestmark = pytest.mark.browser

NOT_SURE = '[data-testid="stMarkdown"]:has-text("not sure")'
FIRST_USE_MS = 120000  # the first drawing sets the model's "not sure" threshold: seconds on a loaded machine


def first_test_digit(label: int) -> np.ndarray:
    images, labels = load_mnist("test", DATA_DIR)
    return images[int(np.flatnonzero(labels == label)[0])]


def wait_for_prediction(page, timeout_ms=FIRST_USE_MS):
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m =>
        m.innerText.includes('Prediction') && m.querySelector('[data-testid="stMetricValue"]').innerText.trim() !== '–')""",
                           timeout=timeout_ms)
    wait_for_app_idle(page, FIRST_USE_MS)
    settle(page)


def wait_until_calibrated(page, box):
    """The "not sure" threshold is set in a background thread when a model is first used (seconds on a
    loaded machine); until then the flag's place says so. Draw a digit until that note is gone."""
    deadline = time.monotonic() + FIRST_USE_MS / 1000
    while True:
        draw(page, box, digit_strokes(first_test_digit(1), 280))
        wait_for_prediction(page)
        calibrating = page.get_by_text("Learning what \"not sure\" means").count() > 0
        reset(page)
        if not calibrating:
            return
        assert time.monotonic() < deadline, "the 'not sure' threshold was never set"
        time.sleep(2)


def test_a_drawn_digit_is_not_flagged_and_a_drawn_letter_is(page, app_url):
    canvas, box = open_draw_page(page, app_url)
    wait_until_calibrated(page, box)
    draw(page, box, digit_strokes(first_test_digit(7), 280))
    wait_for_prediction(page)
    assert metric_value(page, "Prediction") == "7"
    assert page.locator(NOT_SURE).count() == 0
    screenshot(page, "why_digit_sure")
    reset(page)
    draw(page, box, digit_strokes(letter_image("M"), 280))
    wait_for_prediction(page)
    page.locator(NOT_SURE).first.wait_for(timeout=10000)
    text = page.locator(NOT_SURE).first.inner_text()
    shown = metric_value(page, "Prediction")
    assert shown in text  # "not sure: 4 or 9?" names the shown digit first
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "why_letter_not_sure")


def picture(page_or_img, selector: str | None = None) -> np.ndarray:
    """A picture the page shows as a PNG data URL, decoded: (h, w) grey or (h, w, 3) RGB uint8."""
    img = page_or_img.locator(selector).first if selector else page_or_img
    return np.asarray(data_url_image(img.get_attribute("src")))


def the_28x28_src(page) -> str:
    return page.locator('img[alt="the 28×28 image it reads"]').first.get_attribute("src")


def test_switching_the_crop_off_changes_the_image_and_the_prediction(page, app_url):
    canvas, box = open_draw_page(page, app_url)
    small = [[(x * 0.35 + 10, y * 0.35 + 10) for x, y in stroke] for stroke in digit_strokes(first_test_digit(7), 280)]
    draw(page, box, small)  # a small 7 in the top-left corner
    wait_for_prediction(page)
    assert page.get_by_text("Prediction with these steps").count() == 0  # closed: nothing computed
    page.get_by_text("The preprocessing, step by step").click()
    page.get_by_text("Prediction with these steps").wait_for(timeout=30000)
    wait_for_app_idle(page)
    before = metric_value(page, "Prediction with these steps"), the_28x28_src(page)
    assert before[0] == metric_value(page, "Prediction")  # every step on: the page's own reading
    page.get_by_test_id("stButtonGroup").get_by_role("button", name="crop to the ink").click()
    page.wait_for_function("""(src) => { const i = document.querySelector('img[alt="the 28×28 image it reads"]');
        return i && i.src !== src; }""", arg=before[1], timeout=30000)
    wait_for_app_idle(page)
    after = metric_value(page, "Prediction with these steps"), the_28x28_src(page)
    screenshot(page, "why_steps_crop_off")
    assert after[1] != before[1]
    assert after[0] != before[0], (before[0], after[0])
    assert page.get_by_text("crop to the ink (off)").count() == 1


def test_the_views_open_on_demand_and_show_their_answers(page, app_url):
    canvas, box = open_draw_page(page, app_url)
    draw(page, box, digit_strokes(first_test_digit(3), 280))
    wait_for_prediction(page)
    winner = metric_value(page, "Prediction")
    page.get_by_text("Why this digit? Each pixel's exact share").click()
    page.get_by_text("…and not", exact=True).wait_for(timeout=30000)
    wait_for_app_idle(page)
    page.get_by_text("Fool it: make it say another digit").click()
    target = "8" if winner != "8" else "2"
    page.get_by_text("Make it say", exact=True).wait_for(timeout=30000)
    wait_for_app_idle(page)
    screenshot(page, "why_fool_open")
    page.get_by_test_id("stButtonGroup").locator("button", has_text=target).click()  # the only group open
    page.get_by_text(f"It says {target} now").wait_for(timeout=30000)
    wait_for_app_idle(page)
    assert metric_value(page, "Prediction") == winner  # the drawing itself is left as it was
    screenshot(page, "why_attribution_and_fool")
    # the change is drawn on its own scale: its largest change gets the strongest colour, no change is white
    drawing, changed = (picture(page, f'img[alt="{alt}"]') / 255 for alt in ("your drawing", "the changed one"))
    change_img = page.locator('img[alt^="the change (orange: ink added"]').first
    rgb, caption = picture(change_img), change_img.get_attribute("alt")
    change = changed - drawing
    i = np.unravel_index(np.abs(change).argmax(), change.shape)
    biggest = float(caption.rsplit("±", 1)[1].rstrip(")"))
    assert abs(biggest - abs(change[i])) <= 0.01, (caption, abs(change[i]))  # 2 decimals; 8-bit pictures
    # (the pictures are 8-bit: the largest change seen here may be a hair off the one the scale was set by)
    assert np.abs(rgb[i].astype(int) - (POSITIVE if change[i] > 0 else NEGATIVE)).max() <= 12, rgb[i]
    assert (rgb[change == 0] == ZERO).all(axis=-1).mean() > 0.9
    assert page.locator('[data-testid="stException"]').count() == 0


def test_the_test_image_dialog_has_the_same_views_and_switching_units_off_updates_it(page, app_url):
    from test_testset_browser import GALLERY, open_testset
    open_testset(page, app_url)
    page.locator(GALLERY).first.click()
    dialog = page.locator("[role='dialog']")
    dialog.locator("[data-testid='stMetric']").first.wait_for(timeout=60000)
    wait_for_app_idle(page, FIRST_USE_MS)  # the first "not sure" of this server sets the threshold
    dialog.get_by_text("Why this digit? Each pixel's exact share").click()
    dialog.get_by_text("…and not", exact=True).wait_for(timeout=30000)
    dialog.get_by_text("Switch hidden units off").click()
    dialog.get_by_text("Switch off (a = 0) units").wait_for(timeout=30000)
    wait_for_app_idle(page)
    before = metric_value(page, "Prediction")
    for n in range(3):  # the three units that push the answer up the most
        dialog.get_by_test_id("stButtonGroup").get_by_role("button").nth(n).click()
        wait_for_app_idle(page)
    dialog.get_by_text("Prediction with those units off").wait_for(timeout=30000)
    wait_for_app_idle(page)
    assert metric_value(page, "Prediction with those units off") is not None
    assert metric_value(page, "Prediction") == before  # the model itself is unchanged
    assert dialog.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "why_testset_dialog")


def test_a_link_opens_the_views_it_names_and_the_url_follows_the_expanders(page, app_url):
    """?open=why,steps: a fresh visitor's first drawing shows those two views and no other; opening one
    more puts it in the URL, to share."""
    canvas, box = open_draw_page(page, app_url + "/?open=steps,why,nonsense")
    draw(page, box, digit_strokes(first_test_digit(3), 280))
    wait_for_prediction(page)
    page.get_by_text("…and not", exact=True).wait_for(timeout=30000)      # the attribution view, open
    page.get_by_text("Prediction with these steps").wait_for(timeout=30000)  # the preprocessing steps, open
    assert page.get_by_text("Make it say", exact=True).count() == 0        # fool it: closed, nothing computed
    assert page.get_by_text("Switch off (a = 0) units").count() == 0
    # opened before the first stroke, the attribution still explains the final prediction
    said = metric_value(page, "Prediction")
    page.get_by_text(f"shares of logit {said} =").wait_for(timeout=30000)
    screenshot(page, "why_link_opened")
    page.get_by_text("Switch hidden units off").click()
    page.get_by_text("Switch off (a = 0) units").wait_for(timeout=30000)
    page.wait_for_function("() => new URLSearchParams(location.search).get('open') === 'why,units,steps'",
                           timeout=30000)
