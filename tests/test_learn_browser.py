"""The Learn page in a real browser: a session trains its own network while another keeps the shipped
one; pause holds within a second; the trained network downloads as a .pth torch reads and uploads back
to the same predictions; the server runs at most its configured number of trainings."""
from __future__ import annotations

import os
import re
import time

import numpy as np
import pytest
import torch
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from conftest import screenshot
from harness.server import free_port, metric_value, start_streamlit, stop, wait_for_app_idle
from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistapp.worked import FIRST_IMAGE, tex_number
from mnistcore import forward, load_mnist, load_params
from mnistcore.evaluate import format_percent
from mnistcore.explain.backprop import worked_step
from mnistcore.preprocess import scale_uint8

# The Test set page, with or without a query: once there, it writes its filters into the URL (share links),
# which a glob on the bare path would miss if that happens before the wait begins.
TESTSET_URL = re.compile(r"/testset(\?|$)")

pytestmark = pytest.mark.browser



def pause(page) -> None:
    """Press Pause on a page that redraws itself twice a second while it trains. A pointer click waits for
    the button to hold still, and a redraw can swallow it; a click event dispatched on the element acts at
    once, as a visitor's click between two redraws would. Until Continue shows, try again."""
    pause_button, go_on = page.get_by_role("button", name="Pause"), page.get_by_role("button", name="Continue")
    for attempt in range(5):
        if go_on.count():
            return
        pause_button.dispatch_event("click", timeout=30000)
        try:
            go_on.wait_for(timeout=20000)  # a whole-page rerun on a loaded machine takes seconds
            return
        except PlaywrightTimeout:
            if attempt == 4:
                raise


def new_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    return context, context.new_page()


def open_learn(page, url: str) -> None:
    page.goto(f"{url}/learn")
    page.get_by_role("button", name="Start training").wait_for(timeout=60000)
    wait_for_app_idle(page)


def small_settings(page, hidden: str = "32", epochs: int = 1) -> None:
    """A 784-32-10 network for one epoch: seconds instead of minutes on a busy machine."""
    box = page.get_by_label("Hidden sizes", exact=True)
    box.fill(hidden)
    box.press("Enter")
    wait_for_app_idle(page)
    epochs_box = page.get_by_label("Epochs", exact=True)
    epochs_box.fill(str(epochs))
    epochs_box.press("Enter")
    wait_for_app_idle(page)


def step_count(page) -> int | None:
    text = page.locator('[data-testid="stProgress"]').first.text_content()  # its tab may be hidden
    found = re.search(r"step (\d+) of", text)
    return int(found.group(1)) if found else None


def rerun_and_count(page, image: int) -> int:
    """Rerun the page (by picking another test image in the worked step) and read the step count."""
    page.get_by_role("tab", name="One step of backprop, worked").click()
    box = page.get_by_label("Test image", exact=True)
    box.fill(str(image))
    box.press("Enter")
    page.wait_for_timeout(300)
    wait_for_app_idle(page)
    return step_count(page)


def worked_loss(page) -> str:
    """The worked step's L, read from KaTeX's copy of the LaTeX source."""
    page.get_by_role("tab", name="One step of backprop, worked").click()
    page.locator("annotation").filter(has_text=r"L = -\log").first.wait_for(state="attached", timeout=30000)
    tex = page.locator("annotation").filter(has_text=r"L = -\log").first.text_content()
    return tex.rsplit("=", 1)[1].strip()


def shipped_accuracy() -> str:
    images, labels = load_mnist("test", DATA_DIR)
    return format_percent((forward(load_params(SHIPPED_MODEL), scale_uint8(images)).logits.argmax(1) == labels).mean())


def download(page, ext: str, path):
    with page.expect_download() as download:
        page.get_by_role("button", name=f".{ext}").click()
    download.value.save_as(path)
    return path


def accuracy_on_test_set(page) -> str:
    """Open the Test set page from the sidebar (goto would open a new session) and read its accuracy; the
    page's text if it never shows one."""
    page.locator('[data-testid="stSidebarNav"] a', has_text="Test set").click()
    page.wait_for_url(TESTSET_URL, timeout=30000)
    try:
        page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stMetricLabel"]')]
                                    .some(l => l.innerText.trim() === 'Accuracy')""", timeout=120000)
    except PlaywrightTimeout:
        raise PlaywrightTimeout(f"no accuracy on the Test set page, which showed: {page.inner_text('body')[:2000]}") from None
    wait_for_app_idle(page, 120000)
    return metric_value(page, "Accuracy")


def test_one_session_trains_while_the_other_keeps_the_shipped_model(browser, app_url, tmp_path):
    ctx_a, a = new_page(browser)
    ctx_b, b = new_page(browser)
    try:
        open_learn(a, app_url)
        small_settings(a, hidden="64", epochs=30)  # still running when Pause is pressed, however fast the machine
        a.get_by_role("button", name="Start training").click()
        a.wait_for_function("() => /step [1-9]\\d* of/.test(document.body.innerText)", timeout=60000)

        # Pause holds within a second: the thread stops before its next batch. A paused page does not
        # poll, so a change of the worked step's image reruns it to show the latest step count.
        pause(a)
        a.get_by_text("Paused.").wait_for(timeout=30000)
        time.sleep(1.0)
        paused_at = rerun_and_count(a, 1)
        time.sleep(1.5)
        assert rerun_and_count(a, 2) == paused_at, "steps went on during the pause"
        screenshot(a, "learn_paused")
        a.get_by_role("tab", name="Train from scratch").click()

        # Meanwhile the other session uses the shipped model: the server's cached copy gives what the file gives.
        open_learn(b, app_url)
        shipped = load_params(SHIPPED_MODEL)
        images, labels = load_mnist("test", DATA_DIR)
        i = FIRST_IMAGE
        expected = tex_number(worked_step(shipped, scale_uint8(images[i:i + 1]), int(labels[i]), 0.01).L, 4)
        assert worked_loss(b) == expected
        assert "Shipped model" in b.locator('[data-testid="stSidebar"]').inner_text()

        # The paused network's .pth: torch reads it with weights_only=True into nn.Linear layers ...
        path = download(a, "pth", tmp_path / "learned.pth")
        state = torch.load(path, weights_only=True)
        assert list(state) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
        assert tuple(state["fc1.weight"].shape) == (64, 784)
        model = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
        model.load_state_dict({k.replace("fc1", "0").replace("fc2", "2"): v for k, v in state.items()})
        x = scale_uint8(images)
        ours = forward(load_params(path), x).logits.argmax(1)
        np.testing.assert_array_equal(model(torch.from_numpy(x)).argmax(1).numpy(), ours)
        accuracy = format_percent((ours == labels).mean())
        assert accuracy != shipped_accuracy()  # else the Test set page could not tell the two apart

        # ... and uploaded back it gives the same predictions: the Test set page's accuracy. The uploader
        # lists the file's name as soon as the browser has it, before the server has read it: wait for the
        # sidebar's model status to name the file (or for a refusal), not for the name alone.
        sidebar = a.locator('[data-testid="stSidebar"]')
        sidebar.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
        sidebar.get_by_text("Your model", exact=True).or_(sidebar.locator('[data-testid="stAlert"]')).first.wait_for(timeout=60000)
        assert "Your model learned.pth · 784–64–10" in sidebar.inner_text(), sidebar.inner_text()
        assert accuracy_on_test_set(a) == accuracy

        # The other session still has the shipped model, and the server's cached copy still gives, on all
        # 10,000 test images, what the file gives.
        b.reload()
        assert worked_loss(b) == expected
        assert "Shipped model" in b.locator('[data-testid="stSidebar"]').inner_text()
        assert accuracy_on_test_set(b) == shipped_accuracy()
    finally:
        ctx_a.close()
        ctx_b.close()


def test_a_finished_run_shows_its_test_accuracy_downloads_three_ways_and_becomes_the_sessions_model(
        browser, app_url, tmp_path):
    ctx, page = new_page(browser)
    try:
        open_learn(page, app_url)
        small_settings(page, hidden="16", epochs=1)
        page.get_by_role("button", name="Start training").click()
        page.get_by_text("Test accuracy").wait_for(timeout=300000)
        wait_for_app_idle(page)
        screenshot(page, "learn_done")
        files = {ext: download(page, ext, tmp_path / f"learned.{ext}") for ext in ("pth", "safetensors", "npz")}
        loaded = {ext: load_params(f) for ext, f in files.items()}
        for ext in ("safetensors", "npz"):
            assert loaded[ext].digest == loaded["pth"].digest, ext  # the same arrays, bit for bit
        images, labels = load_mnist("test", DATA_DIR)
        right = forward(loaded["pth"], scale_uint8(images)).logits.argmax(1) == labels
        assert metric_value(page, "Test accuracy") == format_percent(right.mean())  # what the engine measured

        page.get_by_role("button", name="Use it on every page").click(timeout=30000)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Your model", exact=True).wait_for(timeout=30000)
        assert "784–16–10" in sidebar.inner_text() and "trained here" in sidebar.inner_text()
        screenshot(page, "learn_use_it")
        sidebar.get_by_role("button", name="Back to the shipped model").click()
        sidebar.get_by_text("Shipped model", exact=True).wait_for(timeout=30000)
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def one_slot_url():
    """A server of its own that runs one training at a time (the environment variable is read at start)."""
    port, old = free_port(), os.environ.get("LEARN_MAX_TRAININGS")
    os.environ["LEARN_MAX_TRAININGS"] = "1"
    try:
        proc = start_streamlit(port)
    finally:
        os.environ.pop("LEARN_MAX_TRAININGS")
        if old is not None:
            os.environ["LEARN_MAX_TRAININGS"] = old
    yield f"http://127.0.0.1:{port}"
    stop(proc)


def test_trainings_that_wait_show_their_place_in_the_queue_and_a_closed_session_frees_its_slot(browser, one_slot_url):
    contexts, (a, b, c) = zip(*(new_page(browser) for _ in range(3)))
    try:
        for page in (a, b, c):
            open_learn(page, one_slot_url)
            small_settings(page, hidden="64", epochs=30)  # still running when the others ask for the slot
        a.get_by_role("button", name="Start training").click()
        a.wait_for_function("() => /step [1-9]\\d* of/.test(document.body.innerText)", timeout=60000)
        b.get_by_role("button", name="Start training").click()
        b.get_by_text("Waiting: yours is next.").wait_for(timeout=30000)
        c.get_by_role("button", name="Start training").click()
        c.get_by_text("Waiting: 1 training ahead of yours.").wait_for(timeout=30000)
        assert "at most 1 training at once" in c.locator('[data-testid="stAlert"]').filter(has_text="Waiting").inner_text()
        contexts[0].close()  # the session goes away: its training stops and frees the slot for the next in line
        b.wait_for_function("() => /step [1-9]\\d* of/.test(document.body.innerText)", timeout=60000)
        assert b.get_by_text("Waiting:").count() == 0
        c.get_by_text("Waiting: yours is next.").wait_for(timeout=30000)
    finally:
        for context in contexts[1:]:
            context.close()


def test_the_worked_step_shows_every_quantity_and_a_gradient_check_that_agrees(page, app_url):
    open_learn(page, app_url)
    worked_loss(page)
    tex = " ".join(page.locator("annotation").all_text_contents())
    for quantity in ("z_1 = x W_1 + b_1", r"\mathrm{ReLU}(z_1)", "z_2 = a_1 W_2 + b_2", r"\mathrm{softmax}(z_2)",
                     r"y - \mathrm{onehot}(3)", r"a_1^\top", r"W_2^\top", r"\mathbb{1}[z_1 > 0]", r"x^\top",
                     r"W \leftarrow W - \eta"):
        assert quantity in tex, quantity
    assert r"(1\times784)(784\times512)" in tex  # shapes beside the equations
    table = page.locator('[data-testid="stTable"]')
    table.wait_for(timeout=30000)
    rows = table.locator("tbody tr")
    assert rows.count() == 4
    for k in range(4):
        assert float(rows.nth(k).locator("td").last.inner_text()) < 1e-4
    screenshot(page, "learn_worked")
    # every formula fits its column at 1280 px: none runs off the right edge, cut off
    too_wide = page.evaluate("""() => [...document.querySelectorAll('.katex-display')]
        .filter(e => e.scrollWidth > e.clientWidth + 4)
        .map(e => [e.scrollWidth, e.clientWidth, e.querySelector("annotation").textContent.slice(0, 60)])""")
    assert not too_wide, too_wide


def test_teaching_a_drawing_on_the_draw_page_makes_a_session_model_that_reads_it(page, app_url):
    from harness.canvas import draw, open_draw_page, settle
    from harness.strokes import digit_strokes

    images, labels = load_mnist("test", DATA_DIR)
    canvas, box = open_draw_page(page, app_url)
    draw(page, box, digit_strokes(images[FIRST_IMAGE], 280))
    settle(page)  # the pen-up's rerun, and any send still queued, before the expander is touched
    page.wait_for_function("() => document.body.innerText.includes('Wrong? Teach it your handwriting')", timeout=30000)
    settle(page)
    label = int(labels[FIRST_IMAGE])
    page.get_by_text("Wrong? Teach it your handwriting").click()
    teach = page.locator('[data-testid="stExpander"]').filter(has_text="Teach it your handwriting")  # among others
    choice = teach.get_by_role("combobox", name="It was")
    for _ in range(5):  # a rerun that lands while the list is open closes it: choose again until it holds
        choice.click()
        try:
            page.get_by_role("option", name=str(label), exact=True).click(timeout=10000)
        except PlaywrightTimeout:  # the list closed before the click
            page.keyboard.press("Escape")
        wait_for_app_idle(page)
        if choice.input_value() == str(label):
            break
    expect(choice).to_have_value(str(label))
    page.get_by_role("button", name="Teach it").click()
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text(f"fine-tuned on your {label}").wait_for(timeout=60000)
    wait_for_app_idle(page)
    page.wait_for_function("() => document.body.innerText.includes('dL/dx before teaching')", timeout=30000)
    assert metric_value(page, "Prediction") == str(label)
    # before, after; Plotly charts show once plotly.js has loaded, which no chart on the Draw page forces
    expect(teach.locator('[data-testid="stPlotlyChart"]')).to_have_count(2, timeout=30000)
    screenshot(page, "draw_teach")
    sidebar.get_by_role("button", name="Back to the shipped model").click()
    expect(sidebar.get_by_role("button", name="Back to the shipped model")).to_have_count(0, timeout=30000)
    sidebar.get_by_text("Shipped model", exact=True).wait_for(timeout=30000)
