"""The exact value under the pointer for a heatmap sent as a PNG (`figures.weights.weight_heatmap`).

A Streamlit components-v2 element with no HTML of its own (JS in heatmap_hover.js beside this file): the
browser fetches the heatmap's values once, as one of Streamlit's media files over HTTP (stored once
per server by content, not sent through each session's websocket), and names W[i, j] on hover.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from .figures.style import key_selector
from .runtime import media_url

# Inline html needs a newline: Streamlit takes a one-line string with a "/" for a file path.
_mount = st.components.v2.component("mnist.heatmap_hover", html="<span hidden></span>\n",
                                    js=Path(__file__).with_name("heatmap_hover.js").read_text())


def heatmap_hover(chart_key: str, values: bytes, *, x0: int, key: str) -> None:
    """Name each cell's value on hover over the chart made with `chart_key`; values: `hover_values`' bytes
    of the matrix shown, whose first column is column x0 of the whole (the heatmap's `col_offset`)."""
    url = media_url(values, "application/octet-stream", coordinates=key)
    _mount(key=key, data={"chart": key_selector(chart_key), "url": url, "x0": x0}, width="content", height="content")
