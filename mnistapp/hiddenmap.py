"""Where an input lands: the map of the 10,000 test images in hidden space, a star for the input, and the
8 test images nearest to it (Draw page).

The map's 10,000 points cost ~400 kB of JSON. They are sent once: the map figure is built once per
model (cached by the model's digest), so on every stroke Streamlit produces the same message, and its
ForwardMsg cache (messages over 10 kB the browser already holds) sends only a reference to it. The
star and the neighbours' rings are a second, small chart of the same size and axes laid over the map
(its container's CSS lifts it onto the map and lets the pointer through to the map's hover).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from mnistcore import Forward, Params
from mnistcore.explain.hiddenmap import HiddenMap, fit_hidden_map, nearest, project
from mnistcore.preprocess import scale_uint8

from .expanders import lazy_expander
from .figures.images import png_data_url, thumbnail
from .figures.style import OUTLINE, layout
from .session import MAP_OPEN, test_set

HEIGHT = 380
N_NEIGHBOURS = 8
# Ten digits, ten hues (Plotly's T10): a categorical palette, not the answer/mistake colours
DIGIT_COLOURS = ["#4C78A8", "#F58518", "#E45756", "#72B7B2", "#54A24B", "#EECA3B", "#B279A2", "#FF9DA6",
                 "#9D755D", "#BAB0AC"]
STAR_KEY = "draw-map-star"  # the overlay's container key; Streamlit gives it the CSS class st-key-<key>


def _frame(ranges: tuple[tuple[float, float], tuple[float, float]], **extra) -> dict:
    """The map's frame, identical for the map and the overlay so their points line up."""
    axis = dict(showgrid=False, zeroline=False, showticklabels=False, fixedrange=True)
    return layout(HEIGHT, margin=dict(l=8, r=8, t=8, b=8), showlegend=False,
                  xaxis=axis | dict(range=list(ranges[0])), yaxis=axis | dict(range=list(ranges[1])), **extra)


def map_ranges(points: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """Axis ranges around every point with a 5 % margin (so a drawing that lands outside is rare)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = 0.05 * (hi - lo)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0])), (float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def hidden_map_figure(points: np.ndarray, labels: np.ndarray) -> go.Figure:
    """The mapped images as dots coloured by digit; hover names the digit and the test image's index."""
    ranges = map_ranges(points)
    traces = []
    for d in range(10):
        idx = np.flatnonzero(labels == d)
        # NumPy arrays, not lists: Plotly writes them as base64 typed arrays, which st.plotly_chart copies
        # and serialises in ~2 ms on each rerun instead of ~0.5 s for 20,000 floats as JSON text.
        traces.append(dict(type="scattergl", mode="markers", x=points[idx, 0].astype(np.float32),
                           y=points[idx, 1].astype(np.float32), customdata=idx.astype(np.int32), name=str(d),
                           marker=dict(size=3, color=DIGIT_COLOURS[d], opacity=0.6),
                           hovertemplate=f"digit {d}<br>test image %{{customdata}}<extra></extra>"))
    return go.Figure(data=traces, layout=_frame(ranges), _validate=False)


def star_figure(star: np.ndarray, neighbours: np.ndarray, ranges) -> go.Figure:
    """The overlay: the input as a star and rings round its neighbours' dots; transparent elsewhere."""
    rings = dict(type="scatter", mode="markers", x=np.round(neighbours[:, 0], 2).tolist(),
                 y=np.round(neighbours[:, 1], 2).tolist(), hoverinfo="skip",
                 marker=dict(size=11, color="rgba(0,0,0,0)", line=dict(width=1.5, color=OUTLINE)))
    mark = dict(type="scatter", mode="markers", x=[round(float(star[0]), 3)], y=[round(float(star[1]), 3)],
                hoverinfo="skip", marker=dict(symbol="star", size=22, color="#111111",
                                              line=dict(width=1.5, color="#ffffff")))
    return go.Figure(data=[rings, mark], layout=_frame(ranges), _validate=False)


@st.cache_resource(max_entries=4, show_spinner="Mapping the 10,000 test images in hidden space…")
def cached_map(digest: str, _params: Params) -> tuple[HiddenMap, go.Figure, tuple]:
    """The PCA map of the test set for one model, its figure and axis ranges: built once per model."""
    images, labels = test_set()
    hmap = fit_hidden_map(_params, scale_uint8(images))
    return hmap, hidden_map_figure(hmap.points, labels), map_ranges(hmap.points)


@st.cache_resource(max_entries=4)
def map_chart(digest: str, _fig: go.Figure, key: str) -> None:
    """The map chart, made once per model: Streamlit keeps the element a cached function creates and
    replays it on later calls, so the 10,000 points are not copied and serialised again (~50-150 ms
    on a busy server) on each stroke, and the identical message is sent as a reference."""
    st.plotly_chart(_fig, config={"displayModeBar": False}, key=key)


def map_text(star: np.ndarray, near_labels: np.ndarray) -> str:
    """The map in words: where the star is and what its neighbours are."""
    counts = np.bincount(near_labels, minlength=10)
    most = int(counts.argmax())
    return (f"Map: your input lands at ({star[0]:.1f}, {star[1]:.1f}); {counts[most]} of its "
            f"{len(near_labels)} nearest test images are {most}s "
            f"(their labels: {', '.join(map(str, near_labels.tolist()))}).")


_OVERLAY_CSS = f"""<style>
.st-key-{STAR_KEY} {{ margin-top: -{HEIGHT + 16}px; pointer-events: none; }}
.st-key-{STAR_KEY} * {{ pointer-events: none !important; background: transparent !important; }}
</style>"""


_COLOUR_KEY = ("<div style='font-size:0.8rem;margin-top:4px'>Colours: "
               + " ".join(f"<span style='color:{c}'>&#9679;</span>&nbsp;{d}" for d, c in enumerate(DIGIT_COLOURS))
               + "</div>")


def where_it_lands(params: Params, fwd: Forward, *, row: int = 0, key: str = "draw") -> None:
    """The map with the input's star, and the nearest test images as thumbnails with their labels.

    In an expander that is closed at first and computes nothing while closed: the map's fit takes seconds
    once per model, and the star and neighbours cost every stroke a few tens of ms."""
    box = lazy_expander("Where it lands in hidden space", f"{key}{MAP_OPEN}")
    if not box.open:
        return
    with box:
        _map_views(params, fwd, row=row, key=key)


def _map_views(params: Params, fwd: Forward, *, row: int, key: str) -> None:
    hmap, fig, ranges = cached_map(params.digest, params)
    images, labels = test_set()
    a = fwd.activations[-1][row]
    star = project(hmap, a[None])[0]
    near = nearest(hmap, a, N_NEIGHBOURS)
    st.caption("Each dot is one of the 10,000 test images, placed by the first two principal components "
               "of its hidden activations and coloured by its digit; the star is your input. "
               "Hover a dot for its digit and index.")
    map_chart(params.digest, fig, key=f"{key}.map")
    st.html(_OVERLAY_CSS)  # a <style> alone takes no room, so the overlay's lift is exactly the map's height
    with st.container(key=STAR_KEY):
        st.plotly_chart(star_figure(star, hmap.points[near], ranges), config={"displayModeBar": False,
                                                                               "staticPlot": True},
                        key=f"{key}.map_star")
    st.html(_COLOUR_KEY)
    st.caption(map_text(star, labels[near]))
    st.markdown("**The network finds your input most like these** (nearest in hidden space)")
    st.image([png_data_url(thumbnail(images[i], scale=2)) for i in near],  # data URLs: they change with each stroke
             caption=[f"{labels[i]} · #{i}" for i in near], width=56)
