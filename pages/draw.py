"""Draw a digit and watch the network read it: input, prediction, softmax, hidden layer, top units."""
import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from mnistcore import cross_entropy, forward, scale_input
from mnistcore.preprocess import STRAY_DOT, read_canvas
from views.draw import empty_bars
from views.images import gray_image
from views.layers import prediction_views
from views.session import DRAW_CANVAS, DRAW_LABEL, DRAW_STROKE_WIDTH, current_params, route_through_app
from views.teach import teach_views

route_through_app()

CANVAS = 280

st.title("Draw a digit")
st.caption("Draw one digit, 0 to 9, in the black box. After each stroke the network below reads it, "
           "in plain NumPy: z1 = x W1 + b1, a1 = ReLU(z1), z2 = a1 W2 + b2, y = softmax(z2).")


@st.fragment
def draw_and_read() -> None:
    left, right = st.columns([2, 3], gap="large")  # the 280 px canvas needs 2/5 of a wide page
    with left:
        canvas = st_canvas(stroke_width=st.session_state.get(DRAW_STROKE_WIDTH, 18), stroke_color="#FFFFFF",
                           background_color="#000000", height=CANVAS, width=CANVAS, drawing_mode="freedraw",
                           return_image_data=True, key=DRAW_CANVAS)
    rgba = canvas.image_data  # decodes the component's PNG on every access: read it once
    digit, why_none = read_canvas(rgba) if rgba is not None else (None, None)
    with right:
        # The metric is sent right after the canvas, before the left column's widgets, and sits in the
        # same place whether the canvas is empty or not, so a stroke updates it in place instead of
        # remounting it (canvas_replay: ~5-10 ms off the median mouse-up -> Prediction).
        c1, c2, c3 = st.columns([1, 1, 1])
    if digit is None:
        c1.metric("Prediction", "–")
    else:
        params = current_params()
        fwd = forward(params, scale_input(digit[None]))  # (1, 784) -> every layer
        probs = fwd.probs[0]
        winner = int(probs.argmax())
        c1.metric("Prediction", str(winner), f"{probs[winner]:.1%} sure", delta_color="off", delta_arrow="off")
    with left:
        st.caption("Undo, redo and clear are in the canvas's toolbar (hover its top right corner).")
        st.slider("Stroke width", 8, 32, 18, key=DRAW_STROKE_WIDTH)
        label = st.selectbox("The digit you meant (for the loss)", [None] + list(range(10)),
                             format_func=lambda d: "–" if d is None else str(d), key=DRAW_LABEL)
    with right:
        if digit is None:
            # The empty chart keeps the page from jumping at the first stroke, and it has the browser load
            # Plotly's 4.7 MB bundle (~1.2 s here) while the visitor draws rather than after.
            st.plotly_chart(empty_bars(), config={"displayModeBar": False}, key="draw.bars")
            if why_none == STRAY_DOT:
                st.info("That looks like a stray dot. Draw a whole digit, as big as the box allows.")
            else:
                st.info("The canvas is empty. Draw a digit with the mouse, a finger or a pen.")
            return
        with c2:
            st.image(gray_image(digit, scale=4), caption="what the network sees (28×28)", width=112)
        if label is not None:
            c3.metric(f"Loss −log y[{label}]", f"{cross_entropy(fwd.logits, np.array([label])):.3f}")
        else:
            c3.caption("Pick the digit you meant to see the cross-entropy loss −log y[true].")
        prediction_views(params, fwd, true_label=label, key="draw")
        teach_views(digit)


draw_and_read()
