"""Accessibility in a real browser: axe-core finds no critical or serious WCAG 2.2 A/AA violation on any page
state in light or dark (harness/axe.py), a keyboard alone reaches a Prediction and the live region says it,
and the keyboard meets no Plotly toolbar, a visible focus outline in the sidebar and a described canvas."""
import pytest

from harness.axe import STATES, THEMES, serious_violations
from harness.server import metric_value, wait_for_app_idle
from mnistapp.figures.style import sure as pill
from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistcore import forward, load_mnist, load_params
from mnistcore.preprocess import scale_uint8

pytestmark = pytest.mark.browser

LIVE = '[aria-live="polite"]'
FOCUSED = """() => { const e = document.activeElement;
  return e ? [e.tagName, (e.innerText || e.getAttribute('aria-label') || '').trim(), e.className.baseVal ?? e.className]
           : null; }"""


def new_page(browser, theme: str = "light"):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=theme)
    return context, context.new_page()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("state", list(STATES))
def test_axe_finds_no_critical_or_serious_violation(browser, app_url, state, theme):
    context, page = new_page(browser, theme)
    try:
        STATES[state](page, app_url)
        found = serious_violations(page)
        assert found == [], "\n".join(f"{v['impact']} {v['id']}: {v['help']}: {v['targets'][:5]}" for v in found)
    finally:
        context.close()


def tab_to(page, matches, limit: int = 80) -> list:
    """Press Tab until the focused element satisfies `matches` ([tag, text, class] -> bool); every stop passed."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        stops.append(focused)
        if focused and matches(focused):
            return stops
    raise AssertionError(f"not reached with {limit} Tabs; stops: {stops}")


def spoken(page) -> str:
    return page.locator(LIVE).first.text_content().strip()


def test_the_keyboard_alone_reaches_a_prediction_and_the_live_region_says_it(browser, app_url):
    images, labels = load_mnist("test", DATA_DIR)
    params = load_params(SHIPPED_MODEL)
    probs = forward(params, scale_uint8(images[[0, 1234]])).probs
    context, page = new_page(browser)
    try:
        page.goto(app_url)
        page.locator('[data-testid="stMetric"]').filter(has_text="Prediction").first.wait_for(timeout=90000)
        wait_for_app_idle(page, 90000)
        assert page.locator(LIVE).count() == 1
        says = "([sel, want]) => document.querySelector(sel)?.textContent.trim() === want"
        page.wait_for_function(says, arg=[LIVE, "No prediction yet."], timeout=30000)  # its script fills it
        # the canvas says what it is and names the keyboard's way in
        canvas = page.locator('canvas[data-testid="live-canvas"]')
        assert canvas.get_attribute("role") == "img"
        hint = page.locator(f'#{canvas.get_attribute("aria-describedby")}').inner_text()
        assert "Test image" in hint and "Photo" in hint
        tab_to(page, lambda f: f[0] == "BUTTON" and f[1] == "Draw")  # the source: one tab stop, arrows within
        for _ in range(2):
            page.keyboard.press("ArrowRight")
        assert page.evaluate(FOCUSED)[1] == "Test image"
        page.keyboard.press("Enter")
        wait_for_app_idle(page, 90000)
        want = f"Prediction {probs[0].argmax()}, {pill(probs[0].max())}."  # as the pill rounds it
        page.wait_for_function(says, arg=[LIVE, want], timeout=60000)
        tab_to(page, lambda f: f[0] == "INPUT" and f[1] == "Test image")  # the test image's number
        page.keyboard.press("Control+A")
        page.keyboard.type("1234")
        page.keyboard.press("Enter")
        want = f"Prediction {probs[1].argmax()}, {pill(probs[1].max())}."  # as the pill rounds it
        page.wait_for_function(says, arg=[LIVE, want], timeout=60000)
        assert labels[1234] == probs[1].argmax()  # a test image the network reads right, as the page says
        # the hint under the canvas is its description until the keyboard reaches the canvas's buttons
        keys = page.locator("#live-canvas-keys")
        page.get_by_role("radio", name="Draw").or_(page.get_by_role("button", name="Draw", exact=True)).first.click()
        undo = page.get_by_role("button", name="Undo")
        undo.wait_for(timeout=30000)
        assert keys.bounding_box()["height"] <= 1
        undo.focus()
        assert keys.bounding_box()["height"] > 10
    finally:
        context.close()


def test_the_keyboard_passes_no_plotly_toolbar_and_sees_where_it_is_in_the_sidebar(browser, app_url):
    context, page = new_page(browser)
    try:
        STATES["Weights, Biases and histograms"](page, app_url)
        page.locator(".modebar-btn").first.wait_for(state="attached", timeout=60000)
        assert page.evaluate("() => [...document.querySelectorAll('.modebar-btn')]"
                             ".every(b => b.getAttribute('tabindex') === '-1')")
        stops = tab_to(page, lambda f: ".npy" in f[1], limit=150)  # the first download, after every chart
        assert not any("modebar" in str(f[2]) for f in stops), stops
        # every chart is a figure named by its text alternative, whose visible copy screen readers skip
        charts = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].map(c => {
            const box = c.closest('[class*="st-key-"]');
            return box && [box.getAttribute('role'), box.getAttribute('aria-label'),
                           [...box.querySelectorAll('svg.main-svg')].every(s => s.getAttribute('aria-hidden'))]; })""")
        assert charts and all(c and c[0] == "figure" and c[1] and c[2] for c in charts), charts
        assert page.locator('.chart-alt:not([aria-hidden="true"])').count() == 0

        page.goto(app_url)  # from the top: the sidebar's links come first
        page.locator('[data-testid="stMetric"]').first.wait_for(timeout=90000)
        wait_for_app_idle(page, 90000)
        link = tab_to(page, lambda f: f[0] == "A" and "Weights" in f[1])
        outline = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                                " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }")
        assert outline[0] != "none" and outline[1] >= 2, (link[-1], outline)
    finally:
        context.close()


def test_the_worked_step_s_wide_equations_scroll_with_the_keyboard(browser, app_url):
    context, page = new_page(browser)
    try:
        page.set_viewport_size({"width": 900, "height": 900})  # narrow enough that equations overflow
        STATES["Learn, worked step"](page, app_url)
        page.wait_for_function("() => document.querySelector('.katex-display[tabindex=\"0\"][role=\"region\"]')",
                               timeout=30000)
        regions = page.locator('.katex-display[tabindex="0"]')
        assert regions.count() >= 1
        assert regions.first.get_attribute("aria-label") == "Equation, scrolls sideways"
        assert page.evaluate("() => [...document.querySelectorAll('.katex-display')].filter(e => e.scrollWidth > "
                             "e.clientWidth).every(e => e.getAttribute('tabindex') === '0')")  # every one that scrolls
        regions.first.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => document.activeElement.scrollLeft > 0", timeout=5000)
    finally:
        context.close()


def test_screen_readers_read_each_picture_s_text_once(browser, app_url):
    context, page = new_page(browser)
    try:
        STATES["Draw, Photo"](page, app_url)
        alts = page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMain"] img')].map(i => {
            const cap = i.closest('figure')?.querySelector('figcaption');
            const heard = cap && cap.getAttribute('aria-hidden') !== 'true' ? cap.textContent.trim() : null;
            return [i.getAttribute('alt'), heard]; })""")
        assert len(alts) >= 5
        assert all(alt and alt.strip() for alt, _ in alts), alts
        assert all(alt != heard for alt, heard in alts), alts
        page.wait_for_function("(sel) => document.querySelector(sel)?.textContent.startsWith('Prediction 3,')",
                               arg=LIVE, timeout=30000)  # the line speaks a moment after it changes
        assert spoken(page) == f"Prediction 3, {sure(page)} sure."  # the photo's digit, as the engine reads it
    finally:
        context.close()


def sure(page) -> str:
    """The Prediction metric's pill ("99.7%" of "99.7% sure"): the live region says it as the pill does."""
    return page.locator('[data-testid="stMetricDelta"]').first.inner_text().split(" sure")[0].strip()


def test_the_live_region_says_the_prediction_of_a_drawing(browser, app_url):
    context, page = new_page(browser)
    try:
        STATES["Draw, drawn, every view open"](page, app_url)
        page.wait_for_function("(sel) => document.querySelector(sel)?.textContent.startsWith('Prediction ')",
                               arg=LIVE, timeout=30000)
        assert spoken(page) == f"Prediction {metric_value(page, 'Prediction')}, {sure(page)} sure."
    finally:
        context.close()
