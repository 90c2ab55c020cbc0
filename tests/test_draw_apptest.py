"""The Draw page's wiring without a browser: inject a drawing into a canvas's state and read the page.

Both canvases feed the same pipeline: the live one (mnistapp/live_canvas.py) and the classic
streamlit-drawable-canvas behind the "Classic canvas" switch.
"""
import base64
import io
import re

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from mnistapp.paths import DATA_DIR, ROOT, SHIPPED_MODEL
from mnistapp.session import DRAW_CANVAS, DRAW_CLASSIC, DRAW_LABEL, DRAW_LIVE, DRAW_SOURCE
from mnistcore import forward, load_mnist, load_params, preprocess_canvas, scale_input

CANVASES = ["live", "classic"]


def png_data_url(rgba: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def canvas_from_digit(img28: np.ndarray) -> np.ndarray:
    """An MNIST digit blown up to the 280 px canvas, white on black, as the component returns it."""
    big = np.asarray(Image.fromarray(img28).resize((280, 280), Image.BILINEAR))
    return np.dstack([big, big, big, np.full_like(big, 255)])


def run_with(rgba: np.ndarray | None, canvas: str = "live") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state[DRAW_CLASSIC] = canvas == "classic"
    at.run()
    if rgba is not None and canvas == "classic":
        at.session_state[DRAW_CANVAS] = {"drawing": {"raw": {"objects": [{"type": "path"}]}, "data": png_data_url(rgba)}}
        at.run()
    elif rgba is not None:
        at.session_state[DRAW_LIVE] = {"drawing": {"png": png_data_url(rgba), "strokes": [[18, 1, 1, 2, 2]], "seq": 1}}
        at.run()
    assert not at.exception, at.exception
    return at


def prediction(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label == "Prediction")


def softmax_bars(at: AppTest) -> tuple[list[float], list[str]]:
    """The Draw page's softmax chart (mnistapp/figures/bars.py): each bar's probability and its hover text."""
    body = next(e.proto.body for e in at.get("html") if "softmax-bars" in e.proto.body)
    return ([float(p) for p in re.findall(r'data-p="([0-9.]+)"', body)], re.findall(r'title="([^"]*)"', body))


@pytest.mark.parametrize("canvas", CANVASES)
def test_empty_canvas_shows_a_dash_a_hint_and_the_empty_probability_chart(canvas):
    at = run_with(None, canvas)
    assert prediction(at) == "–"
    assert any("Draw in the black box" in c.value for c in at.caption)
    # the chart's frame is there before the first stroke, so the page does not jump, and claims nothing:
    # ten digits, no bars, no hover
    probs, tips = softmax_bars(at)
    assert probs == [0.0] * 10 and tips == [""] * 10


@pytest.mark.parametrize("canvas", CANVASES)
def test_injected_digits_are_predicted_as_the_engine_predicts_them(canvas):
    images, labels = load_mnist("test", DATA_DIR)
    params = load_params(SHIPPED_MODEL)
    correct = 0
    for i in [0, 1, 2, 3, 4, 7, 8, 11, 18, 61]:
        rgba = canvas_from_digit(images[i])
        expected = int(forward(params, scale_input(preprocess_canvas(rgba)[None])).probs.argmax())
        at = run_with(rgba, canvas)
        assert prediction(at) == str(expected)
        probs, tips = softmax_bars(at)  # the same chart now holds the probabilities, the logits in the hover
        assert int(np.argmax(probs)) == expected and abs(sum(probs) - 1) < 1e-3
        z = forward(params, scale_input(preprocess_canvas(rgba)[None])).logits[0]
        assert tips == [f"digit {d}: p = {probs[d]:.4f}, logit z2 = {z[d]:.2f}" for d in range(10)]
        correct += expected == labels[i]
    assert correct >= 9  # blown-up MNIST digits are read about as well as the originals


def test_loss_is_shown_for_the_chosen_true_label():
    images, labels = load_mnist("test", DATA_DIR)
    rgba = canvas_from_digit(images[0])
    at = run_with(rgba)
    at.selectbox(key=DRAW_LABEL).set_value(int(labels[0])).run()
    params = load_params(SHIPPED_MODEL)
    fwd = forward(params, scale_input(preprocess_canvas(rgba)[None]))
    loss = next(m.value for m in at.metric if m.label.startswith("Loss"))
    assert float(loss) == round(float(-np.log(fwd.probs[0, labels[0]])), 3)


@pytest.mark.parametrize("canvas", CANVASES)
def test_a_stray_dot_is_not_predicted(canvas):
    rgba = np.zeros((280, 280, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[140:145, 140:145, :3] = 255
    at = run_with(rgba, canvas)
    assert prediction(at) == "–"
    assert any("stray dot" in i.value for i in at.info)


def test_a_live_drawing_survives_a_trip_to_another_page():
    images, _ = load_mnist("test", DATA_DIR)
    at = run_with(canvas_from_digit(images[0]))
    before = prediction(at)
    at.switch_page("pages/weights.py").run()
    at.switch_page("pages/draw.py").run()
    assert not at.exception, at.exception
    assert prediction(at) == before != "–"


@pytest.mark.parametrize("png", ["data:image/png;base64,!!!", "data:image/gif;base64,R0lGOD", "not a url", 7])
def test_a_broken_or_forged_drawing_is_an_empty_canvas_not_an_error(png):
    at = run_with(None)
    at.session_state[DRAW_LIVE] = {"drawing": {"png": png, "strokes": [], "seq": 1}}
    at.run()
    assert not at.exception, at.exception
    assert prediction(at) == "–"



def test_the_link_says_when_the_classic_canvas_is_in_use_and_a_link_turns_it_on():
    assert "canvas" not in run_with(None, "live").query_params  # the live canvas is the default
    assert run_with(None, "classic").query_params["canvas"] in ("classic", ["classic"])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["canvas"] = "classic"
    at.run()
    assert not at.exception, at.exception
    assert at.session_state[DRAW_CLASSIC] is True
    assert at.toggle(key=DRAW_CLASSIC).value is True


@pytest.mark.parametrize("source", ["draw", "photo", "test"])
def test_the_pen_width_and_the_canvas_switch_are_shown_only_when_drawing(source):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state[DRAW_SOURCE] = source
    at.run()
    assert not at.exception, at.exception
    drawing = source == "draw"
    assert any(s.label == "Pen width" for s in at.slider) == drawing
    assert any(t.label == "Classic canvas" for t in at.toggle) == drawing
    assert any(s.label.startswith("The digit you meant") for s in at.selectbox)  # the loss's label: every source
