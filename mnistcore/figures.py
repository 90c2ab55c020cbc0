"""Plotly figure builders for the Draw page and the views other pages reuse.

Each builder takes arrays and options and returns a `go.Figure`, with its own hover text and colour
range, and never calls Streamlit. Numbers are rounded so the JSON sent to the browser stays small.
"""
from __future__ import annotations

import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

DIGITS = [str(d) for d in range(10)]
ACCENT, MUTED = "#ff4b4b", "#8c9bb0"
BLUE, WHITE, RED = (33, 102, 172), (247, 247, 247), (178, 24, 43)  # the diverging scale's ends and zero
DIVERGING = [[0.0, f"rgb{BLUE}"], [0.5, f"rgb{WHITE}"], [1.0, f"rgb{RED}"]]  # as a Plotly colorscale
GRID_COLS = 32  # hidden units per row of the activation grid (512 -> 16 x 32)


def _layout(height: int, **extra) -> dict:
    return dict(height=height, margin=dict(l=8, r=8, t=28, b=8), paper_bgcolor="rgba(0,0,0,0)",
                plot_bgcolor="rgba(0,0,0,0)", **extra)


def _figure(trace: dict, layout: dict) -> go.Figure:
    # Built in one go and unvalidated: plotly's validation costs ~50 ms a figure, and these are rebuilt
    # on every stroke. tests/test_figures.py validates each builder's output instead.
    return go.Figure(data=[trace], layout=layout, _validate=False)


def _softmax_layout(annotations: list | tuple = ()) -> dict:
    """The softmax chart's frame, the same with and without bars, so the first stroke moves nothing."""
    return _layout(260, yaxis=dict(range=[0, 1.15], tickformat=".0%"), xaxis=dict(type="category"),
                   annotations=list(annotations))


def softmax_bars(probs: np.ndarray, logits: np.ndarray, *, winner: int | None = None,
                 true_label: int | None = None) -> go.Figure:
    """The ten probabilities as bars (the winner in the accent colour), logits in the hover and labels."""
    trace = dict(type="bar", x=DIGITS, y=np.round(probs, 4).tolist(),
                 marker=dict(color=[ACCENT if d == winner else MUTED for d in range(10)]),
                 text=[f"{p:.0%}" if p >= 0.005 else "" for p in probs], textposition="outside",
                 customdata=np.round(logits, 2).tolist(),
                 hovertemplate="digit %{x}<br>p = %{y:.4f}<br>logit z2 = %{customdata:.2f}<extra></extra>")
    annotations = [] if true_label is None else [
        dict(x=str(true_label), y=float(probs[true_label]), text="true", showarrow=True, arrowhead=2, ay=-30)]
    return _figure(trace, _softmax_layout(annotations))


def empty_bars() -> go.Figure:
    """The softmax chart's frame before there is anything to read: ten digits, no bars, no hover."""
    trace = dict(type="bar", x=DIGITS, y=[0] * 10, marker=dict(color=MUTED), hoverinfo="skip")
    return _figure(trace, _softmax_layout())


def hidden_grid(z: np.ndarray, a: np.ndarray, *, title: str = "hidden layer") -> go.Figure:
    """A layer's activations as a grid of GRID_COLS columns; hover names the unit, z and a."""
    n = len(a)
    rows = -(-n // GRID_COLS)
    as_grid = lambda v: np.pad(v.astype(float), (0, rows * GRID_COLS - n),  # noqa: E731
                               constant_values=np.nan).reshape(rows, GRID_COLS)
    units, zs, acts = as_grid(np.arange(n)), as_grid(np.round(z, 3)), as_grid(np.round(a, 3))
    trace = dict(type="heatmap", z=acts.tolist(), customdata=np.dstack([units, zs]).tolist(),
                 colorscale="Viridis", zmin=0, zmax=max(float(a.max()), 1e-6), xgap=1, ygap=1,
                 colorbar=dict(thickness=10, title=dict(text="a")),
                 hovertemplate="unit %{customdata[0]:.0f}<br>z = %{customdata[1]:.3f}<br>a = %{z:.3f}<extra></extra>")
    return _figure(trace, _layout(40 + 14 * rows, title=dict(text=title, font=dict(size=13)),
                                  xaxis=dict(visible=False),
                                  yaxis=dict(visible=False, autorange="reversed", scaleanchor="x")))


def gray_image(img: np.ndarray, scale: int = 1) -> np.ndarray:
    """(h, w) ink in [0, 1] -> (h*scale, w*scale) uint8, white ink on black, pixels kept sharp."""
    out = (np.clip(img, 0, 1) * 255).round().astype(np.uint8)
    return np.kron(out, np.ones((scale, scale), np.uint8)) if scale > 1 else out


def diverging_rgb(w: np.ndarray, vmax: float | None = None, scale: int = 1) -> np.ndarray:
    """(h, w) weights -> (h*scale, w*scale, 3) uint8: blue for negative, white at 0, red for positive."""
    vmax = float(np.abs(w).max()) if vmax is None else vmax
    t = np.clip(w / max(vmax, 1e-12), -1, 1)[..., None]                 # (h, w, 1) in [-1, 1]
    red, blue, white = np.array(RED), np.array(BLUE), np.array(WHITE)
    rgb = np.where(t > 0, white + t * (red - white), white - t * (blue - white)).round().astype(np.uint8)
    return np.kron(rgb, np.ones((scale, scale, 1), np.uint8)) if scale > 1 else rgb


def png_bytes(img: np.ndarray) -> bytes:
    """(h, w) or (h, w, 3) uint8 image -> PNG file bytes (for pictures cached once and sent as they are)."""
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()
