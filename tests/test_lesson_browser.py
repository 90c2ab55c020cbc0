"""The Lesson page in a real browser, as a student uses it: drawing on the canvas and clicking only, each
step's task is seen checked; a reload in the middle keeps the progress; in German no English catalogue
string is left on screen."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import screenshot
from harness.canvas import draw
from harness.german import english_left, words_on_screen
from harness.keep import wait_kept
from harness.server import wait_for_app_idle
from harness.strokes import digit_strokes
from mnistapp.paths import DATA_DIR
from mnistcore import load_mnist

pytestmark = pytest.mark.browser
CANVAS = 'canvas[data-testid="live-canvas"]'
SIZE = 280
WAIT = 60000  # ms: a rerun on a machine shared with other test runs can take seconds


def images_of(digit: int, n: int = 3) -> list[np.ndarray]:
    images, labels = load_mnist("test", DATA_DIR)
    return [images[i] for i in np.flatnonzero(labels == digit)[:n]]


def open_lesson(page, url: str, query: str = "") -> None:
    page.goto(f"{url}/lesson{query}")
    page.locator(CANVAS).or_(page.get_by_role("link", name=re.compile("Learn|Lernen"))).first.wait_for(timeout=WAIT)
    wait_for_app_idle(page, WAIT)


def shows(page, text: str, timeout: int = WAIT) -> None:
    page.get_by_text(text, exact=False).first.wait_for(timeout=timeout)


def showing(page, text: str) -> bool:
    return page.get_by_text(text, exact=False).count() > 0


def draw_on_lesson(page, strokes) -> None:
    """Clear the canvas, then trace `strokes` (points of a 280 px canvas) and wait for the page's answer."""
    page.get_by_role("button", name=re.compile("Clear the drawing|Zeichnung löschen")).click()  # the canvas speaks German too
    wait_for_app_idle(page, WAIT)
    canvas = page.locator(CANVAS)
    canvas.scroll_into_view_if_needed()
    draw(page, canvas.bounding_box(), strokes)
    page.wait_for_timeout(300)
    wait_for_app_idle(page, WAIT)


def pick(page, group: str, option: str) -> None:
    """Click one option of a row of pills or a segmented control, named by its label."""
    page.get_by_role("radiogroup", name=group).get_by_role("radio", name=option, exact=True).click()
    page.wait_for_timeout(200)
    wait_for_app_idle(page, WAIT)


def small_in_a_corner(strokes, scale: float = 0.42, margin: float = 12):
    return [[(margin + x * scale, margin + y * scale) for x, y in stroke] for stroke in strokes]


def next_step(page, button: str = "Next step") -> None:
    """Press Next step (or Back) and wait until the page shows another step's title. A click that lands while
    a rerun replaces the button is lost, so it is pressed again if the title has not changed."""
    wait_for_app_idle(page, WAIT)
    title = page.locator("h2").filter(has_text=re.compile(r"^\d\. ")).first
    before = title.inner_text()
    for _ in range(3):
        page.get_by_role("button", name=button).click()
        try:
            page.wait_for_function("([sel, old]) => [...document.querySelectorAll(sel)].some("
                                   "h => /^\\d\\. /.test(h.innerText) && h.innerText !== old)",
                                   arg=["h2", before], timeout=WAIT // 3)
            break
        except PlaywrightTimeout:
            wait_for_app_idle(page, WAIT)
    wait_for_app_idle(page, WAIT)


def step_done(page, n: int) -> None:
    """The step selector ticks step n."""
    page.get_by_role("radiogroup", name=re.compile("Step|Schritt")).get_by_role(
        "radio", name=f"{n} ✓").wait_for(timeout=WAIT)


def draw_a_digit_it_reads(page, digit: int, done: str) -> None:
    """Step 1 as a student does it: draw, say which digit was meant, redraw until the network reads it."""
    for img in images_of(digit):
        draw_on_lesson(page, digit_strokes(img, SIZE))
        pick(page, "The digit you meant", str(digit))
        if showing(page, done):
            return
    raise AssertionError(f"none of the drawn {digit}s was read right")


def test_a_student_follows_the_whole_lesson_by_drawing_and_clicking(page, app_url):
    open_lesson(page, app_url)

    # 1 Draw a digit it reads
    draw_a_digit_it_reads(page, 3, "Done: the network reads your 3.")
    step_done(page, 1)
    next_step(page)

    # 2 What it sees: small and in a corner, and still read right
    shows(page, "2. What it sees")
    for img in images_of(3):
        draw_on_lesson(page, small_in_a_corner(digit_strokes(img, SIZE)))
        meant = page.get_by_role("radiogroup", name="The digit you meant").locator('[aria-checked="true"]')
        assert meant.count() == 0  # Clear forgot the digit meant: this drawing needs its own
        shows(page, "Not yet: draw your digit small in a corner")
        pick(page, "The digit you meant", "3")
        if showing(page, "Done: small and in a corner"):
            break
    shows(page, "Done: small and in a corner, and it still reads your 3.")
    assert page.get_by_role("img", name="centred in 28 × 28").count() or showing(page, "centred in 28 × 28")
    step_done(page, 2)
    next_step(page)

    # 3 One hidden unit: try the units shown until one is among those that push the answer most
    shows(page, "3. One hidden unit")
    draw_on_lesson(page, digit_strokes(images_of(3)[0], SIZE))
    units = page.get_by_role("radiogroup", name="Your pick").get_by_role("radio")
    names = [units.nth(i).inner_text().strip() for i in range(units.count())]
    assert len(names) == 8, names
    for name in names:
        pick(page, "Your pick", name)
        if showing(page, "Done: unit"):
            break
        assert showing(page, "does not help your")
    shows(page, "Done: unit")
    step_done(page, 3)
    next_step(page)

    # 4 The vote: read the scores and click the runner-up
    shows(page, "4. The vote")
    scores = page.locator("table.lesson-scores tbody tr")
    scores.first.wait_for(timeout=WAIT)
    z = {int(r.split("\t")[0]): float(r.split("\t")[1]) for r in
         (scores.nth(i).inner_text() for i in range(scores.count()))}
    second = sorted(z, key=lambda d: -z[d])[1]
    pick(page, "The runner-up", str(second))
    shows(page, f"Done: {second} comes second")
    step_done(page, 4)
    next_step(page)

    # 5 Where it fails: check test digits until a mistake shows, then fool it with a digit on its side
    shows(page, "5. Where it fails")
    for _ in range(8):
        if showing(page, "Done: you found a test digit it gets wrong."):
            break
        page.get_by_role("button", name="Check", exact=True).first.click()
        wait_for_app_idle(page, WAIT)
    shows(page, "Done: you found a test digit it gets wrong.")
    for digit in (7, 4, 2):
        draw_on_lesson(page, digit_strokes(np.rot90(images_of(digit)[0]), SIZE))
        pick(page, "The digit you meant", str(digit))
        if showing(page, "Done: your drawing fooled it."):
            break
    shows(page, "Done: your drawing fooled it.")
    step_done(page, 5)
    screenshot(page, "lesson_step5")
    next_step(page)

    # 6 Learning: train on the Learn page, come back through the sidebar, see it checked
    shows(page, "6. Learning")
    shows(page, "No training of yours yet.")
    page.get_by_role("link", name="Train a network on the Learn page").click()
    page.get_by_role("button", name="Start training").click(timeout=WAIT)
    page.wait_for_function("() => /Held-out accuracy\\s*9[5-9]/.test(document.body.innerText)", timeout=300000)
    page.get_by_role("link", name="Back to the lesson, step 6").click()
    shows(page, "Done: your network reads", timeout=120000)
    step_done(page, 6)
    shows(page, "You have done every step of the lesson.")
    screenshot(page, "lesson_done")
    assert re.search(r"step=6.*done=1%2C2%2C3%2C4%2C5%2C6|done=1,2,3,4,5,6", page.url), page.url


def test_a_reload_in_the_middle_of_the_lesson_keeps_its_progress(page, app_url):
    open_lesson(page, app_url)
    draw_a_digit_it_reads(page, 3, "Done: the network reads your 3.")
    step_done(page, 1)
    next_step(page)
    shows(page, "2. What it sees")
    page.wait_for_function("() => /step=2/.test(location.search) && /done=1/.test(location.search)", timeout=WAIT)
    page.reload()
    shows(page, "2. What it sees")
    wait_for_app_idle(page, WAIT)
    step_done(page, 1)
    assert page.get_by_role("radiogroup", name="Step").get_by_role("radio", name="2 ✓").count() == 0
    next_step(page, "Back")
    shows(page, "1. Draw a digit it reads")
    step_done(page, 1)


def test_the_plain_lesson_link_resumes_at_the_step_this_browser_reached(page, app_url):
    open_lesson(page, app_url)
    next_step(page)
    next_step(page)
    shows(page, "3. One hidden unit")
    wait_kept(page, lambda meta: (meta.get("x.lesson") or {}).get("value", {}).get("step") == 3)
    open_lesson(page, app_url)  # the plain link, no ?step: a new server session reads the browser's store
    shows(page, "3. One hidden unit")
    assert not showing(page, "1. Draw a digit it reads")
    other = page.context.new_page()  # a new visit of the same browser
    open_lesson(other, app_url)
    shows(other, "3. One hidden unit")
    open_lesson(other, app_url, "?step=2")  # a teacher's link wins over what the browser kept
    shows(other, "2. What it sees")


def open_expander(page, title: str) -> None:
    """Open the expander labelled `title` unless it is open (Streamlit keeps it open from step to step)."""
    details = page.locator("details").filter(has=page.locator("summary", has_text=title)).first
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    page.wait_for_function("(d) => d.open", arg=details.element_handle(), timeout=WAIT)


def test_the_lesson_in_german_leaves_no_english_catalogue_string_on_screen(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE",  # the browser's language
                                  accept_downloads=True)
    page = context.new_page()
    try:
        open_lesson(page, app_url)
        shows(page, "Lektion: Wie ein Netz eine Ziffer liest")
        draw_on_lesson(page, digit_strokes(images_of(3)[0], SIZE))
        pick(page, "Die Ziffer, die du gemeint hast", "3")
        seen = []
        for n in range(1, 7):
            for title in ("Tipp", "Für die Mathematik", "Für die Lehrkraft"):
                open_expander(page, title)
            wait_for_app_idle(page, WAIT)
            page.wait_for_timeout(300)
            seen.append(words_on_screen(page))
            if n == 3:
                screenshot(page, "lesson_de_step3")
            if n < 6:
                next_step(page, "Nächster Schritt")
        assert set(english_left("Next step\nDone: the network reads your 3.\nA Next step")) == {
            "Next step", "Done: the network reads your {d}."}  # the search finds what it looks for
        left = sorted({s for text in seen for s in english_left(text)})
        assert not left, left
        assert all("Schritt" in text for text in seen)
        assert re.search(r"lang=de", page.url), page.url
        with page.expect_download() as download:  # the teacher's handout, in the page's language
            page.get_by_role("button", name=re.compile("Arbeitsblatt herunterladen")).click()
        handout = Path(download.value.path()).read_text(encoding="utf-8")
        assert download.value.suggested_filename == "handout_de.html"
        assert '<html lang="de">' in handout and "6. Lernen" in handout and "Aufgabe" in handout
    finally:
        context.close()


def test_a_teachers_link_opens_the_lesson_at_its_step_in_its_language(page, app_url):
    open_lesson(page, app_url, "?step=3&lang=de")
    shows(page, "3. Ein verborgenes Neuron")
    shows(page, "Zeichne zuerst eine Ziffer.")


def test_a_step_links_into_its_page_with_the_drawing_and_the_sidebar_leads_back(page, app_url):
    open_lesson(page, app_url, "?step=2")
    draw_on_lesson(page, digit_strokes(images_of(3)[0], SIZE))
    page.get_by_role("link", name="See every step of the preprocessing on the Draw page").click()
    page.wait_for_function("() => location.pathname === '/' && /open=steps/.test(location.search)", timeout=WAIT)
    page.locator('[data-testid="stMetric"]').filter(has_text="Prediction").first.wait_for(timeout=WAIT)
    page.wait_for_function(  # the lesson's drawing, read on the Draw page
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m => m.innerText.includes('Prediction')
                 && m.querySelector('[data-testid="stMetricValue"]').innerText.trim() === '3')""", timeout=WAIT)
    page.get_by_role("link", name="Back to the lesson, step 2").click()
    shows(page, "2. What it sees")
    wait_for_app_idle(page, WAIT)
    assert page.locator(CANVAS).count() == 1
    shows(page, "what it sees, 28 × 28")  # the drawing came back with the student
