"""The Draw page answers in the browser while the pen moves (mnistapp/interim.js, on the model live_model sends
once) and on the server when the pen lifts. In a real browser, with real mouse strokes: mid-stroke, the
interim probabilities are the engine's on the browser's own pixels and the page shows them, on the shipped
model and on an uploaded deeper one with its own input scaling; no drawing goes to the server until the pen
lifts, and the pen-up brings the engine's answer; a model over the size limit is not sent, and the moving
pen's drawings go to the server, one rerun at a time."""
import json
import time

import numpy as np
import pytest

from harness.canvas import GRAB, LIVE, PREDICTION_IS, SENDS, WATCH, draw, open_draw_page, reset, settle
from harness.server import data_url_image, metric_value, wait_for_app_idle, wait_for_store
from harness.strokes import digit_strokes
from mnistapp.figures.style import percent, sure
from mnistapp.live_canvas import LIVE_MODEL_MAX_PARAMS
from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistcore import Params, forward, load_mnist, load_params, preprocess_canvas, scale_input
from mnistcore.preprocess import MNIST_SCALING, UNIT_SCALING
from mnistcore.save import npz_bytes

pytestmark = pytest.mark.browser

SIDEBAR = '[data-testid="stSidebar"]'
HAS_MODEL = "(digest) => (window.__liveModel?.digest ?? null) === digest"
NEXT_FRAME = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
SHOWN = """() => {  // what the page shows: the Prediction metric's text and the visible softmax bars
  const metric = [...document.querySelectorAll('[data-testid="stMetric"]')].find(
    (m) => m.querySelector('[data-testid="stMetricLabel"]').innerText.trim() === 'Prediction');
  const chart = [...document.querySelectorAll('.softmax-bars')].find((c) => c.offsetParent !== null);
  const bars = [...chart.querySelectorAll('.bar')];
  return {metric: metric.innerText, heights: bars.map((b) => parseFloat(b.style.height)),
          colours: bars.map((b) => getComputedStyle(b).backgroundColor),
          percents: [...chart.querySelectorAll('.col > span')].map((s) => s.innerText)};
}"""


def random_model(sizes, seed) -> Params:
    """A ReLU network with He-initialised weights: untrained, so its probabilities are spread out."""
    rng = np.random.default_rng(seed)
    return Params(Ws=[(rng.standard_normal((n, m)) * np.sqrt(2 / n)).astype(np.float32) for n, m in zip(sizes, sizes[1:])],
                  bs=[(rng.standard_normal(m) * 0.1).astype(np.float32) for m in sizes[1:]])


def upload(page, folder, params, scaling=None) -> None:
    """Upload `params` as model.npz through the sidebar (with a model card giving `scaling`), and wait for it."""
    files = [folder / "model.npz"]
    files[0].write_bytes(npz_bytes(params))
    if scaling is not None:
        files.append(folder / "model.json")
        files[1].write_text(json.dumps({"input_scaling": {"mean": scaling.mean, "std": scaling.std}}))
    page.locator(f'{SIDEBAR} [data-testid="stFileUploader"] input[type="file"]').set_input_files([str(f) for f in files])
    page.locator(SIDEBAR).get_by_text("model.npz is now in use").wait_for(timeout=60000)
    wait_for_app_idle(page, 60000)


def engine_probs(canvas, params, scaling):
    """The engine's probabilities for the pixels the browser's canvas holds now, or None when it reads no digit."""
    rgba = np.asarray(data_url_image(canvas.evaluate(GRAB[LIVE])).convert("RGBA"))
    digit = preprocess_canvas(rgba)
    return None if digit is None else forward(params, scale_input(digit[None], scaling)).probs[0]


def pen_down_along(page, box, points) -> None:
    """Press at the first point and drag through the others, without lifting the pen."""
    k = box["width"] / 280
    page.mouse.move(box["x"] + points[0][0] * k, box["y"] + points[0][1] * k)
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x * k, box["y"] + y * k)


def pen_along(page, box, points) -> None:
    k = box["width"] / 280
    for x, y in points:
        page.mouse.move(box["x"] + x * k, box["y"] + y * k)


def wait_for_the_answer(page, canvas, params, scaling) -> str:
    """After the pen-up: the Prediction once the server's answer for the final pixels is on the page."""
    want = str(int(engine_probs(canvas, params, scaling).argmax()))
    page.wait_for_function("() => document.querySelectorAll('[data-interim-copy]').length === 0", timeout=30000)
    page.wait_for_function(PREDICTION_IS, arg=want, timeout=30000)
    settle(page)
    return want


def assert_the_page_shows(page, interim) -> None:
    """The Prediction metric (digit and "x% sure") and the visible softmax bars show these probabilities
    (None: no digit yet), formatted as the server formats its own (pages/draw.py, mnistapp/figures/bars.py)."""
    shown = page.evaluate(SHOWN)
    if interim is None:
        assert shown["metric"].split() == ["Prediction", "–"] and not any(shown["heights"]), shown
        return
    winner = int(np.argmax(interim))
    assert shown["metric"].split("\n")[-1] == sure(interim[winner]), shown["metric"]
    assert metric_value(page, "Prediction") == str(winner)
    assert shown["heights"] == [round(p * 180) for p in interim]
    assert shown["percents"] == [percent(p) if p >= 0.005 else "" for p in interim]
    assert shown["colours"].count(shown["colours"][winner]) == 1 and len(set(shown["colours"])) == 2, shown


@pytest.mark.parametrize("which", ["shipped", "deep"])
def test_mid_stroke_the_interim_probabilities_are_the_engines_on_the_browsers_pixels(page, app_url, tmp_path, which):
    images, labels = load_mnist("test", DATA_DIR)
    if which == "shipped":
        params, scaling = load_params(SHIPPED_MODEL), MNIST_SCALING
    else:  # three layers, and pixels as they are (0..1) rather than MNIST's mean and std
        params, scaling = random_model((784, 64, 32, 10), seed=0), UNIT_SCALING
    canvas, box = open_draw_page(page, app_url)
    if which == "deep":
        upload(page, tmp_path, params, scaling)
    page.wait_for_function(HAS_MODEL, arg=params.digest, timeout=30000)
    for d in (2, 3, 5, 8):  # one stroke, then three of two strokes
        *before, last = digit_strokes(images[np.flatnonzero(labels == d)[0]], 280)
        draw(page, box, before)
        pen_down_along(page, box, last[:2])  # at once: the answer to the pen-up comes while the pen is down...
        settle(page)
        page.evaluate(NEXT_FRAME)
        assert_the_page_shows(page, page.evaluate("window.__liveCanvas.interim()"))  # ...and leaves ours, newer

        half = len(last) // 2 + 1
        pen_along(page, box, last[2:half])  # mid-stroke: the pen is still down
        page.evaluate(NEXT_FRAME)
        interim, engine = page.evaluate("window.__liveCanvas.interim()"), engine_probs(canvas, params, scaling)
        assert interim is not None and engine is not None, d
        np.testing.assert_allclose(interim, engine, rtol=0, atol=1e-4, err_msg=f"digit {d}")
        assert_the_page_shows(page, interim)

        pen_along(page, box, last[half:])
        page.mouse.up()
        assert wait_for_the_answer(page, canvas, params, scaling) == metric_value(page, "Prediction")
        reset(page)


def drawings(sends: list) -> list:
    """The messages (SENDS' records) that carried a drawing: each has a new seq. The others, such as the browser
    store's answers after a write, may go out at any time."""
    seqs = [s[3][0] if s[3] else 0 for s in sends]
    return [s for s, seq, before in zip(sends, seqs, [0] + seqs) if seq > before]


def test_while_the_pen_moves_no_drawing_goes_to_the_server_and_the_pen_up_gets_the_engines_answer(page, app_url):
    page.add_init_script(f"({SENDS})()")
    params = load_params(SHIPPED_MODEL)
    canvas, box = open_draw_page(page, app_url)
    page.wait_for_function(HAS_MODEL, arg=params.digest, timeout=30000)
    page.evaluate(WATCH)
    page.evaluate("window.__sends = []")
    images, labels = load_mnist("test", DATA_DIR)
    strokes = digit_strokes(images[np.flatnonzero(labels == 4)[0]], 280)
    draw(page, box, strokes, pause_ms=30)  # a slow hand: a second or more with the pen down
    want = wait_for_the_answer(page, canvas, params, MNIST_SCALING)
    sends, (log, ups) = page.evaluate("window.__sends"), page.evaluate("[window.__log, window.__ups]")
    changes_before_last_up = [text for t, text in log if t < ups[-1]]
    print(f"{len(strokes)} strokes: {len(sends)} messages to the server, Prediction changed "
          f"{len(changes_before_last_up)} times before the last pen-up")
    assert [s for s in drawings(sends) if s[0]] == [], "a drawing went to the server while the pen was down"
    assert len(sends) >= len(strokes)  # each pen-up
    assert len(changes_before_last_up) >= 2, log
    assert metric_value(page, "Prediction") == want
    assert page.evaluate("window.__liveCanvas.acked === window.__liveCanvas.seq")


def test_a_model_over_the_size_limit_stays_on_the_server_which_answers_the_moving_pen_one_rerun_at_a_time(
        page, app_url, tmp_path):
    """Without the model in the browser, the old flow control (mnistapp/live_canvas.js): an interim drawing
    goes out only once the rerun that read the previous one has finished, so one visitor never has reruns
    interrupting each other. The pen-up still goes at once (it is sent after the pen is up, so it is not
    among these). The pen keeps circling until three drawings went out while it was down (at most 30 s),
    so a slow machine, whose reruns and rests take longer, still sees several."""
    big = random_model((784, 1280, 10), seed=1)
    assert big.n_params > LIVE_MODEL_MAX_PARAMS
    page.add_init_script(f"({SENDS})()")
    canvas, box = open_draw_page(page, app_url)
    page.wait_for_function(HAS_MODEL, arg=load_params(SHIPPED_MODEL).digest, timeout=30000)
    upload(page, tmp_path, big)
    page.wait_for_function(HAS_MODEL, arg=None, timeout=30000)  # the shipped model it held is dropped
    wait_for_store(page)  # the kept upload's rerun is over: a drawing sent during it would not be the canvas's doing
    page.evaluate("window.__sends = []")
    cx, cy, r = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["width"] / 4
    page.mouse.move(cx + r, cy)
    page.mouse.down()
    deadline = time.monotonic() + 30
    step = 0
    while time.monotonic() < deadline:
        step += 1
        page.mouse.move(cx + r * np.cos(step / 6), cy + r * np.sin(step / 6))
        page.wait_for_timeout(30)
        if step % 10 == 0 and page.evaluate(  # the drawings' seqs
                "new Set(window.__sends.filter(s => s[0] && s[3]).map(s => s[3][0])).size") >= 3:
            break
    page.mouse.up()
    settle(page)
    sends = page.evaluate("window.__sends")
    while_drawing = [state for down, state, *_ in drawings(sends) if down]
    assert len(while_drawing) >= 2, sends
    assert all(state == "notRunning" for state in while_drawing), sends
    assert page.evaluate("window.__liveCanvas.interim()") is None  # nothing was computed in the browser
    assert wait_for_the_answer(page, canvas, big, MNIST_SCALING) == metric_value(page, "Prediction")
