"""The latency baseline for the Draw page: only the canvas, a metric and one st.bar_chart.

canvas_replay against this app and against `app.py` in the same session gives the Draw page's cost
over the bare minimum (README of ../shared/tools/canvas_replay for the command).
"""

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from mnistapp.paths import SHIPPED_MODEL
from mnistcore import forward, load_params, preprocess_canvas, scale_input

params = st.cache_resource(load_params)(str(SHIPPED_MODEL))
canvas = st_canvas(stroke_width=18, stroke_color="#FFFFFF", background_color="#000000", height=280, width=280,
                   return_image_data=True, key="canvas")
digit = preprocess_canvas(canvas.image_data) if canvas.image_data is not None else None
if digit is None:
    st.metric("Prediction", "–")
else:
    probs = forward(params, scale_input(digit[None])).probs[0]
    st.metric("Prediction", str(int(np.argmax(probs))))
    st.bar_chart(probs)
