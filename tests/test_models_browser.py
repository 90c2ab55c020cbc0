"""Any model in a browser: a deeper model with its model card on every page; refused files that say so and
keep the model in use; the server's upload limit; two sessions that never see each other's model or drawing."""
import io
import json

import numpy as np
import pytest
import torch

from conftest import screenshot
from harness.canvas import draw, open_draw_page, settle
from harness.server import metric_value, wait_for_app_idle
from harness.strokes import digit_strokes
from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistcore import load_mnist, load_params
from mnistcore.evaluate import disagreements, evaluate, format_percent
from mnistcore.preprocess import UNIT_SCALING

pytestmark = pytest.mark.browser

SIDEBAR = '[data-testid="stSidebar"]'
UPLOAD_INPUT = f'{SIDEBAR} [data-testid="stFileUploader"] input[type="file"]'


def send(page, *paths) -> None:
    """Upload files through the sidebar's uploader and wait for the rerun that reads them."""
    page.locator(UPLOAD_INPUT).set_input_files([str(p) for p in paths])
    page.wait_for_timeout(500)
    wait_for_app_idle(page, 60000)


def sidebar_text(page) -> str:
    return page.locator(SIDEBAR).inner_text()


def choose(page, label: str, option: str) -> None:
    """Pick an option of a selectbox and wait until the app's run has ended with it still chosen."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label)
    box.wait_for(timeout=30000)
    page.wait_for_timeout(300)  # the run that drew it may still be going
    wait_for_app_idle(page, 90000)
    box.click()
    page.get_by_role("option", name=option).click()
    page.wait_for_timeout(300)
    wait_for_app_idle(page, 90000)
    shown = box.get_by_role("combobox").input_value()
    assert shown == option, f"{label}: {option} was chosen, the box shows {shown!r}"


def go_to(page, name: str, heading: str) -> None:
    page.locator(SIDEBAR).get_by_role("link", name=name).click()
    page.get_by_role("heading", name=heading).first.wait_for(timeout=60000)
    wait_for_app_idle(page, 90000)


@pytest.fixture(scope="module")
def deep_model(tmp_path_factory):
    """A 784-256-128-64-10 ReLU network trained briefly by torch on 0..1 pixels, with its model card."""
    images, labels = load_mnist("train", DATA_DIR)
    x = torch.tensor(images[:12000].reshape(-1, 784) / np.float32(255))
    y = torch.tensor(labels[:12000].astype(np.int64))
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(2):
        for i in torch.randperm(len(x)).split(128):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x[i]), y[i]).backward()
            opt.step()
    folder = tmp_path_factory.mktemp("deep")
    torch.save(net.state_dict(), folder / "deep.pth")
    (folder / "deep.json").write_text(json.dumps({"input_scaling": {"mean": 0.0, "std": 1.0}}))
    return folder / "deep.pth", folder / "deep.json"


def test_a_deeper_model_and_its_card_get_every_page(page, app_url, deep_model):
    path, card = deep_model
    images, labels = load_mnist("test", DATA_DIR)
    params = load_params(path)
    mine = evaluate(params, images, labels, scaling=UNIT_SCALING)
    shipped = evaluate(load_params(SHIPPED_MODEL), images, labels)

    canvas, box = open_draw_page(page, app_url)
    send(page, path, card)
    page.locator(SIDEBAR).get_by_text("Your model", exact=True).wait_for(timeout=30000)
    text = sidebar_text(page)
    assert "784–256–128–64–10" in text and "pixels as they are, 0..1" in text
    assert f"{format_percent(mine.accuracy)} on the 10,000 MNIST test images" in text, text  # the card's scaling

    # Draw: every hidden layer, and the shipped model's bars beside this one's (no reload: that is a new session)
    draw(page, box, digit_strokes(images[0], 280))
    settle(page)
    page.wait_for_function("() => document.body.innerText.includes('sure')", timeout=30000)
    body = page.inner_text("body")
    for layer, width in ((1, 256), (2, 128), (3, 64)):
        assert f"Hidden layer {layer}:" in body and f"of {width} units active" in body
    page.get_by_text("Compare with the shipped model").click()
    page.locator(".js-plotly-plot").filter(has_text="shipped model").first.wait_for(timeout=30000)
    wait_for_app_idle(page)
    screenshot(page, "deep_draw_compare")

    # Weights: the matrix picker and a deeper layer's units as effective weights under the drawing
    go_to(page, "Weights", "Weights")
    page.get_by_role("tab", name="W1 as images").click()
    wait_for_app_idle(page, 90000)
    choose(page, "Units of hidden layer", "2 (128 units)")
    page.get_by_text("What the 128 units of layer 2 look for").wait_for(timeout=60000)
    wait_for_app_idle(page, 90000)
    assert "your drawing on the Draw page" in page.inner_text("body")
    page.wait_for_timeout(1000)
    screenshot(page, "deep_weights_layer2")
    page.get_by_role("tab", name="W1 heatmap").click()
    wait_for_app_idle(page, 90000)
    choose(page, "Matrix", "W3 (128×64)")
    page.get_by_text("W3: 128 inputs × 64 outputs").wait_for(timeout=60000)
    wait_for_app_idle(page, 90000)
    screenshot(page, "deep_weights_W3")

    # Test set: its accuracy with the card's scaling, the shipped model's, and where they disagree
    go_to(page, "Test set", "The test set")
    page.get_by_text("Your model against the shipped model").wait_for(timeout=60000)
    assert metric_value(page, "Accuracy") == format_percent(mine.accuracy)
    assert metric_value(page, "Accuracy of the shipped model") == format_percent(shipped.accuracy)
    assert metric_value(page, "Images where they disagree") == f"{len(disagreements(mine, shipped)):,}"
    assert page.locator(".st-key-testset-disagreements img").count() == min(48, len(disagreements(mine, shipped)))
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "deep_testset")

    # the other scaling: the accuracy shows at once that it is wrong
    page.locator(SIDEBAR).get_by_text("MNIST's mean/std").click()
    wait_for_app_idle(page, 90000)
    wrong = evaluate(params, images, labels)
    page.wait_for_function(f"() => document.body.innerText.includes('{format_percent(wrong.accuracy)} on the 10,000')",
                           timeout=60000)
    # the sidebar is drawn first; the page's own evaluation may still be running: wait for the rerun's end
    wait_for_app_idle(page, 90000)
    assert metric_value(page, "Accuracy") == format_percent(wrong.accuracy)


def bad_files(folder, good: bytes) -> dict:
    files = {"empty.pth": b"", "cut.pth": good[: len(good) // 2],
             "random.pth": np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes()}
    f = io.BytesIO()  # a valid but huge 784-20000-10, in float16 so that it fits under the upload limit
    np.savez(f, W1=np.zeros((784, 20000), np.float16), b1=np.zeros(20000, np.float16),
             W2=np.zeros((20000, 10), np.float16), b2=np.zeros(10, np.float16))
    files["huge.npz"] = f.getvalue()
    paths = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths[name] = folder / name
    return paths


def test_refused_files_say_so_and_keep_the_model_in_use(page, app_url, tmp_path):
    net = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    good = tmp_path / "tiny.pth"
    torch.save(net.state_dict(), good)
    open_draw_page(page, app_url)
    send(page, good)
    page.locator(SIDEBAR).get_by_text("tiny.pth is now in use").wait_for(timeout=30000)
    images, labels = load_mnist("test", DATA_DIR)
    acc = evaluate(load_params(good), images, labels).accuracy
    assert f"{format_percent(acc)} on the 10,000 MNIST test images" in sidebar_text(page)  # an accepted upload's

    why = {"empty.pth": "empty", "cut.pth": "cut short", "random.pth": "not a model file",
           "huge.npz": "more than the 2,000,000 this app handles"}
    for name, path in bad_files(tmp_path, good.read_bytes()).items():
        send(page, path)
        page.locator(SIDEBAR).get_by_text(f"{name} was not loaded").wait_for(timeout=60000)  # 32 MB take a while
        wait_for_app_idle(page)
        error = page.locator(f'{SIDEBAR} [data-testid="stAlert"]')
        text = error.inner_text()
        assert f"{name} was not loaded" in text and why[name] in text and "Still in use: your model tiny.pth" in text, text
        side = sidebar_text(page)
        assert "Your model tiny.pth" in side.replace("\n", " ") and "784–32–10" in side
        assert name not in side.replace(text, ""), "the refused file is not left in the uploader"
        if name == "empty.pth":
            screenshot(page, "upload_refused_after_good")
    page.locator(SIDEBAR).get_by_role("button", name="Back to the shipped model").click()
    page.locator(SIDEBAR).get_by_text("Shipped model ·").wait_for(timeout=30000)
    wait_for_app_idle(page)
    page.wait_for_function(  # the old refusal is gone
        f"() => document.querySelectorAll('{SIDEBAR} [data-testid=\"stAlert\"]').length === 0", timeout=30000)
    send(page, tmp_path / "huge.npz")  # with the shipped model in use, the refusal names it
    page.locator(SIDEBAR).get_by_text("huge.npz was not loaded").wait_for(timeout=60000)
    text = page.locator(f'{SIDEBAR} [data-testid="stAlert"]').inner_text()
    assert "huge.npz was not loaded" in text and "Still in use: the shipped model" in text, text


def test_the_server_refuses_an_upload_over_its_limit_before_reading_it(page, app_url, tmp_path):
    """The browser refuses a file over maxUploadSize; a request that skips the browser's check gets HTTP 413
    from the server on its Content-Length, and the session keeps its model."""
    seen = []
    page.on("request", lambda r: seen.append(r) if "/_stcore/upload_file/" in r.url and r.method == "PUT" else None)
    open_draw_page(page, app_url)
    small = tmp_path / "small.json"
    small.write_text('{"input_scaling": "0..1"}')
    send(page, small)  # a real upload, to learn the session's upload URL and XSRF header
    assert seen, "no upload request was seen"
    request = seen[0]
    big = b"\0" * (51 * 2**20)  # over .streamlit/config.toml's 50 MB
    headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-")}
    response = page.request.put(request.url, headers=headers,
                                multipart={"file": {"name": "big.pth", "mimeType": "application/octet-stream",
                                                    "buffer": big}})
    assert response.status == 413, (response.status, response.text()[:200])
    path = tmp_path / "big.pth"
    path.write_bytes(big)
    page.locator(UPLOAD_INPUT).set_input_files(str(path))
    page.get_by_text("File must be 50.0MB or smaller").wait_for(timeout=30000)
    assert "Shipped model" in sidebar_text(page)


def canvas_pixels(page) -> str:
    """The live canvas as a PNG data URL (a locator: the canvas sits in its component's shadow root)."""
    return page.locator('canvas[data-testid="live-canvas"]').first.evaluate("(c) => c.toDataURL('image/png')")


def test_two_sessions_never_see_each_others_model_or_drawing(browser, app_url, tmp_path):
    """Two browsers at once: A uploads a model and draws one digit, B draws another with the shipped model.
    After a full rerun of each (a visit to the Test set and back), each has its own model and drawing."""
    images, labels = load_mnist("test", DATA_DIR)
    shipped = load_params(SHIPPED_MODEL)
    a = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    b = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    _, box_a = open_draw_page(a, app_url)
    _, box_b = open_draw_page(b, app_url)
    net = torch.nn.Sequential(torch.nn.Linear(784, 48), torch.nn.ReLU(), torch.nn.Linear(48, 10))
    path = tmp_path / "a_only.pth"
    torch.save(net.state_dict(), path)
    send(a, path)
    a.locator(SIDEBAR).get_by_text("a_only.pth is now in use").wait_for(timeout=30000)
    for page, box, i in ((a, box_a, 0), (b, box_b, 1)):
        draw(page, box, digit_strokes(images[i], 280))
        settle(page)
        page.wait_for_function("() => document.body.innerText.includes('sure')", timeout=30000)
    drawn = {p: (canvas_pixels(p), metric_value(p, "Prediction")) for p in (a, b)}
    assert drawn[a][0] != drawn[b][0]

    shipped_acc = evaluate(shipped, images, labels).accuracy
    for page in (a, b):
        go_to(page, "Test set", "The test set")
    assert "Shipped model" in sidebar_text(b) and "a_only.pth" not in sidebar_text(b)
    assert metric_value(b, "Accuracy") == format_percent(shipped_acc)  # the cached shipped model, unchanged
    assert b.get_by_text("Your model against the shipped model").count() == 0
    assert "a_only.pth" in sidebar_text(a)
    assert metric_value(a, "Accuracy of the shipped model") == format_percent(shipped_acc)

    for page in (a, b):  # back on Draw, each gets its own drawing and its own model's prediction
        go_to(page, "Draw", "Draw a digit")
        page.wait_for_function("() => document.body.innerText.includes('sure')", timeout=30000)
        assert (canvas_pixels(page), metric_value(page, "Prediction")) == drawn[page]
        assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(a, "isolation_a")
    screenshot(b, "isolation_b")
    for page in (a, b):
        page.context.close()
