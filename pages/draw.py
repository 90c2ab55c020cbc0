"""Draw a digit and watch the network read it while the pen moves: prediction, softmax, hidden layers."""
import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from mnistapp.access import announce, prediction_text
from mnistapp.compare import compare_on_drawing
from mnistapp.figures.bars import softmax_bars_html
from mnistapp.figures.images import gray_image
from mnistapp.figures.pictures import pictures_html
from mnistapp.hiddenmap import where_it_lands
from mnistapp.i18n import _, language, number
from mnistapp.inputs import DRAW, input_source, read_input
from mnistapp.keep import keep_latest
from mnistapp.keep_draw import NAME as KEPT_DRAWING
from mnistapp.keep_draw import drawing_record
from mnistapp.layers import prediction_views
from mnistapp.live_canvas import drawing_rgba, live_canvas, live_canvas_answered, live_model
from mnistapp.model import current_params, current_scaling
from mnistapp.runtime import route_through_app
from mnistapp.session import (
    DRAW_CANVAS,
    DRAW_CLASSIC,
    DRAW_LABEL,
    DRAW_LIVE,
    DRAW_RESTORE,
    DRAW_SAVED,
    DRAW_SPOKEN,
    DRAW_STROKE_WIDTH,
)
from mnistapp.start_here import start_here
from mnistapp.teach import teach_views
from mnistapp.why import prediction_metric, warm_up, why_views
from mnistcore import cross_entropy, forward, scale_input
from mnistcore.preprocess import STRAY_DOT, canvas_ink, read_ink

route_through_app()

CANVAS = 280

st.title(_("Draw a digit"))
st.markdown(_("Draw one digit, 0 to 9, with the mouse, a finger or a pen, or take a photo or a test image. "
              "The network reads it while you draw."))
st.caption(_("What it computes, in plain NumPy: z1 = x W1 + b1, a1 = ReLU(z1), z2 = a1 W2 + b2, y = softmax(z2)."))


def read_drawing() -> np.ndarray | None:
    """Mount the chosen canvas and return its (H, W, 4) RGBA, or None while nothing is drawn."""
    width = st.session_state.get(DRAW_STROKE_WIDTH, 18)
    if st.session_state.get(DRAW_CLASSIC, False):
        return st_canvas(stroke_width=width, stroke_color="#FFFFFF", background_color="#000000", height=CANVAS,
                         width=CANVAS, drawing_mode="freedraw", return_image_data=True, key=DRAW_CANVAS).image_data
    saved = st.session_state.get(DRAW_SAVED)
    # The strokes go back to the browser only when the element is new (its own state is gone, as after a
    # trip to another page) or the drawing was read back from the browser's store, not with every stroke's rerun.
    fresh = DRAW_LIVE not in st.session_state or st.session_state.pop(DRAW_RESTORE, False)
    restore = saved["strokes"] if saved and fresh else None
    drawing = live_canvas(key=DRAW_LIVE, size=CANVAS, stroke_width=width, restore=restore)
    if drawing is not None:  # kept outside the widget, whose state Streamlit drops when the page is left
        st.session_state[DRAW_SAVED] = saved = drawing
    return drawing_rgba(saved)


@st.fragment
def draw_and_read() -> None:
    show_drawing()
    if not st.session_state.get(DRAW_CLASSIC, False):  # the classic canvas's drawing is not kept
        keep_latest(KEPT_DRAWING, drawing_record())  # in the browser's store, whenever it changes
    live_canvas_answered(DRAW_LIVE)  # last: the canvas sends the next drawing once all of this is on the page


def show_drawing() -> None:
    warm_up(current_params())  # the "not sure" threshold is set in the background while the visitor draws
    spoken = st.empty()  # first in the fragment, so the live region stays the same element for every source
    # draw.layout and its keyed parts: mnistapp/frame.py stacks the columns when the page is too narrow for both
    left, right = st.container(key="draw.layout").columns([2, 3], gap="large")  # the canvas needs 2/5 of the page
    with left:
        source = input_source()  # mnistapp/inputs.py: draw, a photo or a test image
        rgba = read_drawing() if source == DRAW else None
        ink = canvas_ink(rgba) if rgba is not None else None
        digit, why_none = read_ink(ink) if ink is not None else (None, None)
        digit, why_none = read_input(digit, why_none, source)
        # The Prediction sits right under the canvas, so on a phone it is in view after drawing, and in the
        # same place whether the canvas is empty or not, so a stroke updates it in place.
        c1, c2 = st.container(key="draw.prediction").columns(2)
    if digit is None:
        c1.metric(_("Prediction"), "–")
        with spoken:
            announce(prediction_text(None, None, False), key=DRAW_SPOKEN)
    else:
        params = current_params()
        fwd = forward(params, scale_input(digit[None], current_scaling()))  # (1, 784) -> every layer
        unsure = prediction_metric(params, fwd, c1)
        probs = fwd.probs[0]
        winner = int(probs.argmax())
        with spoken:
            announce(prediction_text(winner, float(probs[winner]), unsure), key=DRAW_SPOKEN)
        c2.html(pictures_html([gray_image(digit, scale=4)], [_("The digit as the network gets it: 28×28 grey pixels, "
                                                               "centred, white ink on black")],
                              [_("what the network sees (28×28)")], width=84))
    with left, st.container(key="draw.controls"):
        if why_none == STRAY_DOT:
            st.info(_("That looks like a stray dot. Draw a whole digit, as big as the box allows."))
        elif digit is None and source == DRAW:  # a photo's and a test image's own captions say what to do
            st.caption(_("Draw in the black box. Undo takes back the last stroke; Clear starts again."))
        if source == DRAW:  # the pen and the canvas switch mean nothing for a photo or a test image
            st.session_state.setdefault(DRAW_STROKE_WIDTH, 18)  # or the width a kept drawing brought back
            st.slider(_("Pen width"), 8, 32, key=DRAW_STROKE_WIDTH)
        label = st.selectbox(_("The digit you meant (for the loss)"), [None] + list(range(10)),
                             format_func=lambda d: "–" if d is None else str(d), key=DRAW_LABEL)
        if source == DRAW:
            st.toggle(_("Classic canvas"), key=DRAW_CLASSIC,
                      help=_("streamlit-drawable-canvas: it sends the drawing when the pen lifts, after a short "
                             "pause. Its toolbar (undo, redo, clear) shows when the pointer is over it."))
    start_here(right)  # mnistapp/start_here.py: a first visit's three steps, beside the canvas so it does not move
    with right:
        if digit is None:
            st.html(softmax_bars_html(None, lang=language()))  # the empty chart keeps the page from jumping at the first stroke
            return
        if label is not None:
            st.metric(_("Loss −log y[{label}]").format(label=label),
                      number(cross_entropy(fwd.logits, np.array([label])), 3))
        prediction_views(params, fwd, true_label=label, key="draw")
    with right, st.container(key="draw.more"):  # on a narrow page, after the canvas's settings
        compare_on_drawing(digit, fwd, true_label=label)  # with the visitor's own model: near its bars
        teach_views(digit)
        why_views(params, fwd, image=digit, ink=ink, key="draw")
        where_it_lands(params, fwd, key="draw")


draw_and_read()
# Outside the fragment, so the model goes to the browser with full-page runs only, never with a stroke's rerun.
live_model(current_params(), current_scaling(), key=f"{DRAW_LIVE}.model",
           browser_has=(st.session_state.get(DRAW_SAVED) or {}).get("model"))
