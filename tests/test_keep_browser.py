"""The visitor's work kept in their own browser (mnistapp/keep.py): the drawing and their models come back after a
reload and a server restart, never in another browser; what was edited by hand is refused in plain words; a
browser that cannot store keeps the app working with one notice."""
import base64
import io
import os
import re
import zipfile

import numpy as np
import pytest
import torch

from conftest import screenshot
from harness.canvas import PREDICTION_IS, draw, open_draw_page, settle
from harness.keep import WRITE, kept, sidebar_text, wait_kept, wait_sidebar
from harness.server import free_port, metric_value, start_streamlit, stop, wait_for_app_idle
from harness.strokes import digit_strokes
from mnistapp.paths import DATA_DIR
from mnistcore import load_mnist

pytestmark = pytest.mark.browser

class Server:
    """`streamlit run app.py` on one port that a test can stop and start again (the browser's store is per origin:
    scheme, host and port)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = start_streamlit(self.port)

    def restart(self):
        stop(self.proc)
        self.proc = start_streamlit(self.port)


@pytest.fixture(scope="module")
def server():
    s = Server()
    yield s
    stop(s.proc)


def new_page(browser, init_script: str | None = None):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if init_script:
        context.add_init_script(init_script)
    return context, context.new_page()


def tiny_model(tmp_path, hidden=32, seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
    path = tmp_path / f"tiny{hidden}.pth"
    torch.save(model.state_dict(), path)
    return path


def upload(page, url, path):
    page.goto(url)
    page.locator('[data-testid="stFileUploader"]').first.wait_for(timeout=60000)
    wait_for_app_idle(page, 60000)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    page.locator('[data-testid="stSidebar"]').get_by_text("Your model", exact=True).wait_for(timeout=60000)
    wait_for_app_idle(page, 60000)  # its test accuracy comes later in the same run
    wait_kept(page, lambda meta: (meta.get("current") or {}).get("id"))


def test_a_drawing_and_its_prediction_come_back_after_a_reload(browser, server):
    context, page = new_page(browser)
    try:
        images, _ = load_mnist("test", DATA_DIR)
        canvas, box = open_draw_page(page, server.url)
        draw(page, box, digit_strokes(images[3], 280))
        settle(page)
        page.wait_for_function("() => document.body.innerText.includes('sure')", timeout=30000)
        drawn = metric_value(page, "Prediction")
        assert drawn not in (None, "–")
        wait_kept(page, lambda meta: (meta.get("drawing") or {}).get("strokes"))
        before = canvas.evaluate("(c) => c.toDataURL('image/png')")

        page.reload()
        page.wait_for_function(PREDICTION_IS, arg=drawn, timeout=60000)
        wait_for_app_idle(page)
        canvas = page.locator('canvas[data-testid="live-canvas"]').first
        assert canvas.evaluate("(c) => c.toDataURL('image/png')") == before  # the same strokes, drawn again
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, "keep_drawing_reloaded")
    finally:
        context.close()


def test_an_uploaded_model_is_back_and_in_use_after_a_server_restart_and_nowhere_else(browser, server, tmp_path):
    a, page_a = new_page(browser)
    b, page_b = new_page(browser)
    try:
        upload(page_a, server.url, tiny_model(tmp_path))
        accuracy = [line for line in sidebar_text(page_a).splitlines() if "test images" in line]
        page_b.goto(server.url)
        wait_sidebar(page_b, "Shipped model")

        server.restart()
        page_a.reload()
        # the model line, not the kept list's "Use tiny32.pth", which shows before the restore
        page_a.locator('[data-testid="stSidebar"]').get_by_text(accuracy[0], exact=True).wait_for(timeout=60000)
        wait_for_app_idle(page_a, 60000)
        text = sidebar_text(page_a)
        assert "784–32–10" in text and [line for line in text.splitlines() if "test images" in line] == accuracy
        page_b.reload()
        wait_sidebar(page_b, "Shipped model")
        wait_for_app_idle(page_b, 60000)
        page_b.wait_for_timeout(1000)  # the store's answer has come and gone: still the shipped model
        assert "tiny32.pth" not in sidebar_text(page_b) and "Your model" not in sidebar_text(page_b)
        assert not any(k.startswith("model.") for k in kept(page_b))
        screenshot(page_a, "keep_model_after_restart")
    finally:
        a.close()
        b.close()


class Hostile:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def npz_declaring_a_huge_array() -> bytes:
    """An .npz whose W1 says it is 784 x 100,000,000 floats and holds 40 bytes."""
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, {"descr": "<f4", "fortran_order": False, "shape": (784, 10**8)})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("W1.npy", head.getvalue() + bytes(40))
        zf.writestr("b1.npy", head.getvalue() + bytes(40))
    return out.getvalue()


def tampered(kind: str, tmp_path) -> bytes:
    if kind == "pickle":
        path = tmp_path / "hostile.pth"
        torch.save({"0.weight": Hostile(tmp_path / "marker")}, path)
        return path.read_bytes()
    if kind == "huge array":
        return npz_declaring_a_huge_array()
    return np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes()


@pytest.mark.parametrize("kind", ["pickle", "huge array", "garbage"])
def test_kept_data_edited_by_hand_is_refused_with_a_message_and_the_app_goes_on(browser, server, tmp_path, kind):
    context, page = new_page(browser)
    try:
        upload(page, server.url, tiny_model(tmp_path))
        meta = kept(page)
        name = next(k for k in meta if k.startswith("model."))
        data = tampered(kind, tmp_path)
        page.evaluate(WRITE, ["blob", meta[name]["id"], base64.b64encode(data).decode()])
        page.evaluate(WRITE, ["meta", name, {**meta[name], "size": len(data)}])
        page.evaluate(WRITE, ["meta", "drawing", {"strokes": "x" * 1000, "png": 5}])

        page.reload()
        wait_sidebar(page, "could not be read back")
        wait_sidebar(page, "not in the shape the app keeps it")
        wait_for_app_idle(page, 60000)
        assert "Shipped model" in sidebar_text(page) and "tiny32.pth" in sidebar_text(page)  # named in the message
        assert not (tmp_path / "marker").exists()
        assert page.locator('[data-testid="stException"]').count() == 0
        # deleted in the browser too (the Draw page then keeps its own drawing, empty)
        wait_kept(page, lambda meta: name not in meta and isinstance((meta.get("drawing") or {}).get("strokes", []), list))

        images, _ = load_mnist("test", DATA_DIR)  # the app goes on: a drawing is read
        canvas, box = open_draw_page(page, server.url)
        draw(page, box, digit_strokes(images[0], 280))
        settle(page)
        page.wait_for_function("() => document.body.innerText.includes('sure')", timeout=30000)
        screenshot(page, f"keep_tampered_{kind.replace(' ', '_')}")
    finally:
        context.close()


# Each makes the browser's storage fail a different way, before the page's own scripts run.
FAULTS = {
    "blocked": """Object.defineProperty(window, 'indexedDB', {get() { throw new DOMException('no', 'SecurityError'); }});
                  Object.defineProperty(window, 'localStorage', {get() { throw new DOMException('no', 'SecurityError'); }});""",
    "full": """IDBObjectStore.prototype.put = function () { throw new DOMException('full', 'QuotaExceededError'); };""",
    "read-only": """IDBObjectStore.prototype.put = function () { throw new DOMException('ro', 'ReadOnlyError'); };""",
    "corrupt": """IDBFactory.prototype.open = function () {
                    const r = {}; setTimeout(() => { r.error = new DOMException('bad', 'UnknownError');
                    r.onerror && r.onerror(); }); return r; };""",
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_browser_that_cannot_keep_shows_one_notice_and_the_app_works(browser, server, tmp_path, fault):
    context, page = new_page(browser, FAULTS[fault])
    try:
        images, _ = load_mnist("test", DATA_DIR)
        canvas, box = open_draw_page(page, server.url)
        draw(page, box, digit_strokes(images[0], 280))
        settle(page)
        page.wait_for_function("() => document.body.innerText.includes('sure')", timeout=30000)
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(tiny_model(tmp_path)))
        wait_sidebar(page, "Your model")
        wait_sidebar(page, "Your work is not being kept")
        wait_for_app_idle(page, 60000)
        notices = page.locator('[data-testid="stAlert"]').filter(has_text="not being kept")
        assert notices.count() == 1
        assert page.locator('[data-testid="stException"]').count() == 0
        assert metric_value(page, "Prediction") not in (None, "–")  # the drawing is still read, by the new model
        screenshot(page, f"keep_fault_{fault}")
    finally:
        context.close()


def small_training(page, url, hidden: str, epochs: int, batch: int | None = None) -> None:
    """The Learn page with a 784-`hidden`-10 network for `epochs` epochs, started."""
    page.goto(f"{url}/learn")
    page.get_by_role("button", name="Start training").wait_for(timeout=60000)
    wait_for_app_idle(page)
    for label, value in (("Hidden sizes", hidden), ("Epochs", str(epochs))):
        box = page.get_by_label(label, exact=True)
        box.fill(value)
        box.press("Enter")
        wait_for_app_idle(page)
    if batch is not None:
        page.get_by_label("Batch size").click()
        page.get_by_role("option", name=str(batch), exact=True).click()
        wait_for_app_idle(page)
    page.get_by_role("button", name="Start training").click()


def accuracy_line(page) -> str:
    return next(line for line in sidebar_text(page).splitlines() if "test images" in line)


def test_a_network_trained_on_learn_is_the_sessions_model_again_after_a_reload(browser, server):
    context, page = new_page(browser)
    try:
        small_training(page, server.url, "16", 1)
        page.get_by_text("Test accuracy").wait_for(timeout=300000)
        wait_for_app_idle(page)
        page.get_by_role("button", name="Use it on every page").click(timeout=30000)
        wait_sidebar(page, "trained here")
        wait_for_app_idle(page)
        accuracy = accuracy_line(page)
        wait_kept(page, lambda meta: any(k.startswith("model.") for k in meta) and "x.training" in meta)

        page.reload()
        # the model line, not the kept list's "Use trained here" offer, which shows before the restore
        page.locator('[data-testid="stSidebar"]').get_by_text(accuracy, exact=True).wait_for(timeout=60000)
        wait_for_app_idle(page, 60000)
        assert "784–16–10" in sidebar_text(page) and accuracy_line(page) == accuracy  # the same network
        screenshot(page, "keep_trained_reloaded")
    finally:
        context.close()


def test_a_training_the_server_stopped_says_so_and_offers_its_last_epochs_network(browser, tmp_path):
    own = Server()  # restarted mid-training: a server of its own, so no other test's session is cut off
    context, page = new_page(browser)
    try:
        small_training(page, own.url, "16", 30, batch=16)  # ~3,400 steps an epoch: minutes, not seconds
        wait_kept(page, lambda meta: (meta.get("x.training") or {}).get("value", {}).get("epoch", 0) >= 1,
                  timeout_s=300)
        assert kept(page)["x.training"]["value"]["epochs"] == 30

        own.restart()
        epoch = kept(page)["x.training"]["value"]["epoch"]  # the last one kept before the server stopped
        page.reload()
        try:
            page.get_by_text(f"stopped after epoch {epoch} of 30").wait_for(timeout=60000)
        except Exception:
            print(screenshot(page, "FAILED-keep_training_stopped"), page.inner_text("body")[:3000])
            raise
        page.get_by_role("button", name=f"Use the network after epoch {epoch}").click()
        # the model line names the network and its epochs (the kept list's offer says "trained here" sooner)
        page.locator('[data-testid="stSidebar"]').get_by_text(
            re.compile(rf"trained here: 784–16–10, .*\b{epoch} epochs?\b")).first.wait_for(timeout=60000)
        wait_for_app_idle(page, 60000)
        screenshot(page, "keep_training_stopped")
    finally:
        context.close()
        stop(own.proc)
