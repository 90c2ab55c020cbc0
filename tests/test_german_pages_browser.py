"""The Weights, Test set and Learn pages in a German browser: every tab, the Test set's image up close and the
Learn page after a tiny training leave no English catalogue string on screen, charts' words included."""
from __future__ import annotations

import re

import pytest
from test_weights_browser import heatmap_label

from conftest import screenshot
from harness.german import english_left
from harness.server import wait_for_app_idle

pytestmark = pytest.mark.browser
WAIT = 60000  # ms: a rerun on a machine shared with other test runs can take seconds
TRAINING_WAIT = 300000  # ms: reading the training set and one epoch of a 784-8-10 network on a busy machine
# The words of every chart on the page (titles, axis titles, legends, tick labels) as lines: Plotly draws
# them as SVG text, which the body's innerText leaves out.
CHART_TEXT = """() => [...document.querySelectorAll('.js-plotly-plot .main-svg text')]
                       .map((t) => t.textContent.trim()).filter(Boolean).join('\\n')"""


def seen(page) -> str:
    """What the visitor reads now: the page's text and its charts' words."""
    wait_for_app_idle(page, WAIT)
    page.wait_for_timeout(300)  # a chart drawn after the run ends
    return page.inner_text("body") + "\n" + page.evaluate(CHART_TEXT)


def shows(page, text: str, timeout: int = WAIT) -> None:
    page.get_by_text(text, exact=True).first.wait_for(timeout=timeout)


@pytest.fixture
def german(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")  # the browser's language
    page = context.new_page()
    yield page
    context.close()


def test_the_search_finds_an_english_string_and_passes_a_german_one():
    found = set(english_left("Gallery\nStrongest votes for 3: unit 1 (+0.2); against: unit 2 (−0.1).", min_letters=3))
    assert "Gallery" in found and any(s.startswith("Strongest votes for {") for s in found), found
    assert english_left("Galerie\nStärkste Stimmen für 3: Neuron 1 (+0,2); dagegen: Neuron 2 (−0,1).", min_letters=3) == []


def test_the_weights_page_in_german_shows_each_tab_in_german(german, app_url):
    page = german
    page.goto(f"{app_url}/weights")
    shows(page, "Gewichte")
    texts = []
    for tab, ready in (("W1 als Heatmap", ".st-key-weights-heatmap .js-plotly-plot"),
                       ("W1 als Bilder", ".st-key-weights-tiles .js-plotly-plot"),
                       ("W2 und Vorlagen", ".st-key-weights-votes .js-plotly-plot"),
                       ("Biase und Histogramme", ".st-key-weights-hist-W1 .js-plotly-plot")):
        page.get_by_role("tab", name=tab).click()
        page.locator(ready).first.wait_for(timeout=WAIT)
        texts.append(seen(page))
        if tab == "W1 als Heatmap":  # the hover label heatmap_hover.js writes: German words, a decimal comma
            label = heatmap_label(page, page.locator(".st-key-weights-heatmap").first, 0.5, 0.5)
            value = r"−?\d+,\d+(e[−+]?\d+)?"  # as toPrecision(3) writes it, with a comma
            assert re.fullmatch(rf"Pixel \(\d+, \d+\) · Eingang \d+\nverborgenes Neuron \d+\nW1\[i, j\] = {value}",
                                label), label
        if tab == "W1 als Bilder":
            screenshot(page, "weights_de_tiles")
    left = sorted({s for text in texts for s in english_left(text, min_letters=3)})
    assert not left, left
    assert "Kacheln ordnen nach" in texts[1] and "Am stärksten für" in texts[2] and "Histogramme" in texts[3]


def test_the_test_set_page_in_german_with_an_image_up_close(german, app_url):
    page = german
    page.goto(f"{app_url}/testset")
    shows(page, "Der Testdatensatz")
    page.locator(".st-key-testset-reliability .js-plotly-plot").first.wait_for(timeout=WAIT)
    text = seen(page)
    assert re.search(r"\d+,\d\d\u00a0%", text), "the accuracy is not written the German way"
    page.locator(".st-key-testset-gallery [data-testid='stButton'] button").first.click()
    dialog = page.locator("[role='dialog']")
    dialog.get_by_text("Ein Testbild aus der Nähe").wait_for(timeout=WAIT)
    dialog.locator("[data-testid='stMetric']").first.wait_for(timeout=WAIT)
    up_close = seen(page)
    screenshot(page, "testset_de_dialog")
    assert "Testbild Nr." in dialog.inner_text()
    left = sorted(set(english_left(text, min_letters=3)) | set(english_left(up_close, min_letters=3)))
    assert not left, left


def test_the_learn_page_in_german_after_a_tiny_training(german, app_url):
    page = german
    page.goto(f"{app_url}/learn")
    start = page.get_by_role("button", name="Training starten")
    start.wait_for(timeout=WAIT)
    wait_for_app_idle(page, WAIT)
    before = seen(page)
    for label, value in (("Größen der verborgenen Schichten", "8"), ("Epochen", "1")):
        box = page.get_by_label(label, exact=True)
        box.fill(value)
        box.press("Enter")
        wait_for_app_idle(page, WAIT)
    start.click()
    page.get_by_text("Dein Netz").wait_for(timeout=TRAINING_WAIT)  # the hand-over, once the epoch is done
    page.locator("[data-testid='stMetricLabel']").filter(has_text="Testgenauigkeit").wait_for(timeout=WAIT)
    page.locator(".st-key-learn-accuracy .js-plotly-plot").first.wait_for(timeout=WAIT)
    trained = seen(page)
    screenshot(page, "learn_de_trained")
    page.get_by_role("tab", name="Ein Schritt Backpropagation, durchgerechnet").click()
    shows(page, "Gradientenprüfung")
    worked = seen(page)
    left = sorted({s for text in (before, trained, worked) for s in english_left(text, min_letters=3)})
    assert not left, left
    assert "Epoche 1 von 1" in trained and "Kreuzentropie-Verlust" in trained
