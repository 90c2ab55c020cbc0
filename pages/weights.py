"""Weights: every number of the network as heatmaps, 28x28 tiles, bars and histograms, all downloadable.

Four lazy tabs, so a visit sends only what the open tab shows. The W1 heatmap is a PNG (0.3 MB) whose
values the browser fetches once for its hover (0.6 MB, mnistapp/heatmap_hover.py).
Derived data (test-set statistics, the big figures) is cached per model by its sha256 digest.
"""
from __future__ import annotations

import streamlit as st

from mnistapp.access import chart_alt
from mnistapp.deeper import deeper_units
from mnistapp.figures import alt_text as alt
from mnistapp.figures import weights as wf
from mnistapp.figures.pictures import pictures_html
from mnistapp.heatmap_hover import heatmap_hover
from mnistapp.i18n import N_, _, language, number
from mnistapp.model import current_params, current_scaling
from mnistapp.runtime import route_through_app
from mnistapp.session import (
    WEIGHTS_DIGIT,
    WEIGHTS_FIRST_COL,
    WEIGHTS_LAYER,
    WEIGHTS_ORDER,
    WEIGHTS_TAB,
    WEIGHTS_TILES,
    WEIGHTS_TILES_PHONE,
)
from mnistapp.weight_views import (
    MAX_HEATMAP_CELLS,
    ORDER_LABELS,
    cached_heatmap,
    cached_hover_values,
    cached_stats,
    cached_tiles,
    clip_slider,
    digit_picker,
    keep_selections,
    npy_button,
    pick_unit,
    tile_orders,
    unit_detail,
)
from mnistcore import Params
from mnistcore.explain.units import has_one_hidden_layer, templates, votes
from mnistcore.params import N_PIXELS

route_through_app()

TABS = [N_("W1 heatmap"), N_("W1 as images"), N_("W2 and templates"), N_("Biases and histograms")]
N_VOTERS = 10
WEIGHTS_HEATMAP = "weights.heatmap"
SHOWN_TAB = WEIGHTS_TAB + ".shown"  # the tabs widget, by its label in the visitor's language


def heatmap_tab(params: Params, clip: float) -> None:
    L = len(params.Ws)
    layer = 0
    if L > 1:
        layer = st.selectbox("Matrix", range(L), key=WEIGHTS_LAYER,
                             format_func=lambda l: f"W{l + 1} ({params.Ws[l].shape[0]}×{params.Ws[l].shape[1]})")
    W = params.Ws[layer]
    width = wf.column_window(*W.shape, MAX_HEATMAP_CELLS)
    start = 0
    if width < W.shape[1]:
        start = st.slider(_("First column shown ({n} at a time, to keep the page light)").format(n=width),
                          0, W.shape[1] - width, 0, step=max(1, width // 4), key=WEIGHTS_FIRST_COL)
    with st.spinner(_("Drawing the heatmap…")):
        fig = cached_heatmap(params.digest, params, layer, clip, start, language())
    st.plotly_chart(fig, key=WEIGHTS_HEATMAP, config=wf.png_config(f"W{layer + 1}"))
    heatmap_hover(WEIGHTS_HEATMAP, cached_hover_values(params.digest, params, layer, start), x0=start,
                  key="weights.heatmap_hover")
    chart_alt(alt.matrix_text(W, f"W{layer + 1}", lang=language()), "weights.heatmap")
    if layer == 0:
        st.caption(_("Row i is input pixel (r, c) with i = 28·r + c; column j is unit j, whose pre-activation "
                     "is z1[j] = Σᵢ x[i]·W1[i, j] + b1[j]. Each column is one unit's receptive field, unrolled: "
                     "the next tab shows them as 28×28 images."))
    npy_button(W, f"W{layer + 1}")


def tiles_tab(params: Params, clip: float) -> None:
    if len(params.Ws) > 2 and deeper_units(params, clip):  # a deeper layer's units were shown instead
        return
    with st.spinner(_("Running the 10,000 test images through the first layer…")):
        stats = cached_stats(params.digest, params, current_scaling())
    c1, c2 = st.columns([2, 3])
    by = c1.selectbox(_("Order the tiles by"), tile_orders(params, stats), key=WEIGHTS_ORDER,
                      format_func=lambda o: _(ORDER_LABELS[o]))
    with c2:
        digit = digit_picker() if by == "influence" else st.session_state[WEIGHTS_DIGIT]
    if stats is None:
        st.info(_("The MNIST test files are missing from data/, so the tiles can only be ordered by number "
                  "or norm, and no test images are shown."))
    # two grids, one shown: a phone's narrow grid keeps its tiles large enough to see and to tap
    st.html(wf.one_grid_css("weights.grid", "weights.grid_phone"))
    for box, key, phone in (("weights.grid", WEIGHTS_TILES, False), ("weights.grid_phone", WEIGHTS_TILES_PHONE, True)):
        with st.spinner(_("Drawing the tiles…")), st.container(key=box):
            fig, order = cached_tiles(params.digest, params, stats, by, digit, clip, language(), phone)
            st.plotly_chart(fig, key=key, on_select=pick_unit(order, key), selection_mode="points",
                            config=wf.png_config("W1_tiles"))
            chart_alt(alt.order_text(order, _(ORDER_LABELS[by]), lang=language()), key)
    st.caption(_("Each tile is one unit's {n} incoming weights W1[:, j] as a 28×28 image, laid out like "
                 "the input: ink on orange pixels excites the unit, ink on purple ones inhibits it. Tiles read left "
                 "to right, top to bottom. Click a tile to look at that unit.").format(n=N_PIXELS))
    unit_detail(params, stats, clip)


def last_layer_tab(params: Params, clip: float) -> None:
    L = len(params.Ws)
    if L == 1:
        st.info(_("This model has no hidden layer: W1 maps pixels straight to digits, and its 10 tiles in the "
                  "previous tab are the digit templates."))
        return
    W_last, name = params.Ws[-1], f"W{L}"
    st.plotly_chart(wf.class_heatmap(W_last, vmax=wf.symmetric_range(W_last, clip), name=name, lang=language()),
                    key="weights.w_last", config=wf.png_config(name))
    chart_alt(alt.matrix_text(W_last, name, lang=language()), "weights.w_last")
    st.caption(_("Row k is digit k; cell (k, j) is {name}[j, k], the vote of hidden unit j for digit k: "
                 "z{L}[k] = Σⱼ a{h}[j]·{name}[j, k] + b{L}[k].").format(name=name, L=L, h=L - 1))
    npy_button(W_last, name)
    digit = digit_picker()
    pros, cons = votes(W_last, digit, N_VOTERS)
    st.caption(_("A vote {name}[j, {k}] counts only as much as unit j fires (a = 0 casts no vote), so a loud "
                 "voter may rarely speak. To weigh the votes by how the units fire on the test set, order the "
                 "tiles by influence in the previous tab.").format(name=name, k=digit))
    left, right = st.columns(2, gap="large")
    with left:
        st.plotly_chart(wf.vote_bars(pros, cons, W_last[:, digit], digit=digit, name=name, lang=language()),
                        key="weights.votes", config=wf.png_config(f"{name}_votes_{digit}"))
        chart_alt(alt.votes_text(pros, cons, W_last[:, digit], digit, lang=language()), "weights.votes")
        if has_one_hidden_layer(params):
            vmax = wf.symmetric_range(params.Ws[0], clip)
            for title, group in ((_("Strongest for {k}").format(k=digit), pros[:6]),
                                 (_("Strongest against {k}").format(k=digit), cons[:6])):
                st.markdown(f"**{title}**")
                st.html(pictures_html(wf.field_pictures(params.Ws[0], group, vmax=vmax),
                                      [alt.image_text(params.Ws[0][:, j].reshape(28, 28),
                                                      _("Unit {j}'s incoming weights").format(j=j), lang=language()) for j in group],
                                      [_("unit {j}").format(j=j) for j in group], width=72))
    with right:
        if has_one_hidden_layer(params):
            T = templates(params)[digit]
            st.plotly_chart(wf.field_heatmap(T, vmax=wf.symmetric_range(T, clip), name=f"(W1 W2)[i, {digit}]",
                                             title=_("Template of {k}: W1 @ W2[:, {k}]").format(k=digit), lang=language()),
                            key="weights.template", config=wf.png_config(f"template_{digit}"))
            chart_alt(alt.image_text(T, _("Template of {k}").format(k=digit), lang=language()), "weights.template")
            st.caption(_("Every unit's receptive field weighted by its vote for {k}. If every ReLU were on, "
                         "logit {k} would be x · template + a constant, so ink on orange pixels would raise it. "
                         "The real network switches most units off for any one image, so this is a summary, "
                         "not the whole story.").format(k=digit))
        else:
            st.info(_("This model has {n} hidden layers. The template W1 @ W2[:, k] is a picture of the "
                      "network only when there is one, so it is not shown.").format(n=L - 1))


def biases_tab(params: Params) -> None:
    L = len(params.Ws)
    for l, b in enumerate(params.bs):
        name = f"b{l + 1}"
        st.plotly_chart(wf.bias_bars(b, layer=l, last=l == L - 1, lang=language()), key=f"weights.{name}", config=wf.png_config(name))
        chart_alt(alt.per_item_text(b, name, "digit" if l == L - 1 else "unit", lang=language()), f"weights.{name}")
    st.subheader(_("Histograms"))
    arrays = [(f"W{l + 1}", W) for l, W in enumerate(params.Ws)] + [(f"b{l + 1}", b) for l, b in enumerate(params.bs)]
    cols = st.columns(2)
    for n, (name, a) in enumerate(arrays):
        counts, edges = wf.histogram(a)
        cols[n % 2].plotly_chart(wf.value_histogram(counts, edges, name=name, lang=language()), key=f"weights.hist.{name}",
                                 config=wf.png_config(f"{name}_histogram"))
        chart_alt(alt.histogram_text(counts, edges, name, lang=language()), f"weights.hist.{name}", where=cols[n % 2])
    st.markdown(_("**The raw matrices** as NumPy `.npy` files: float32, each W shaped (inputs, outputs)"))
    for col, (name, a) in zip(st.columns(len(arrays)), arrays):
        with col:
            npy_button(a, name)


# --- the page -----------------------------------------------------------------------------------

params = current_params()
keep_selections(params)

st.title(_("Weights"))
st.caption(_("The {n} numbers of this {sizes} network: {shapes}. Orange is positive, purple negative. Hover for "
             "values, drag to zoom, double-click to zoom out; the camera icon saves a PNG.").format(
    n=number(params.n_params, 0), sizes="–".join(map(str, params.sizes)),
    shapes=", ".join(f"W{l + 1} {W.shape[0]}×{W.shape[1]}, b{l + 1} {len(b)}"
                     for l, (W, b) in enumerate(zip(params.Ws, params.bs)))))
clip = clip_slider(shown=st.session_state.get(WEIGHTS_TAB) != TABS[-1])  # the biases' bars have no colour range
labels = [_(t) for t in TABS]
st.session_state.setdefault(WEIGHTS_TAB, TABS[0])  # the English key, in every link from the first visit
st.session_state[SHOWN_TAB] = _(st.session_state[WEIGHTS_TAB])
tabs = st.tabs(labels, key=SHOWN_TAB,
               on_change=lambda: st.session_state.update({WEIGHTS_TAB: TABS[labels.index(st.session_state[SHOWN_TAB])]}))
for tab, show in zip(tabs, (lambda: heatmap_tab(params, clip), lambda: tiles_tab(params, clip),
                            lambda: last_layer_tab(params, clip), lambda: biases_tab(params))):
    if tab.open:  # lazy: only the open tab runs and is sent
        with tab:
            show()
