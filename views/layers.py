"""The layer views several pages show for one input: softmax bars, hidden activations, the top units.

Streamlit calls only; the numbers come from `mnistcore` (forward, explain) and the figures from
`views.bars`, `views.draw` and `views.images`.
"""
from __future__ import annotations

import streamlit as st

from mnistcore import Forward, Params
from mnistcore.explain import contributions, incoming_image, n_active

from .alt_text import hidden_text
from .bars import softmax_bars_html
from .draw import GRID_COLS, hidden_grid
from .images import activation_rgb, diverging_rgb, png_data_url


@st.cache_data(max_entries=4096)
def incoming_png(digest: str, _params: Params, unit: int) -> str:
    """Unit `unit`'s incoming weights as a 84x84 PNG data URL, encoded once per model and unit."""
    return png_data_url(diverging_rgb(incoming_image(_params, unit), scale=3), compress_level=6)


def prediction_views(params: Params, fwd: Forward, *, true_label: int | None = None, row: int = 0,
                     key: str = "") -> None:
    """The softmax bars with logits, every hidden layer's activations, and the units that push the winner."""
    probs, logits = fwd.probs[row], fwd.logits[row]
    winner = int(probs.argmax())
    st.html(softmax_bars_html(probs, logits, winner=winner, true_label=true_label))  # with bars_text under it
    for layer in range(1, len(fwd.activations)):
        z, a = fwd.zs[layer - 1][row], fwd.activations[layer][row]
        st.caption(f"Hidden layer {layer}: {n_active(fwd, layer, row)} of {len(a)} units active "
                   f"(a{layer} = ReLU(z{layer}) > 0), {GRID_COLS} to a row, brighter = more active.")
        # A picture, not a chart: it changes with every stroke, and a 2-3 KB PNG data URL costs the server
        # and the browser a few ms where the interactive heatmap costs tens. The heatmap waits in an expander.
        st.image(png_data_url(activation_rgb(a, GRID_COLS)), caption=hidden_text(a, f"a{layer}"), width=12 * GRID_COLS)
        inspect = st.expander(f"Hover the units of layer {layer} (unit, z, a)", key=f"{key}.inspect{layer}",
                              on_change="rerun")
        if inspect.open:  # built only when open: nothing is computed for a closed expander
            inspect.plotly_chart(hidden_grid(z, a, title=f"a{layer}"), config={"displayModeBar": False},
                                 key=f"{key}.hidden{layer}")
    top = contributions(params, fwd, winner, row=row)
    if top:
        title = f"**Units that push {winner} up the most** (a_j · W{len(params.Ws)}[j, {winner}])"
        pushes = [f"unit {c.unit}: +{c.push:.2f} = {c.activation:.2f} × {c.weight:.2f}" for c in top]
        if len(params.Ws) == 2:  # first-layer units: show what each looks for
            st.markdown(f"{title}. Each tile is a unit's 784 incoming weights W1[:, j] as a 28×28 image: "
                        "orange pixels excite it, purple ones inhibit it.")
            # one st.image with a list flows the tiles in rows, also on a phone (columns would stack them)
            st.image([incoming_png(params.digest, params, c.unit) for c in top], caption=pushes, width=96)
        else:
            st.markdown(title)
            st.caption(" · ".join(pushes))
