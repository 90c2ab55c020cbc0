"""Where an input lands: the map of the 10,000 test images in hidden space, a star for the input, and the
8 test images nearest to it (Draw page).

The map's 10,000 points cost ~400 kB of JSON. They are sent once: the map figure is built once per
model (cached by the model's digest), so on every stroke Streamlit produces the same message, and its
ForwardMsg cache (messages over 10 kB the browser already holds) sends only a reference to it. The
star and the neighbours' rings are a second, small chart of the same size and axes laid over the map
(its container's CSS lifts it onto the map and lets the pointer through to the map's hover).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from mnistcore import Forward, Params
from mnistcore.explain.hiddenmap import HiddenMap, fit_hidden_map, nearest, project
from mnistcore.preprocess import scale_uint8

from .access import chart_alt
from .expanders import lazy_expander
from .figures.alt_text import map_text
from .figures.draw import digit_colour_key, hidden_map, map_ranges, overlay_css, star_overlay
from .figures.images import thumbnail
from .figures.pictures import pictures_html
from .i18n import _, language
from .model import test_set
from .session import MAP_OPEN

if TYPE_CHECKING:  # figures are built in mnistapp.figures; here they are only cached and shown
    import plotly.graph_objects as go

N_NEIGHBOURS = 8
STAR_KEY = "draw-map-star"  # the overlay's container key; Streamlit gives it the CSS class st-key-<key>


@st.cache_resource(max_entries=4, show_spinner=False)  # the caller's spinner speaks the visitor's language
def fitted_map(digest: str, _params: Params) -> tuple[HiddenMap, tuple]:
    """The PCA map of the test set for one model and its axis ranges: fitted once per model."""
    hmap = fit_hidden_map(_params, scale_uint8(test_set()[0]))
    return hmap, map_ranges(hmap.points)


@st.cache_resource(max_entries=8)
def map_figure(digest: str, _hmap: HiddenMap, lang: str) -> go.Figure:
    """The map's figure, with its hover text in `lang`: built once per model and language."""
    return hidden_map(_hmap.points, test_set()[1], lang)


def cached_map(digest: str, _params: Params, lang: str = "en") -> tuple[HiddenMap, go.Figure, tuple]:
    """The PCA map of the test set for one model, its figure (words in `lang`) and axis ranges."""
    with st.spinner(_("Mapping the 10,000 test images in hidden space…")):
        hmap, ranges = fitted_map(digest, _params)
    return hmap, map_figure(digest, hmap, lang), ranges


@st.cache_resource(max_entries=8)
def map_chart(digest: str, _fig: go.Figure, key: str, lang: str = "en") -> None:
    """The map chart, made once per model: Streamlit keeps the element a cached function creates and
    replays it on later calls, so the 10,000 points are not copied and serialised again (~50-150 ms
    on a busy server) on each stroke, and the identical message is sent as a reference."""
    st.plotly_chart(_fig, config={"displayModeBar": False}, key=key)


def where_it_lands(params: Params, fwd: Forward, *, row: int = 0, key: str = "draw") -> None:
    """The map with the input's star, and the nearest test images as thumbnails with their labels.

    In an expander that is closed at first and computes nothing while closed: the map's fit takes seconds
    once per model, and the star and neighbours cost every stroke a few tens of ms."""
    box = lazy_expander(_("Where it lands in hidden space"), f"{key}{MAP_OPEN}")
    if not box.open:
        return
    with box:
        _map_views(params, fwd, row=row, key=key)


def _map_views(params: Params, fwd: Forward, *, row: int, key: str) -> None:
    lang = language()
    hmap, fig, ranges = cached_map(params.digest, params, lang)
    images, labels = test_set()
    a = fwd.activations[-1][row]
    star = project(hmap, a[None])[0]
    near = nearest(hmap, a, N_NEIGHBOURS)
    st.caption(_("Each dot is one of the 10,000 test images, placed by the first two principal components "
                 "of its hidden activations and coloured by its digit; the star is your input. "
                 "Hover a dot for its digit and index."))
    map_chart(params.digest, fig, key=f"{key}.map", lang=lang)
    st.html(overlay_css(STAR_KEY))  # a <style> alone takes no room, so the overlay's lift is exactly the map's height
    with st.container(key=STAR_KEY):
        st.plotly_chart(star_overlay(star, hmap.points[near], ranges), config={"displayModeBar": False,
                                                                                "staticPlot": True},
                        key=f"{key}.map_star")
    st.html(digit_colour_key(lang))
    chart_alt(map_text(star, labels[near], lang), f"{key}.map", f"{key}.map_star")  # the star is drawn over the map
    st.markdown(_("**The network finds your input most like these** (nearest in hidden space)"))
    st.html(pictures_html([thumbnail(images[i], scale=2) for i in near],  # data URLs: they change with each stroke
                          [_("Nearest test image {k}, a handwritten digit").format(k=k + 1) for k in range(len(near))],
                          [f"{labels[i]} · #{i}" for i in near], width=56))
