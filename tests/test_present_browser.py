"""Presenter mode, for a projector: ?present=1 gives larger type, a closed sidebar and fewer panels, and stays
on through page switches (mnistapp/frame.py, mnistapp/links.py)."""
import re

import pytest

from harness.boxes import set_sidebar, settled_layout_problems
from harness.server import wait_for_app_idle

pytestmark = pytest.mark.browser

LOOK = """() => {
  const shown = (sel) => [...document.querySelectorAll(sel)].filter(e => e.getBoundingClientRect().height > 0).length;
  const p = document.querySelector('[data-testid="stMain"] [data-testid="stMarkdownContainer"] p');
  return {root: parseFloat(getComputedStyle(document.documentElement).fontSize),
          text: p ? parseFloat(getComputedStyle(p).fontSize) : 0,
          sidebar: document.querySelector('[data-testid="stSidebar"]').getAttribute('data-collapsed') === 'false',
          expanders: shown('[data-testid="stMain"] [data-testid="stExpander"]'),
          captions: shown('[data-testid="stMain"] [data-testid="stCaptionContainer"]')};
}"""


def open_page(page, url: str, ready: str) -> dict:
    page.goto(url)
    page.locator(ready).first.wait_for(timeout=60000)
    wait_for_app_idle(page, 60000)
    return page.evaluate(LOOK)


def test_presenter_mode_has_larger_type_fewer_panels_and_survives_a_page_switch(page, app_url):
    ready = '.softmax-bars .bar'
    normal = open_page(page, app_url + "/?source=test&image=3", ready)
    assert normal["sidebar"] and normal["expanders"] > 0 and normal["captions"] > 0
    present = open_page(page, app_url + "/?source=test&image=3&present=1", ready)
    assert present["root"] >= 1.3 * normal["root"] and present["text"] >= 1.3 * normal["text"], (normal, present)
    assert not present["sidebar"] and present["expanders"] == present["captions"] == 0
    assert settled_layout_problems(page) == []

    set_sidebar(page, True)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Test set").first.click()
    page.wait_for_url(re.compile(r"/testset\?.*present=1"), timeout=60000)
    page.locator('[data-testid="stMetric"]').filter(has_text="Accuracy").first.wait_for(timeout=60000)
    wait_for_app_idle(page, 60000)
    switched = page.evaluate(LOOK)
    assert switched["root"] == present["root"] and switched["captions"] == 0
    set_sidebar(page, False)
    assert settled_layout_problems(page) == []

    off = open_page(page, app_url + "/?present=0", 'canvas[data-testid="live-canvas"]')
    assert off["root"] == normal["root"]
