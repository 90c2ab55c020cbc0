"""The Weights page's units tab for a model with more than one hidden layer: pick the layer.

Layer 1 keeps the W1 tiles (the caller shows them). A deeper unit has no 784 incoming weights of its own,
so each is drawn as its effective input weights (`mnistcore.explain.effective_weights`): the 28x28
picture of what it responds to through the layers below, under one input's pattern of active ReLUs.
The input is the visitor's drawing from the Draw page, or a test image.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore import Params, forward, scale_input
from mnistcore.explain.attribution import effective_weights
from mnistcore.preprocess import read_canvas

from .access import chart_alt
from .figures import weights as wf
from .figures.draw import GRID_COLS
from .figures.images import gray_image
from .figures.pictures import pictures_html
from .live_canvas import drawing_rgba
from .model import current_scaling, test_set
from .session import DRAW_SAVED, WEIGHTS_INPUT_IMAGE, WEIGHTS_UNITS_LAYER


def _input_digit() -> tuple[np.ndarray, str]:
    """The (28, 28) float32 input the pattern comes from, and how to name it."""
    rgba = drawing_rgba(st.session_state.get(DRAW_SAVED))
    digit = read_canvas(rgba).digit if rgba is not None else None
    if digit is not None:
        return digit, "your drawing on the Draw page"
    images, labels = test_set()
    i = st.number_input("No drawing yet: use test image #", 0, len(images) - 1, key=WEIGHTS_INPUT_IMAGE,
                        step=1, width=220)
    return images[i] / np.float32(255), f"test image #{i} (a {labels[i]})"


def deeper_units(params: Params, clip: float) -> bool:
    """Ask which hidden layer's units to show; show a deeper layer's here and return True, or False for layer 1."""
    n_hidden = len(params.Ws) - 1
    if st.session_state.get(WEIGHTS_UNITS_LAYER, 1) > n_hidden:  # a model with fewer layers than the last one
        st.session_state[WEIGHTS_UNITS_LAYER] = n_hidden  # (written only then: a write on every run can undo a
        # choice the visitor makes while a run is still going)
    layer = st.selectbox("Units of hidden layer", range(1, n_hidden + 1), key=WEIGHTS_UNITS_LAYER,
                         format_func=lambda l: f"{l} ({params.Ws[l - 1].shape[1]} units)")
    if layer == 1:
        return False
    digit, source = _input_digit()
    fwd = forward(params, scale_input(digit[None], current_scaling()))  # (1, 784) -> every layer
    eff = effective_weights(params, fwd, layer)  # (784, n_layer)
    active = fwd.activations[layer][0] > 0
    c1, c2 = st.columns([1, 6])
    c1.html(pictures_html([gray_image(digit, scale=3)], [f"The input, {source}, as 28×28 grey pixels"], ["the input"],
                          width=84))
    c2.markdown(f"**What the {eff.W.shape[1]} units of layer {layer} look for**, for {source}: unit j's effective "
                f"input weights, the gradient of z{layer}[j] with respect to the 784 pixels through the layers below "
                f"with their ReLUs as this input sets them ({int(active.sum())} of {len(active)} of this layer's units "
                "are on). For every input that switches the same units on, "
                f"z{layer}[j] = x · (this image) + a constant. Draw something else to see them change.")
    order = np.arange(eff.W.shape[1])
    fig = wf.unit_tiles(eff.W, order, vmax=wf.symmetric_range(eff.W, clip),
                        hover={f"z{layer}[j]": fwd.zs[layer - 1][0], f"a{layer}[j]": fwd.activations[layer][0]},
                        title=f"Layer {layer}: effective input weights of its {len(order)} units, as 28×28 tiles",
                        height=60 + 26 * -(-len(order) // GRID_COLS))  # the W1 grid's 470 px for 16 rows
    st.plotly_chart(fig, key="weights.deeper_tiles", config={"displaylogo": False})
    chart_alt(f"The effective input weights of layer {layer}'s {eff.W.shape[1]} units as 28×28 tiles, "
              f"{int(active.sum())} of them on for this input.", "weights.deeper_tiles")
    st.caption("Orange pixels raise the unit's z, purple ones lower it. The heatmap tab shows this layer's own "
               f"matrix W{layer} ({params.Ws[layer - 1].shape[0]}×{params.Ws[layer - 1].shape[1]}).")
    return True
