"""The Weights page's pieces: its selections, the caches of its figures and test-set statistics, the
download button, and the selected unit's details under the tiles.

The figures come from `mnistapp.figures.weights`; the numbers from `mnistcore.explain.units`. Derived data
is cached per model by its sha256 digest.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from mnistcore import DataFileError, Params
from mnistcore.explain.units import ORDERS, UnitStats, has_one_hidden_layer, influence, unit_norms, unit_order, unit_stats
from mnistcore.params import SIDE
from mnistcore.preprocess import Scaling

from .access import chart_alt
from .catalogue import translate
from .figures import alt_text as alt
from .figures import weights as wf
from .figures.images import gray_image
from .figures.pictures import pictures_html
from .figures.style import short_number
from .i18n import N_, _, language, number, percent
from .model import test_set
from .scroll import scroll_into_view
from .session import (
    WEIGHTS_CLIP,
    WEIGHTS_DIGIT,
    WEIGHTS_LAYER,
    WEIGHTS_NPY,
    WEIGHTS_ORDER,
    WEIGHTS_SCROLL,
    WEIGHTS_TILES,
    WEIGHTS_UNIT,
)

if TYPE_CHECKING:  # figures are built in mnistapp.figures; here they are only cached and shown
    import plotly.graph_objects as go

MAX_HEATMAP_CELLS = 784 * 512  # a bigger matrix is shown a window of columns at a time
SORTED_BY = {"index": N_("W1 as {n} tiles of 28×28, ordered by unit number"),
             "norm": N_("W1 as {n} tiles of 28×28, ordered by norm"),
             "firing": N_("W1 as {n} tiles of 28×28, ordered by firing rate on the test set"),
             "influence": N_("W1 as {n} tiles of 28×28, ordered by mean push on digit {k}")}
# mnistcore.explain.units.ORDERS' names, for the visitor: the engine's keys, the catalogue's words
ORDER_LABELS = {"index": N_("unit number"),
                "norm": N_("norm of its incoming weights ‖W1[:, j]‖, largest first"),
                "firing": N_("how often it fires on the test set, most often first"),
                "influence": N_("its mean push a1[j]·W2[j, k] on a chosen digit k, most positive first")}
DEFAULTS = {WEIGHTS_UNIT: 0, WEIGHTS_DIGIT: 0, WEIGHTS_ORDER: "norm", WEIGHTS_LAYER: 0, WEIGHTS_CLIP: 99.5}


def keep_selections(params: Params) -> None:
    """Set the page's selections once; then re-set them on every run, because a closed tab does not draw its
    widgets and Streamlit would forget their values. A model of another shape may have fewer units or layers
    than the last one looked at."""
    for key, default in DEFAULTS.items():
        st.session_state[key] = st.session_state.get(key, default)
    st.session_state[WEIGHTS_UNIT] = min(st.session_state[WEIGHTS_UNIT], params.Ws[0].shape[1] - 1)
    st.session_state[WEIGHTS_LAYER] = min(st.session_state[WEIGHTS_LAYER], len(params.Ws) - 1)


def npy_button(a: np.ndarray, name: str) -> None:
    st.download_button(f"{name}.npy", data=lambda: wf.npy_bytes(a), file_name=f"{name}.npy",
                       mime="application/octet-stream", on_click="ignore", icon=":material/download:",
                       key=f"{WEIGHTS_NPY}{name}",
                       help=_("{name}, shape {shape}, float32: np.load('{name}.npy')").format(name=name, shape=a.shape))


def clip_slider(shown: bool) -> float:
    """The colour range's percentile: a slider where `shown` (a tab whose colours it sets), else the value kept."""
    if shown:
        st.columns([3, 2])[0].slider(
            _("Colour range: clip at this percentile of |weights|"), 90.0, 100.0, step=0.1, key=WEIGHTS_CLIP,
            help=_("The colours run from −v (purple) through 0 (white) to +v (orange), with v this percentile of the "
                   "matrix's absolute values, so a few outliers do not wash out the rest. 100 shows the full range."))
    return st.session_state[WEIGHTS_CLIP]


def digit_picker() -> int:
    return st.segmented_control(_("Digit k"), list(range(10)), key=WEIGHTS_DIGIT, required=True)


@st.cache_data(max_entries=4, show_spinner=False)  # the caller shows its spinner, in the visitor's language
def cached_stats(digest: str, _params: Params, scaling: Scaling) -> UnitStats | None:
    try:
        images = test_set()[0]
    except DataFileError:
        return None
    return unit_stats(_params, images, scaling=scaling)


# The big figures live under cache_resource: one shared, never-mutated object per model and option,
# rather than an unpickled copy on every rerun (st.plotly_chart only reads a figure).
@st.cache_resource(max_entries=8, show_spinner=False)
def cached_heatmap(digest: str, _params: Params, layer: int, clip: float, start: int, lang: str) -> go.Figure:
    W = _params.Ws[layer]
    return wf.matrix_heatmap(W, layer=layer, last=layer == len(_params.Ws) - 1, vmax=wf.symmetric_range(W, clip),
                             start=start, width=wf.column_window(*W.shape, MAX_HEATMAP_CELLS),
                             lang=lang)


@st.cache_resource(max_entries=8, show_spinner=False)
def cached_hover_values(digest: str, _params: Params, layer: int, start: int) -> bytes:
    """The values the heatmap of `cached_heatmap` names on hover (the same columns); the colour range
    changes only the picture."""
    W = _params.Ws[layer]
    return wf.hover_values(W[:, start:start + wf.column_window(*W.shape, MAX_HEATMAP_CELLS)])


@st.cache_resource(max_entries=16, show_spinner=False)
def cached_tiles(digest: str, _params: Params, _stats: UnitStats | None, by: str, digit: int,
                 clip: float, lang: str, phone: bool = False) -> tuple[go.Figure, np.ndarray]:
    W1 = _params.Ws[0]
    order = unit_order(_params, by, _stats, digit)
    hover = {"‖W1[:, j]‖": unit_norms(_params)}
    if _stats is not None:
        hover[translate("fires on (share of test images)", lang)] = _stats.firing_rate
        if by == "influence":
            hover[f"mean a1[j]·W2[j, {digit}]"] = influence(_params, _stats, digit)
    size = dict(cols=wf.PHONE_COLS, height=wf.phone_tiles_height(len(order))) if phone else {}
    fig = wf.unit_tiles(W1, order, vmax=wf.symmetric_range(W1, clip), hover=hover, **size,
                        title=translate(SORTED_BY[by], lang).format(n=len(order), k=digit), lang=lang)
    return fig, order


def tile_orders(params: Params, stats: UnitStats | None) -> list[str]:
    """The orders the tiles can take (keys of ORDERS): those that need the test set only with its statistics,
    influence only with one hidden layer. A choice not on offer for this model goes back to "norm"."""
    choices = [o for o in ORDERS if (stats is not None or o in ("index", "norm"))
               and (o != "influence" or has_one_hidden_layer(params))]
    if st.session_state[WEIGHTS_ORDER] not in choices:
        st.session_state[WEIGHTS_ORDER] = "norm"
    return choices


def pick_unit(order: np.ndarray, key: str = WEIGHTS_TILES):
    """The on_select of the tile grid made with `key`: a click on the tile at grid place p shows unit order[p] and
    scrolls to it."""
    def picked() -> None:
        points = st.session_state[key].selection.points
        if points:  # a marker's index is its tile's place in the grid
            st.session_state[WEIGHTS_UNIT] = int(order[points[0]["point_index"]])
            st.session_state[WEIGHTS_SCROLL] = True  # its details are below
    return picked


def unit_detail(params: Params, stats: UnitStats | None, clip: float) -> None:
    """The selected unit: its receptive field, bias, firing rate, votes, and the test images it likes; scrolled
    into view after a tile click."""
    with st.container(key="weights.unit_detail"):
        _unit_detail(params, stats, clip)
        if st.session_state.pop(WEIGHTS_SCROLL, False):  # a tile was clicked: its unit is here
            scroll_into_view("weights.unit_detail")


def _unit_detail(params: Params, stats: UnitStats | None, clip: float) -> None:
    W1, L = params.Ws[0], len(params.Ws)
    left, mid, right = st.columns([5, 3, 4], gap="medium")
    with left:
        unit = st.number_input(_("Unit j"), 0, W1.shape[1] - 1, key=WEIGHTS_UNIT, step=1, width=160)
        st.plotly_chart(wf.field_heatmap(W1[:, unit].reshape(SIDE, SIDE), vmax=wf.symmetric_range(W1, clip),
                                         name=f"W1[i, {unit}]", height=400, lang=language(),
                                         title=_("Receptive field of unit {j}").format(j=unit)),
                        key="weights.field", config=wf.png_config(f"W1_unit{unit}"))
        chart_alt(alt.image_text(W1[:, unit].reshape(SIDE, SIDE), f"W1[i, {unit}]", lang=language()), "weights.field")
    with mid:
        st.metric(_("Bias b1[{j}]").format(j=unit), short_number(params.bs[0][unit], language(), "+.3g"))
        if stats is not None:
            st.metric(_("Fires on"), percent(stats.firing_rate[unit], 1),
                      help=_("of the 10,000 test images: the share where z1[j] > 0"))
        if L == 2:
            st.plotly_chart(wf.digit_bars(params.Ws[1][unit], name=f"W2[{unit}, k]", title=_("How unit {j} votes").format(j=unit),
                                          lang=language()),
                            key="weights.unit_votes", config=wf.png_config(f"W2_row{unit}"))
            chart_alt(alt.per_item_text(params.Ws[1][unit], f"W2[{unit}, k]", lang=language()), "weights.unit_votes")
        elif L == 1:
            st.caption(_("With no hidden layer, column {j} of W1 is digit {j}'s template: "
                         "z[{j}] = x · W1[:, {j}] + b1[{j}].").format(j=unit))
        else:
            st.caption(_("This model has {n} hidden layers, so unit {j} votes through later layers, "
                         "not straight for a digit.").format(n=L - 1, j=unit))
    with right:
        if stats is not None:
            images, labels = test_set()
            st.markdown("**" + _("Test images that excite unit {j} most").format(j=unit) + "**")
            idx = stats.top_images[unit]
            st.html(pictures_html([gray_image(images[i] / 255, scale=2) for i in idx],
                                  [_("Test image {i}, a handwritten {d}").format(i=i, d=labels[i]) for i in idx],
                                  [_("a {d} · z1 {z}").format(d=labels[i], z=number(z, 1))
                                   for i, z in zip(idx, stats.top_z[unit])], width=72))
