"""The Draw page and the app's frame in a German browser: empty, drawn with every view open (and a taught model
compared with the shipped one), a photo, a refused file, a test image and the sidebar show no English string of
the catalogue; the live canvas's buttons and interim answer speak German; ?lang=de travels from page to page."""
from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import screenshot
from harness.canvas import draw
from harness.german import english_left, words_on_screen
from harness.photos import make_photo
from harness.server import metric_value, wait_for_app_idle
from harness.strokes import digit_strokes
from mnistapp.paths import DATA_DIR
from mnistcore import load_mnist

pytestmark = pytest.mark.browser
CANVAS = 'canvas[data-testid="live-canvas"]'
WAIT = 60000  # ms: a rerun on a machine shared with other test runs can take seconds
PREDICTION = "Vorhersage"
# What the page says beyond its text: alt texts, accessible names and tooltips, one per line
SPOKEN = """() => [...document.querySelectorAll('[alt], [aria-label], [title]')].flatMap((el) =>
  ['alt', 'aria-label', 'title'].map((a) => el.getAttribute(a)).filter(Boolean)).join('\\n')"""


def seen(page) -> str:
    """Everything on the page a visitor reads or hears, once the app's run is over."""
    wait_for_app_idle(page, WAIT)
    page.wait_for_timeout(300)  # the live canvas's script writes its words just after the run
    wait_for_app_idle(page, WAIT)
    return words_on_screen(page) + "\n" + page.evaluate(SPOKEN)


def prediction_is_a_digit(page) -> None:
    page.wait_for_function("""(label) => [...document.querySelectorAll('[data-testid="stMetric"]')].some((m) =>
        m.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim() === label
        && /^[0-9]$/.test(m.querySelector('[data-testid="stMetricValue"]')?.innerText.trim()))""",
                           arg=PREDICTION, timeout=WAIT)
    wait_for_app_idle(page, WAIT)


def choose_source(page, name: str) -> None:
    page.locator('[data-testid="stMain"] [data-testid="stButtonGroup"]').first.get_by_text(name, exact=True).click()
    wait_for_app_idle(page, WAIT)


OPEN_ONE = """() => { const s = document.querySelector('[data-testid="stMain"] details:not([open]) > summary');
  if (s) s.click(); return Boolean(s); }"""


def choose(page, name, option: str) -> None:
    """Choose `option` in the select box `name`; a rerun that lands while the list is open closes it, so again."""
    box = page.get_by_role("combobox", name=name).last
    for _ in range(5):
        box.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=10000)
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
        wait_for_app_idle(page, WAIT)
        if box.input_value() == option:
            return
    raise AssertionError(f"{option} would not stay chosen in {name}")


def open_every_expander(page) -> None:
    """Open the main area's expanders one at a time (each reruns the page when opened) until all are open."""
    for _ in range(20):
        wait_for_app_idle(page, WAIT)
        page.wait_for_timeout(300)  # an expander opened a moment ago may still be swapped in by its rerun
        if not page.evaluate(OPEN_ONE):
            return
    raise AssertionError("an expander would not stay open")


def pick_first(page, group: str) -> None:
    """Click the first option of the pills or segmented control labelled `group`."""
    control = page.locator('[data-testid="stElementContainer"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=group)).filter(
        has=page.locator('[data-testid="stButtonGroup"]')).last
    control.locator('[data-testid="stButtonGroup"] button').first.click()
    wait_for_app_idle(page, WAIT)


def test_the_draw_page_in_german_leaves_no_english_catalogue_string_on_screen(browser, app_url, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = context.new_page()
    texts = {}
    try:
        page.goto(app_url)
        page.locator('[data-testid="stMetric"]').filter(has_text=PREDICTION).first.wait_for(timeout=WAIT)
        page.get_by_text("Zeichne eine Ziffer", exact=True).wait_for(timeout=WAIT)
        page.get_by_role("button", name="Rückgängig").wait_for(timeout=WAIT)  # the canvas's own buttons
        page.get_by_role("button", name="Zeichnung löschen").wait_for(timeout=WAIT)
        texts["empty"] = seen(page)
        assert "Modell" in texts["empty"] and "In diesem Browser aufbewahrt" in texts["empty"]  # the sidebar

        images, labels = load_mnist("test", DATA_DIR)
        canvas = page.locator(CANVAS)
        canvas.scroll_into_view_if_needed()
        draw(page, canvas.bounding_box(), digit_strokes(images[int(np.flatnonzero(labels == 3)[0])], 280))
        prediction_is_a_digit(page)
        assert re.search(r"\d+,\d\u00a0% sicher|nicht sicher", texts.setdefault("drawn", seen(page)))
        choose(page, re.compile("Die Ziffer, die du gemeint hast"), "3")
        open_every_expander(page)
        pick_first(page, "Lass es sagen")
        page.get_by_text(re.compile(r"Jetzt sagt es|Nach \d+ Schritten nicht am Ziel")).first.wait_for(timeout=WAIT)
        pick_first(page, re.compile("Neuronen der verborgenen Schicht 1 ausschalten"))
        page.get_by_text("Vorhersage mit diesen Neuronen ausgeschaltet").wait_for(timeout=WAIT)
        pick_first(page, "Schritte ausschalten")
        page.get_by_text(re.compile(r"\(aus\) → \d")).first.wait_for(timeout=WAIT)
        texts["views"] = seen(page)
        screenshot(page, "draw_de_views")

        choose(page, "Es war", "3")
        page.get_by_role("button", name="Beibringen").click()
        page.get_by_text("Dein Modell", exact=False).first.wait_for(timeout=WAIT)  # the sidebar names it
        wait_for_app_idle(page, WAIT)
        page.get_by_text("Mit dem mitgelieferten Modell vergleichen").click()
        page.get_by_text("Dein Modell: Die drei wahrscheinlichsten").wait_for(timeout=WAIT)
        texts["taught"] = seen(page)

        choose_source(page, "Foto")
        photo = tmp_path / "digit.jpg"
        photo.write_bytes(make_photo(images[int(np.flatnonzero(labels == 3)[1])], "everything",
                                     np.random.default_rng(7)))
        page.locator('[data-testid="stMain"] input[type="file"]').set_input_files(str(photo))
        page.get_by_text("4 die Tinte der Ziffer").wait_for(timeout=WAIT)
        texts["photo"] = seen(page)
        bad = tmp_path / "not.png"
        bad.write_bytes(b"this is not a picture at all")
        page.locator('[data-testid="stMain"] input[type="file"]').set_input_files(str(bad))
        page.get_by_text("Diese Datei ist kein Bild, das wir lesen können").wait_for(timeout=WAIT)
        texts["refused"] = seen(page)
        assert metric_value(page, PREDICTION) == "–"

        choose_source(page, "Testbild")
        page.get_by_text(re.compile(r"Testbild Nr\. \d+, mit dem Label \d\.")).wait_for(timeout=WAIT)
        prediction_is_a_digit(page)
        texts["test image"] = seen(page)

        assert english_left("Prediction\nTop three: 3 (99.1%), 5 (0.5%), 8 (0.1%).") == [
            "Prediction", "Top three: {digits}."]  # the search finds what it looks for
        left = {state: sorted(set(english_left(text))) for state, text in texts.items()}
        assert not any(left.values()), left

        assert re.search(r"lang=de", page.url), page.url
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Gewichte").click()
        page.wait_for_url(re.compile(r"/weights\?.*lang=de"), timeout=WAIT)
        wait_for_app_idle(page, WAIT)
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Zeichnen").click()
        page.wait_for_url(re.compile(r"lang=de"), timeout=WAIT)
        page.locator('[data-testid="stMetric"]').filter(has_text=PREDICTION).first.wait_for(timeout=WAIT)
    finally:
        context.close()
