"""Plotly figure builders for the Draw page and the layer views other pages reuse: the softmax bars, a
hidden layer's grid, two models' bars side by side, and the map of the test set in hidden space.

Each builder takes arrays and options and returns a `go.Figure`, with its own hover text and colour
range, and never calls Streamlit. Numbers are rounded so the JSON sent to the browser stays small.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from mnistapp.catalogue import SOURCE, translate

from .style import ANSWER, DIGITS, MUTED, OUTLINE, key_selector, layout, number_marks, percent, percent_axis

GRID_COLS = 32  # cells per row of a grid of units: 512 hidden units -> 16 x 32, 512 W1 tiles -> 16 x 32
# every digit labelled: on a narrow chart Plotly's automatic ticks label only every other category
DIGIT_AXIS = dict(type="category", tickmode="array", tickvals=DIGITS, ticktext=DIGITS)
MAP_HEIGHT = 380  # px, the map and the star laid over it alike
# Ten colours from Okabe and Ito's and Paul Tol's colour-blind-safe sets, picked so that any two differ by
# CIEDE2000 10 or more with normal, protan and deutan vision, and each stands out on a light and a dark page
# (tests/test_palettes.py).
DIGIT_COLOURS = ["#0072B2", "#E69F00", "#44BB99", "#CC79A7", "#F0E442", "#AA3377", "#56B4E9", "#228833", "#EE6677",
                 "#332288"]


def _figure(traces: list[dict], frame: dict) -> go.Figure:
    # Built in one go and unvalidated: plotly's validation costs ~50 ms a figure, and these are rebuilt
    # on every stroke. tests/test_figures.py validates each builder's output instead.
    return go.Figure(data=traces, layout=frame, _validate=False)


def softmax_bars(probs: np.ndarray, logits: np.ndarray, *, winner: int | None = None,
                 true_label: int | None = None, lang: str = SOURCE) -> go.Figure:
    """The ten probabilities as bars (the winner in the answer colour), logits in the hover and labels."""
    trace = dict(type="bar", x=DIGITS, y=np.round(probs, 4).tolist(),
                 marker=dict(color=[ANSWER if d == winner else MUTED for d in range(10)]),
                 text=[percent(p, lang) if p >= 0.005 else "" for p in probs], textposition="outside",
                 customdata=np.round(logits, 2).tolist(),
                 hovertemplate=translate("digit %{x}<br>p = %{y:.4f}<br>logit z2 = %{customdata:.2f}", lang)
                 + "<extra></extra>")
    annotations = [] if true_label is None else [
        dict(x=str(true_label), y=float(probs[true_label]), text=translate("true", lang), showarrow=True, arrowhead=2,
             ay=-30)]
    return _figure([trace], layout(260, top=28, yaxis=dict(range=[0, 1.15], **percent_axis(lang)),
                                 xaxis=DIGIT_AXIS, annotations=annotations, **number_marks(lang)))


def hidden_grid(z: np.ndarray, a: np.ndarray, *, title: str = "hidden layer", lang: str = SOURCE) -> go.Figure:
    """A layer's activations as a grid of GRID_COLS columns; hover names the unit, z and a."""
    n = len(a)
    rows = -(-n // GRID_COLS)
    as_grid = lambda v: np.pad(v.astype(float), (0, rows * GRID_COLS - n),
                               constant_values=np.nan).reshape(rows, GRID_COLS)
    units, zs, acts = as_grid(np.arange(n)), as_grid(np.round(z, 3)), as_grid(np.round(a, 3))
    trace = dict(type="heatmap", z=acts.tolist(), customdata=np.dstack([units, zs]).tolist(),
                 colorscale="Viridis", zmin=0, zmax=max(float(a.max()), 1e-6), xgap=1, ygap=1,
                 colorbar=dict(thickness=10, title=dict(text="a")),
                 hovertemplate=translate("unit %{customdata[0]:.0f}<br>z = %{customdata[1]:.3f}<br>a = %{z:.3f}", lang)
                 + "<extra></extra>")
    return _figure([trace], layout(40 + 14 * rows, title=title, top=28, xaxis=dict(visible=False),
                                 yaxis=dict(visible=False, autorange="reversed", scaleanchor="x"), **number_marks(lang)))


def paired_bars(probs_a: np.ndarray, probs_b: np.ndarray, *, names: tuple[str, str],
                true_label: int | None = None, lang: str = SOURCE) -> go.Figure:
    """Two models' ten probabilities side by side per digit: the first in the answer colour, the second grey."""
    traces = [dict(type="bar", x=DIGITS, y=np.round(p, 4).tolist(), name=name, marker=dict(color=colour),
                   text=[percent(v, lang) if v >= 0.005 else "" for v in p], textposition="outside",
                   hovertemplate=f"{name}<br>" + translate("digit %{x}<br>p = %{y:.4f}", lang) + "<extra></extra>")
              for p, name, colour in ((probs_a, names[0], ANSWER), (probs_b, names[1], MUTED))]
    annotations = [] if true_label is None else [
        dict(x=str(true_label), y=1.08, text=translate("true", lang), showarrow=False)]
    # uniformtext: plotly.js shrinks an outside label to its bar's width, so beside another tall bar "100%"
    # came out half the size of "97%"; every label at one size, at least 10 px, even if wider than its bar
    return _figure(traces, layout(280, top=36, barmode="group",
                                  yaxis=dict(range=[0, 1.15], **percent_axis(lang)),
                                  xaxis=DIGIT_AXIS, annotations=annotations,
                                  legend=dict(orientation="h", y=1.12, x=0), uniformtext=dict(minsize=10, mode="show"),
                                  **number_marks(lang)))


def map_ranges(points: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """(n, 2) points -> axis ranges around every point with a 5 % margin (so a drawing that lands outside is rare)."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = 0.05 * (hi - lo)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0])), (float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def _map_frame(ranges: tuple[tuple[float, float], tuple[float, float]]) -> dict:
    """The map's frame, identical for the map and the overlay so their points line up."""
    axis = dict(showgrid=False, zeroline=False, showticklabels=False, fixedrange=True)
    return layout(MAP_HEIGHT, margin=dict(l=8, r=8, t=8, b=8), showlegend=False,
                  xaxis=axis | dict(range=list(ranges[0])), yaxis=axis | dict(range=list(ranges[1])))


def hidden_map(points: np.ndarray, labels: np.ndarray, lang: str = SOURCE) -> go.Figure:
    """(n, 2) mapped images as dots coloured by their (n,) digit labels; hover names the digit and the image's
    index."""
    traces = []
    for d in range(10):
        idx = np.flatnonzero(labels == d)
        # NumPy arrays, not lists: Plotly writes them as base64 typed arrays, which st.plotly_chart copies
        # and serialises in ~2 ms on each rerun instead of ~0.5 s for 20,000 floats as JSON text.
        traces.append(dict(type="scattergl", mode="markers", x=points[idx, 0].astype(np.float32),
                           y=points[idx, 1].astype(np.float32), customdata=idx.astype(np.int32), name=str(d),
                           marker=dict(size=3, color=DIGIT_COLOURS[d], opacity=0.6),
                           hovertemplate=translate("digit {d}<br>test image %{{customdata}}", lang).format(d=d)
                           + "<extra></extra>"))
    return _figure(traces, _map_frame(map_ranges(points)))


def star_overlay(star: np.ndarray, neighbours: np.ndarray, ranges) -> go.Figure:
    """The layer over `hidden_map`: the (2,) input as a star and rings round its (k, 2) neighbours' dots, on
    the map's `ranges`; transparent elsewhere."""
    rings = dict(type="scatter", mode="markers", x=np.round(neighbours[:, 0], 2).tolist(),
                 y=np.round(neighbours[:, 1], 2).tolist(), hoverinfo="skip",
                 marker=dict(size=11, color="rgba(0,0,0,0)", line=dict(width=1.5, color=OUTLINE)))
    mark = dict(type="scatter", mode="markers", x=[round(float(star[0]), 3)], y=[round(float(star[1]), 3)],
                hoverinfo="skip", marker=dict(symbol="star", size=22, color="#111111",
                                              line=dict(width=1.5, color="#ffffff")))
    return _figure([rings, mark], _map_frame(ranges))


def overlay_css(key: str) -> str:
    """A <style> that lifts the container `key` (holding `star_overlay`) onto the map chart just above it and
    lets the pointer through to the map's hover. A <style> alone takes no room, so the lift is the map's height."""
    return f"""<style>
{key_selector(key)} {{ margin-top: -{MAP_HEIGHT + 16}px; pointer-events: none; }}
{key_selector(key)} * {{ pointer-events: none !important; background: transparent !important; }}
</style>"""


def digit_colour_key(lang: str = SOURCE) -> str:
    """The map's colours as HTML: a dot in each digit's colour, and the digit."""
    return ("<div style='font-size:0.8rem;margin-top:4px'>" + translate("Colours:", lang) + " "
            + " ".join(f"<span style='color:{c}'>&#9679;</span>&nbsp;{d}" for d, c in enumerate(DIGIT_COLOURS))
            + "</div>")
