"""A visit to a page is one entry in the browser's history: one press of Back returns to the previous page,
though each page writes its selections into the URL as it opens (mnistapp/links.py)."""
import re

import pytest

from harness.server import wait_for_app_idle

pytestmark = pytest.mark.browser


def visit(page, name: str, path: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text=name).first.click()
    page.wait_for_url(re.compile(path), timeout=60000)
    wait_for_app_idle(page, 60000)


def test_one_press_of_back_returns_to_the_previous_page(page, app_url):
    page.goto(app_url + "/")
    page.locator('canvas[data-testid="live-canvas"]').wait_for(timeout=60000)
    wait_for_app_idle(page, 60000)
    start = page.evaluate("history.length")
    visit(page, "Test set", r"/testset\?.*answers=wrong")  # a page whose link has selections
    page.locator('[data-testid="stMetric"]').filter(has_text="Accuracy").first.wait_for(timeout=60000)
    visit(page, "Weights", r"/weights\?.*tab=")
    visit(page, "Learn", r"/learn")
    assert page.evaluate("history.length") == start + 3  # one entry per visit, selections included
    page.go_back()
    page.wait_for_url(re.compile(r"/weights\?.*tab="), timeout=30000)
    page.go_back()
    page.wait_for_url(re.compile(r"/testset\?.*answers=wrong"), timeout=30000)
    page.locator('[data-testid="stMetric"]').filter(has_text="Accuracy").first.wait_for(timeout=60000)
