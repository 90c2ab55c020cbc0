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
from .i18n import _
from .live_canvas import drawing_rgba
from .model import current_scaling, test_set
from .session import DRAW_SAVED, WEIGHTS_INPUT_IMAGE, WEIGHTS_UNITS_LAYER


def _input_digit() -> tuple[np.ndarray, str]:
    """The (28, 28) float32 input the pattern comes from, and how to name it."""
    rgba = drawing_rgba(st.session_state.get(DRAW_SAVED))
    digit = read_canvas(rgba).digit if rgba is not None else None
    if digit is not None:
        return digit, _("your drawing on the Draw page")
    images, labels = test_set()
    i = st.number_input(_("No drawing yet: use test image #"), 0, len(images) - 1, key=WEIGHTS_INPUT_IMAGE,
                        step=1, width=220)
    return images[i] / np.float32(255), _("test image #{i} (a {label})").format(i=i, label=labels[i])


def deeper_units(params: Params, clip: float) -> bool:
    """Ask which hidden layer's units to show; show a deeper layer's here and return True, or False for layer 1."""
    n_hidden = len(params.Ws) - 1
    if st.session_state.get(WEIGHTS_UNITS_LAYER, 1) > n_hidden:  # a model with fewer layers than the last one
        st.session_state[WEIGHTS_UNITS_LAYER] = n_hidden  # (written only then: a write on every run can undo a
        # choice the visitor makes while a run is still going)
    layer = st.selectbox(_("Units of hidden layer"), range(1, n_hidden + 1), key=WEIGHTS_UNITS_LAYER,
                         format_func=lambda l: _("{l} ({n} units)").format(l=l, n=params.Ws[l - 1].shape[1]))
    if layer == 1:
        return False
    digit, source = _input_digit()
    fwd = forward(params, scale_input(digit[None], current_scaling()))  # (1, 784) -> every layer
    eff = effective_weights(params, fwd, layer)  # (784, n_layer)
    active = fwd.activations[layer][0] > 0
    c1, c2 = st.columns([1, 6])
    c1.html(pictures_html([gray_image(digit, scale=3)], [_("The input, {source}, as 28×28 grey pixels").format(
        source=source)], [_("the input")], width=84))
    c2.markdown(_("**What the {n} units of layer {l} look for**, for {source}: unit j's effective input weights, the "
                  "gradient of z{l}[j] with respect to the 784 pixels through the layers below with their ReLUs as "
                  "this input sets them ({on} of {units} of this layer's units are on). For every input that switches "
                  "the same units on, z{l}[j] = x · (this image) + a constant. Draw something else to see them "
                  "change.").format(n=eff.W.shape[1], l=layer, source=source, on=int(active.sum()), units=len(active)))
    order = np.arange(eff.W.shape[1])
    fig = wf.unit_tiles(eff.W, order, vmax=wf.symmetric_range(eff.W, clip),
                        hover={f"z{layer}[j]": fwd.zs[layer - 1][0], f"a{layer}[j]": fwd.activations[layer][0]},
                        title=_("Layer {l}: effective input weights of its {n} units, as 28×28 tiles").format(
                            l=layer, n=len(order)),
                        height=60 + 26 * -(-len(order) // GRID_COLS))  # the W1 grid's 470 px for 16 rows
    st.plotly_chart(fig, key="weights.deeper_tiles", config={"displaylogo": False})
    chart_alt(_("The effective input weights of layer {l}'s {n} units as 28×28 tiles, {on} of them on for this "
                "input.").format(l=layer, n=eff.W.shape[1], on=int(active.sum())), "weights.deeper_tiles")
    st.caption(_("Orange pixels raise the unit's z, purple ones lower it. The heatmap tab shows this layer's own "
                 "matrix W{l} ({rows}×{cols}).").format(l=layer, rows=params.Ws[layer - 1].shape[0],
                                                        cols=params.Ws[layer - 1].shape[1]))
    return True
