"""Plotly figure builders for the Draw page and the layer views other pages reuse.

Each builder takes arrays and options and returns a `go.Figure`, with its own hover text and colour
range, and never calls Streamlit. Numbers are rounded so the JSON sent to the browser stays small.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import ANSWER, DIGITS, MUTED, layout

GRID_COLS = 32  # cells per row of a grid of units: 512 hidden units -> 16 x 32, 512 W1 tiles -> 16 x 32


def _figure(trace: dict, frame: dict) -> go.Figure:
    # Built in one go and unvalidated: plotly's validation costs ~50 ms a figure, and these are rebuilt
    # on every stroke. tests/test_figures.py validates each builder's output instead.
    return go.Figure(data=[trace], layout=frame, _validate=False)


def softmax_bars(probs: np.ndarray, logits: np.ndarray, *, winner: int | None = None,
                 true_label: int | None = None) -> go.Figure:
    """The ten probabilities as bars (the winner in the answer colour), logits in the hover and labels."""
    trace = dict(type="bar", x=DIGITS, y=np.round(probs, 4).tolist(),
                 marker=dict(color=[ANSWER if d == winner else MUTED for d in range(10)]),
                 text=[f"{p:.0%}" if p >= 0.005 else "" for p in probs], textposition="outside",
                 customdata=np.round(logits, 2).tolist(),
                 hovertemplate="digit %{x}<br>p = %{y:.4f}<br>logit z2 = %{customdata:.2f}<extra></extra>")
    annotations = [] if true_label is None else [
        dict(x=str(true_label), y=float(probs[true_label]), text="true", showarrow=True, arrowhead=2, ay=-30)]
    return _figure(trace, layout(260, top=28, yaxis=dict(range=[0, 1.15], tickformat=".0%"),
                                 xaxis=dict(type="category"), annotations=annotations))


def hidden_grid(z: np.ndarray, a: np.ndarray, *, title: str = "hidden layer") -> go.Figure:
    """A layer's activations as a grid of GRID_COLS columns; hover names the unit, z and a."""
    n = len(a)
    rows = -(-n // GRID_COLS)
    as_grid = lambda v: np.pad(v.astype(float), (0, rows * GRID_COLS - n),
                               constant_values=np.nan).reshape(rows, GRID_COLS)
    units, zs, acts = as_grid(np.arange(n)), as_grid(np.round(z, 3)), as_grid(np.round(a, 3))
    trace = dict(type="heatmap", z=acts.tolist(), customdata=np.dstack([units, zs]).tolist(),
                 colorscale="Viridis", zmin=0, zmax=max(float(a.max()), 1e-6), xgap=1, ygap=1,
                 colorbar=dict(thickness=10, title=dict(text="a")),
                 hovertemplate="unit %{customdata[0]:.0f}<br>z = %{customdata[1]:.3f}<br>a = %{z:.3f}<extra></extra>")
    return _figure(trace, layout(40 + 14 * rows, title=title, top=28, xaxis=dict(visible=False),
                                 yaxis=dict(visible=False, autorange="reversed", scaleanchor="x")))
