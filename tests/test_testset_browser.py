"""The Test set page in a real browser (chromium against `streamlit run`), and its caching without one.

The browser tests read what a person sees: the Accuracy metric, the gallery's captions after a real
click on a confusion-matrix cell, and the detail dialog of one image. The AppTest test counts the
engine's forward passes while the filters change.
"""
import re
import time

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import mnistcore.evaluate
from conftest import screenshot, wait_until_in_view
from harness.server import metric_value, wait_for_app_idle
from mnistapp.figures.testset import select
from mnistapp.paths import DATA_DIR, ROOT, SHIPPED_MODEL
from mnistapp.session import TESTSET_OPEN, TESTSET_ORDER, TESTSET_OUTCOME, TESTSET_PREDICTED, TESTSET_TRUE
from mnistcore import load_mnist, load_params
from mnistcore.evaluate import evaluate, format_percent

CAPTION = re.compile(r"#(\d+) · label (\d) · predicted (\d) · ([<>]?[\d.]+%)")  # percent(confidence)
GALLERY = ".st-key-testset-gallery [data-testid='stButton'] button"
CELL_XY = """([t, p]) => { const gd = document.querySelector('.st-key-testset-confusion .js-plotly-plot');
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
  return [r.left + xa._offset + xa.l2p(p), r.top + ya._offset + ya.l2p(t)]; }"""


@pytest.fixture(scope="module")
def engine():
    """What mnistcore says about the shipped model on the test set, computed here, not by the app."""
    images, labels = load_mnist("test", DATA_DIR)
    return evaluate(load_params(SHIPPED_MODEL), images, labels)


def open_testset(page, app_url) -> None:
    # The app's root first: until one run of app.py has called st.navigation, Streamlit 1.67 treats
    # the pages/ folder as a legacy multipage app and would run pages/testset.py on its own.
    page.goto(app_url)
    wait_for_app_idle(page, 60000)
    page.goto(f"{app_url}/testset")
    page.wait_for_selector(GALLERY, timeout=60000)
    for label in ("Accuracy", "Mean cross-entropy"):  # a loaded machine may draw one before the other
        page.locator('[data-testid="stMetric"]').filter(has_text=label).first.wait_for(timeout=60000)
    wait_for_app_idle(page, 60000)


def shoot(page, name: str) -> None:
    """A screenshot of the whole page: Streamlit scrolls inside the app, so grow the viewport to fit."""
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    full = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(full + 40, 8000)})
    time.sleep(1)  # let the Plotly charts re-lay themselves out to the new size
    screenshot(page, name)
    page.set_viewport_size({"width": width, "height": height})


def captions(page) -> list[tuple[int, int, int]]:
    """(index, label, prediction) of every image the gallery shows."""
    texts = page.locator(GALLERY).all_inner_texts()
    parsed = [CAPTION.fullmatch(t.strip()) for t in texts]
    assert all(parsed), texts
    return [(int(m[1]), int(m[2]), int(m[3])) for m in parsed]


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_page_shows_the_engines_accuracy_and_loss(browser, app_url, engine, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        open_testset(page, app_url)
        assert metric_value(page, "Accuracy") == format_percent(engine.accuracy)
        assert metric_value(page, "Mean cross-entropy") == f"{engine.mean_loss:.4f}"
        assert "Test set" in page.locator("[data-testid='stSidebar']").inner_text()
        expected = select(engine, outcome="wrong", order="loss")[:24].tolist()
        # a loaded machine may still be sending the gallery's buttons: wait for the page to hold them all
        page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length >= n", arg=[GALLERY, len(expected)],
                               timeout=30000)
        shown = captions(page)
        assert 0 < len(shown) <= 24, "the gallery pages its images"
        assert [i for i, _, _ in shown] == expected
        shoot(page, f"testset_{width}")
    finally:
        context.close()


@pytest.mark.browser
def test_clicking_a_confusion_cell_shows_only_that_cells_images(page, app_url, engine):
    off = np.where(np.eye(10, dtype=bool), 0, engine.confusion)
    few = np.argwhere((off >= 1) & (off <= 24))
    t, p = (int(v) for v in few[np.argmax(off[tuple(few.T)])])  # the biggest mistake that fits on one page
    assert off[t, p] >= 3, "the shipped model should make some mistake at least three times"
    open_testset(page, app_url)
    page.locator(".st-key-testset-confusion").scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('.st-key-testset-confusion .js-plotly-plot')?._fullLayout")
    x, y = page.evaluate(CELL_XY, [t, p])
    page.mouse.click(x, y)
    page.wait_for_function(f"() => document.body.innerText.includes('{engine.confusion[t, p]} images match')",
                           timeout=30000)
    wait_for_app_idle(page)
    wait_until_in_view(page, ".st-key-testset-gallery_top")  # the click's result, below the fold, comes into view
    shown = captions(page)
    assert len(shown) == engine.confusion[t, p]
    assert all((label, predicted) == (t, p) for _, label, predicted in shown), shown
    assert sorted(i for i, _, _ in shown) == sorted(select(engine, true=t, predicted=p).tolist())
    shoot(page, "testset_confusion_cell")


@pytest.mark.browser
def test_an_image_opens_a_detail_view_with_its_loss_and_the_layer_views(page, app_url, engine):
    open_testset(page, app_url)
    first = page.locator(GALLERY).first
    i, label, predicted = captions(page)[0]
    first.click()
    dialog = page.locator("[role='dialog']")
    dialog.locator("[data-testid='stMetric']").first.wait_for(timeout=30000)
    wait_for_app_idle(page)
    assert metric_value(page, f"Loss −log y[{label}]") == f"{engine.losses[i]:.3f}"
    assert metric_value(page, "Prediction") == str(predicted)
    assert f"test image #{i}" in dialog.inner_text()
    dialog.get_by_text("Hidden layer 1").first.wait_for(timeout=30000)  # the Draw page's layer views, which
    assert "Hidden layer 1" in dialog.inner_text()  # can appear after the app reports idle
    assert dialog.locator(".softmax-bars .bar").count() == 10  # the softmax bars, HTML (mnistapp/figures/bars.py)
    assert dialog.locator(".js-plotly-plot").count() == 0      # the hidden layer is a picture
    assert dialog.get_by_role("img").count() >= 2              # the 28x28 input and the hidden layer
    # the interactive hidden grid is built only when its expander is opened
    dialog.get_by_text("Hover the units of layer 1").click()
    dialog.locator(".js-plotly-plot").first.wait_for(timeout=30000)
    assert dialog.locator(".js-plotly-plot").count() == 1
    time.sleep(1)
    screenshot(page, "testset_detail")


def test_switching_filters_reuses_the_evaluation_instead_of_rerunning_the_network(monkeypatch):
    calls = []
    real_forward = mnistcore.evaluate.forward
    monkeypatch.setattr(mnistcore.evaluate, "forward", lambda params, x: calls.append(len(x)) or real_forward(params, x))
    st.cache_data.clear()  # a fresh cache, as on a new server
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/testset.py")
    at.run()
    assert not at.exception, at.exception
    assert sum(calls) == 10_000, "the network runs over the whole test set once (in batches)"
    n_calls = len(calls)
    for key, value in [(TESTSET_TRUE, 4), (TESTSET_PREDICTED, 9), (TESTSET_OUTCOME, "all"),
                       (TESTSET_ORDER, "index"), (TESTSET_TRUE, 7)]:
        at.selectbox(key=key).set_value(value)
        at.run()
        assert not at.exception, at.exception
    assert len(calls) == n_calls  # switching the filters ran nothing more
    shown = [CAPTION.fullmatch(b.label) for b in at.button if b.key and b.key.startswith(TESTSET_OPEN)]
    assert shown and all(m and (m[2], m[3]) == ("7", "9") for m in shown)
