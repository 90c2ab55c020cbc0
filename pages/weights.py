"""Weights: every number of the network as heatmaps, 28x28 tiles, bars and histograms, all downloadable.

Four lazy tabs, so a visit sends only what the open tab shows (the W1 heatmap alone is 2.1 MB).
Derived data (test-set statistics, the big figures) is cached per model by its sha256 digest.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from mnistapp.deeper import deeper_units
from mnistapp.figures import alt_text as alt
from mnistapp.figures import weights as wf
from mnistapp.figures.draw import GRID_COLS
from mnistapp.figures.images import diverging_rgb, gray_image
from mnistapp.figures.weights import column_window, histogram, npy_bytes, symmetric_range, tile_centres, tile_grid
from mnistapp.model import current_params, current_scaling, test_set
from mnistapp.runtime import route_through_app
from mnistapp.scroll import scroll_into_view
from mnistapp.session import (
    WEIGHTS_CLIP,
    WEIGHTS_DIGIT,
    WEIGHTS_FIRST_COL,
    WEIGHTS_LAYER,
    WEIGHTS_NPY,
    WEIGHTS_ORDER,
    WEIGHTS_SCROLL,
    WEIGHTS_TAB,
    WEIGHTS_TILES,
    WEIGHTS_UNIT,
)
from mnistcore import DataFileError, Params
from mnistcore.explain.units import (
    ORDERS,
    UnitStats,
    has_one_hidden_layer,
    influence,
    templates,
    unit_norms,
    unit_order,
    unit_stats,
    votes,
)
from mnistcore.params import N_PIXELS, SIDE
from mnistcore.preprocess import Scaling

route_through_app()

TABS = ["W1 heatmap", "W1 as images", "W2 and templates", "Biases and histograms"]
MAX_HEATMAP_CELLS = 784 * 512  # a bigger matrix is shown a window of columns at a time
N_VOTERS = 10
SORTED_BY = {"index": "unit number", "norm": "norm", "firing": "firing rate on the test set",
             "influence": "mean push on digit {k}"}
DEFAULTS = {WEIGHTS_UNIT: 0, WEIGHTS_DIGIT: 0, WEIGHTS_ORDER: "norm", WEIGHTS_LAYER: 0}


def png_config(name: str) -> dict:
    """Plotly's toolbar with its 'download as PNG' button, saving under a meaningful file name."""
    return {"displaylogo": False, "toImageButtonOptions": {"filename": name, "scale": 2}}


def npy_button(a: np.ndarray, name: str) -> None:
    st.download_button(f"{name}.npy", data=lambda: npy_bytes(a), file_name=f"{name}.npy",
                       mime="application/octet-stream", on_click="ignore", icon=":material/download:",
                       key=f"{WEIGHTS_NPY}{name}", help=f"{name}, shape {a.shape}, float32: np.load('{name}.npy')")


def digit_picker() -> int:
    return st.segmented_control("Digit k", list(range(10)), key=WEIGHTS_DIGIT, required=True)


@st.cache_data(max_entries=4, show_spinner="Running the 10,000 test images through the first layer…")
def cached_stats(digest: str, _params: Params, scaling: Scaling) -> UnitStats | None:
    try:
        images, _ = test_set()
    except DataFileError:
        return None
    return unit_stats(_params, images, scaling=scaling)


# The two big figures live under cache_resource: one shared, never-mutated object per model and option,
# rather than a 2 MB unpickled copy on every rerun (st.plotly_chart only reads a figure).
@st.cache_resource(max_entries=8, show_spinner="Drawing the heatmap…")
def cached_heatmap(digest: str, _params: Params, layer: int, clip: float, start: int) -> go.Figure:
    W = _params.Ws[layer]
    width = column_window(*W.shape, MAX_HEATMAP_CELLS)
    pixels = layer == 0 and W.shape[0] == N_PIXELS
    return wf.weight_heatmap(W[:, start:start + width], vmax=symmetric_range(W, clip), name=f"W{layer + 1}",
                             rows_are_pixels=pixels, row_name="input" if pixels else f"unit of layer {layer}",
                             col_name="hidden unit" if layer < len(_params.Ws) - 1 else "digit",
                             col_offset=start, title=f"W{layer + 1}: {W.shape[0]} inputs × {W.shape[1]} outputs")


@st.cache_resource(max_entries=16, show_spinner="Drawing the tiles…")
def cached_tiles(digest: str, _params: Params, _stats: UnitStats | None, by: str, digit: int,
                 clip: float) -> tuple[go.Figure, np.ndarray]:
    W1 = _params.Ws[0]
    order = unit_order(_params, by, _stats, digit)
    names, columns = ["‖W1[:, j]‖"], [unit_norms(_params)]
    if _stats is not None:
        names.append("fires on (share of test images)")
        columns.append(_stats.firing_rate)
        if by == "influence":
            names.append(f"mean a1[j]·W2[j, {digit}]")
            columns.append(influence(_params, _stats, digit))
    fig = wf.weight_tiles(tile_grid(W1, order, GRID_COLS, gap=0), vmax=symmetric_range(W1, clip), units=order,
                          centres=tile_centres(len(order), GRID_COLS, gap=0),
                          hover=np.column_stack([c[order] for c in columns]), hover_names=tuple(names),
                          title=f"W1 as {len(order)} tiles of 28×28, ordered by " + SORTED_BY[by].format(k=digit))
    return fig, order


def heatmap_tab(params: Params, clip: float) -> None:
    L = len(params.Ws)
    layer = 0
    if L > 1:
        layer = st.selectbox("Matrix", range(L), key=WEIGHTS_LAYER,
                             format_func=lambda l: f"W{l + 1} ({params.Ws[l].shape[0]}×{params.Ws[l].shape[1]})")
    W = params.Ws[layer]
    width = column_window(*W.shape, MAX_HEATMAP_CELLS)
    start = 0
    if width < W.shape[1]:
        start = st.slider(f"First column shown ({width} at a time, to keep the page light)",
                          0, W.shape[1] - width, 0, step=max(1, width // 4), key=WEIGHTS_FIRST_COL)
    st.plotly_chart(cached_heatmap(params.digest, params, layer, clip, start), key="weights.heatmap",
                    config=png_config(f"W{layer + 1}"))
    st.caption(alt.matrix_text(W, f"W{layer + 1}"))
    if layer == 0:
        st.caption("Row i is input pixel (r, c) with i = 28·r + c; column j is unit j, whose pre-activation "
                   "is z1[j] = Σᵢ x[i]·W1[i, j] + b1[j]. Each column is one unit's receptive field, unrolled: "
                   "the next tab shows them as 28×28 images.")
    npy_button(W, f"W{layer + 1}")


def tiles_tab(params: Params, clip: float) -> None:
    if len(params.Ws) > 2 and deeper_units(params, clip):  # a deeper layer's units were shown instead
        return
    stats = cached_stats(params.digest, params, current_scaling())
    choices = [o for o in ORDERS if (stats is not None or o in ("index", "norm"))
               and (o != "influence" or has_one_hidden_layer(params))]
    if st.session_state[WEIGHTS_ORDER] not in choices:
        st.session_state[WEIGHTS_ORDER] = "norm"
    c1, c2 = st.columns([2, 3])
    by = c1.selectbox("Order the tiles by", choices, key=WEIGHTS_ORDER, format_func=ORDERS.get)
    with c2:
        digit = digit_picker() if by == "influence" else st.session_state[WEIGHTS_DIGIT]
    if stats is None:
        st.info("The MNIST test files are missing from data/, so the tiles can only be ordered by number "
                "or norm, and no test images are shown.")
    fig, order = cached_tiles(params.digest, params, stats, by, digit, clip)

    def pick_unit(order=order) -> None:  # bound to the order of the grid that was clicked
        points = st.session_state[WEIGHTS_TILES].selection.points
        if points:  # a marker's index is its tile's place in the grid
            st.session_state[WEIGHTS_UNIT] = int(order[points[0]["point_index"]])
            st.session_state[WEIGHTS_SCROLL] = True  # its details are below

    st.html(wf.tiles_fit_css(WEIGHTS_TILES, len(order), GRID_COLS))
    st.plotly_chart(fig, key=WEIGHTS_TILES, on_select=pick_unit, selection_mode="points",
                    config=png_config("W1_tiles"))
    st.caption(alt.order_text(order, ORDERS[by]))
    st.caption(f"Each tile is one unit's {N_PIXELS} incoming weights W1[:, j] as a 28×28 image, laid out like "
               "the input: ink on orange pixels excites the unit, ink on purple ones inhibits it. Tiles read left to "
               "right, top to bottom. Click a tile to look at that unit.")
    with st.container(key="weights.unit_detail"):
        unit_detail(params, stats, clip)
        if st.session_state.pop(WEIGHTS_SCROLL, False):  # a tile was clicked: its unit is here
            scroll_into_view("weights.unit_detail")


def unit_detail(params: Params, stats: UnitStats | None, clip: float) -> None:
    """The selected unit: its receptive field, bias, firing rate, votes, and the test images it likes."""
    W1, L = params.Ws[0], len(params.Ws)
    left, mid, right = st.columns([5, 3, 4], gap="medium")
    with left:
        unit = st.number_input("Unit j", 0, W1.shape[1] - 1, key=WEIGHTS_UNIT, step=1, width=160)
        st.plotly_chart(wf.field_heatmap(W1[:, unit].reshape(SIDE, SIDE), vmax=symmetric_range(W1, clip),
                                         name=f"W1[i, {unit}]", title=f"Receptive field of unit {unit}", height=400),
                        key="weights.field", config=png_config(f"W1_unit{unit}"))
        st.caption(alt.image_text(W1[:, unit].reshape(SIDE, SIDE), f"W1[i, {unit}]"))
    with mid:
        st.metric(f"Bias b1[{unit}]", f"{params.bs[0][unit]:+.3g}")
        if stats is not None:
            st.metric("Fires on", f"{stats.firing_rate[unit]:.1%}",
                      help="of the 10,000 test images: the share where z1[j] > 0")
        if L == 2:
            st.plotly_chart(wf.digit_bars(params.Ws[1][unit], name=f"W2[{unit}, k]", title=f"How unit {unit} votes"),
                            key="weights.unit_votes", config=png_config(f"W2_row{unit}"))
            st.caption(alt.per_item_text(params.Ws[1][unit], f"W2[{unit}, k]"))
        elif L == 1:
            st.caption(f"With no hidden layer, column {unit} of W1 is digit {unit}'s template: "
                       f"z[{unit}] = x · W1[:, {unit}] + b1[{unit}].")
        else:
            st.caption(f"This model has {L - 1} hidden layers, so unit {unit} votes through later layers, "
                       "not straight for a digit.")
    with right:
        if stats is not None:
            images, labels = test_set()
            st.markdown(f"**Test images that excite unit {unit} most**")
            idx = stats.top_images[unit]
            st.image([gray_image(images[i] / 255, scale=2) for i in idx],
                     caption=[f"a {labels[i]} · z1 {z:.1f}" for i, z in zip(idx, stats.top_z[unit])], width=72)


def last_layer_tab(params: Params, clip: float) -> None:
    L = len(params.Ws)
    if L == 1:
        st.info("This model has no hidden layer: W1 maps pixels straight to digits, and its 10 tiles in the "
                "previous tab are the digit templates.")
        return
    W_last, name = params.Ws[-1], f"W{L}"
    st.plotly_chart(wf.class_heatmap(W_last, vmax=symmetric_range(W_last, clip), name=name),
                    key="weights.w_last", config=png_config(name))
    st.caption(alt.matrix_text(W_last, name))
    st.caption(f"Row k is digit k; cell (k, j) is {name}[j, k], the vote of hidden unit j for digit k: "
               f"z{L}[k] = Σⱼ a{L - 1}[j]·{name}[j, k] + b{L}[k].")
    npy_button(W_last, name)
    digit = digit_picker()
    pros, cons = votes(W_last, digit, N_VOTERS)
    st.caption(f"A vote {name}[j, {digit}] counts only as much as unit j fires (a = 0 casts no vote), so a loud "
               "voter may rarely speak. To weigh the votes by how the units fire on the test set, order the "
               "tiles by influence in the previous tab.")
    left, right = st.columns(2, gap="large")
    with left:
        st.plotly_chart(wf.vote_bars(pros, cons, W_last[:, digit], digit=digit, name=name),
                        key="weights.votes", config=png_config(f"{name}_votes_{digit}"))
        st.caption(alt.votes_text(pros, cons, W_last[:, digit], digit))
        if has_one_hidden_layer(params):
            vmax = symmetric_range(params.Ws[0], clip)
            for title, group in ((f"Strongest for {digit}", pros[:6]), (f"Strongest against {digit}", cons[:6])):
                st.markdown(f"**{title}**")
                st.image([diverging_rgb(params.Ws[0][:, j].reshape(SIDE, SIDE), vmax, scale=3) for j in group],
                         caption=[f"unit {j}" for j in group], width=72)
    with right:
        if has_one_hidden_layer(params):
            T = templates(params)[digit]
            st.plotly_chart(wf.field_heatmap(T, vmax=symmetric_range(T, clip), name=f"(W1 W2)[i, {digit}]",
                                             title=f"Template of {digit}: W1 @ W2[:, {digit}]"),
                            key="weights.template", config=png_config(f"template_{digit}"))
            st.caption(alt.image_text(T, f"Template of {digit}"))
            st.caption(f"Every unit's receptive field weighted by its vote for {digit}. If every ReLU were on, "
                       f"logit {digit} would be x · template + a constant, so ink on orange pixels would raise it. "
                       "The real network switches most units off for any one image, so this is a summary, "
                       "not the whole story.")
        else:
            st.info(f"This model has {L - 1} hidden layers. The template W1 @ W2[:, k] is a picture of the "
                    "network only when there is one, so it is not shown.")


def biases_tab(params: Params) -> None:
    L = len(params.Ws)
    for l, b in enumerate(params.bs):
        name = f"b{l + 1}"
        fig = (wf.digit_bars(b, name=name, title=f"{name}: one bias per digit") if l == L - 1
               else wf.unit_bars(b, name=name, title=f"{name}: one bias per unit of layer {l + 1}"))
        st.plotly_chart(fig, key=f"weights.{name}", config=png_config(name))
        st.caption(alt.per_item_text(b, name, "digit" if l == L - 1 else "unit"))
    st.subheader("Histograms")
    arrays = [(f"W{l + 1}", W) for l, W in enumerate(params.Ws)] + [(f"b{l + 1}", b) for l, b in enumerate(params.bs)]
    cols = st.columns(2)
    for n, (name, a) in enumerate(arrays):
        counts, edges = histogram(a)
        cols[n % 2].plotly_chart(wf.value_histogram(counts, edges, name=name), key=f"weights.hist.{name}",
                                 config=png_config(f"{name}_histogram"))
        cols[n % 2].caption(alt.histogram_text(counts, edges, name))
    st.markdown("**The raw matrices** as NumPy `.npy` files: float32, each W shaped (inputs, outputs)")
    for col, (name, a) in zip(st.columns(len(arrays)), arrays):
        with col:
            npy_button(a, name)


# --- the page -----------------------------------------------------------------------------------

params = current_params()
for key, default in DEFAULTS.items():
    # Set once; then re-set on every run, because a closed tab does not draw its widgets and Streamlit
    # would forget their values.
    st.session_state[key] = st.session_state.get(key, default)
# A model of another shape may have fewer units or layers than the last one looked at.
st.session_state[WEIGHTS_UNIT] = min(st.session_state[WEIGHTS_UNIT], params.Ws[0].shape[1] - 1)
st.session_state[WEIGHTS_LAYER] = min(st.session_state[WEIGHTS_LAYER], len(params.Ws) - 1)

st.title("Weights")
st.caption(f"The {params.n_params:,} numbers of this {'–'.join(map(str, params.sizes))} network: "
           + ", ".join(f"W{l + 1} {W.shape[0]}×{W.shape[1]}, b{l + 1} {len(b)}"
                       for l, (W, b) in enumerate(zip(params.Ws, params.bs)))
           + ". Orange is positive, purple negative. Hover for values, drag to zoom, double-click to zoom out; "
           "the camera icon saves a PNG.")
clip = st.columns([3, 2])[0].slider(
    "Colour range: clip at this percentile of |weights|", 90.0, 100.0, 99.5, 0.1, key=WEIGHTS_CLIP,
    help="The colours run from −v (purple) through 0 (white) to +v (orange), with v this percentile of the "
         "matrix's absolute values, so a few outliers do not wash out the rest. 100 shows the full range.")
tabs = st.tabs(TABS, key=WEIGHTS_TAB, on_change="rerun")
for tab, show in zip(tabs, (lambda: heatmap_tab(params, clip), lambda: tiles_tab(params, clip),
                            lambda: last_layer_tab(params, clip), lambda: biases_tab(params))):
    if tab.open:  # lazy: only the open tab runs and is sent
        with tab:
            show()
