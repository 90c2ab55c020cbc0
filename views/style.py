"""The look every figure shares: the palette and one layout helper.

Colours have one meaning each across the app: the accent marks what is selected or asked about, green
and red mean right and wrong, and the diverging blue-white-red scale shows signed numbers (weights,
attributions): blue below zero, white at zero, red above.
"""
from __future__ import annotations

ACCENT, MUTED = "#ff4b4b", "#8c9bb0"
RIGHT, WRONG = "#2e9e6a", ACCENT
RIGHT_SCALE = [[0, "#d9f0e3"], [1, "#5fb98a"]]  # the confusion matrix's diagonal, light to dark
WRONG_SCALE = [[0, "#fde0dd"], [1, "#c51b3a"]]  # its mistakes
OUTLINE = "#262730"                             # a selected cell's frame: Streamlit's text colour
WRONG_RGB = (255, 75, 75)                       # ACCENT as RGB, for frames drawn into images
BLUE, WHITE, RED = (33, 102, 172), (247, 247, 247), (178, 24, 43)  # the diverging scale's ends and zero
DIVERGING = [[0.0, f"rgb{BLUE}"], [0.5, f"rgb{WHITE}"], [1.0, f"rgb{RED}"]]  # as a Plotly colorscale
GAP_RGB = (150, 150, 150)                       # NaN cells of a grid with gaps
GAP_COLOUR = "rgba(120,120,120,0.8)"            # the lines between tiles
DIGITS = [str(d) for d in range(10)]            # category labels of a per-digit axis


def layout(height: int, *, title: str | None = None, top: int | None = None, margin: dict | None = None,
           **extra) -> dict:
    """The frame of a figure: its height, tight margins, a transparent ground and an optional title.

    `top` is the top margin (room for a title or a legend), by default 32 px with a title, else 8.
    `margin` overrides any side; `extra` is passed to Plotly's layout as it is.
    """
    top = (32 if title else 8) if top is None else top
    frame = dict(height=height, margin=dict(l=8, r=8, t=top, b=8) | (margin or {}),
                 paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")
    if title:
        frame["title"] = dict(text=title, font=dict(size=14))
    return frame | extra
