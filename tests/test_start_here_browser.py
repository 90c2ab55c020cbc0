"""The Draw page's "Start here" in a real browser: a first visit shows it, "Got it" closes it, a reload and a
new visit keep it closed (the browser's store), the "Start here" button opens it again; on a phone it moves
neither the canvas nor the Prediction, and comes within the first two screens."""
from __future__ import annotations

import pytest

from harness.keep import wait_kept
from harness.server import wait_for_app_idle

pytestmark = pytest.mark.browser
WAIT = 60000  # ms: a rerun on a machine shared with other test runs can take seconds
INTRO = "Draw a digit, 0 to 9, in the black box."
PHONE = {"width": 390, "height": 844}
PREDICTION_TOP = """() => { for (const m of document.querySelectorAll('[data-testid="stMetric"]'))
  if (m.innerText.startsWith('Prediction')) return m.getBoundingClientRect().top; }"""

TO_TOP = """() => { document.querySelector('[data-testid="stMain"]').scrollTo(0, 0); window.scrollTo(0, 0); }"""


def open_draw(page, url: str) -> None:
    page.goto(url)
    page.locator('[data-testid="stMetric"]').filter(has_text="Prediction").first.wait_for(timeout=WAIT)
    wait_for_app_idle(page, WAIT)


def reopen_button(page):
    return page.get_by_role("button", name="Start here", exact=True)


def test_start_here_shows_once_closes_for_good_and_opens_again(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        open_draw(page, app_url)
        page.get_by_text(INTRO).wait_for(timeout=WAIT)
        assert reopen_button(page).count() == 0
        page.get_by_role("button", name="Got it").click()
        reopen_button(page).wait_for(timeout=WAIT)
        assert page.get_by_text(INTRO).count() == 0
        wait_kept(page, lambda meta: (meta.get("x.start_here") or {}).get("value") is True)

        page.reload()
        open_draw(page, app_url)
        reopen_button(page).wait_for(timeout=WAIT)  # a new server session, told by the browser's store
        assert page.get_by_text(INTRO).count() == 0
        other = context.new_page()  # a new visit of the same browser
        open_draw(other, app_url)
        reopen_button(other).wait_for(timeout=WAIT)
        assert other.get_by_text(INTRO).count() == 0

        reopen_button(other).click()
        other.get_by_text(INTRO).wait_for(timeout=WAIT)
        assert reopen_button(other).count() == 0
    finally:
        context.close()


def test_without_storage_it_closes_for_the_session(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script("Object.defineProperty(window, 'indexedDB', "
                            "{get() { throw new DOMException('no', 'SecurityError'); }});")
    page = context.new_page()
    try:
        open_draw(page, app_url)
        page.get_by_text(INTRO).wait_for(timeout=WAIT)
        page.get_by_role("button", name="Got it").click()
        reopen_button(page).wait_for(timeout=WAIT)
        page.get_by_role("link", name="Weights").first.click()  # another page and back, in the same session
        page.get_by_role("heading", name="Weights").wait_for(timeout=WAIT)
        page.get_by_role("link", name="Draw").first.click()
        reopen_button(page).wait_for(timeout=WAIT)
        assert page.get_by_text(INTRO).count() == 0
    finally:
        context.close()


def test_on_a_phone_the_canvas_and_the_prediction_do_not_move(browser, app_url):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)
    page = context.new_page()
    try:
        open_draw(page, app_url)
        page.get_by_text(INTRO).wait_for(timeout=WAIT)
        with_intro = page.evaluate(PREDICTION_TOP)
        intro = page.get_by_text(INTRO).bounding_box()
        bars = page.locator(".softmax-bars").first.bounding_box()
        page.get_by_role("button", name="Got it").click()
        reopen_button(page).wait_for(timeout=WAIT)
        wait_for_app_idle(page, WAIT)
        page.evaluate(TO_TOP)  # the click scrolled the page to the button
        without = page.evaluate(PREDICTION_TOP)
        print(f"390 px: the Prediction's top at {with_intro:.0f} px with Start here open, {without:.0f} px closed; "
              f"the introduction's first step at {intro['y']:.0f} px")
        assert with_intro == pytest.approx(without, abs=1)  # it comes after the Prediction and its bars
        assert bars["y"] < intro["y"] < 2 * PHONE["height"]  # on the second screen at worst
    finally:
        context.close()
