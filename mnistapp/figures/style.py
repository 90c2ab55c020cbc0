"""The look every figure shares: the palette and one layout helper.

Each colour means one thing on every page: blue is the network's answer (and what is selected), red is
a mistake, green is right, grey is everything else, and signed numbers (weights, attributions) run
from purple below zero through white to orange above, so no weight looks like an answer or a mistake.
"""
from __future__ import annotations

ANSWER, MUTED = "#1b62d1", "#8c9bb0"           # the answer (winning bar, selection); everything else
RIGHT, WRONG = "#2e9e6a", "#d93a3a"              # right and wrong answers
# The confusion matrix: the diagonal light to dark in bluish green, its mistakes in red, each scale's light end
# far enough from the page (light and dark) and from the other scale to tell apart with red-green colour
# blindness too (tests/test_palettes.py simulates it).
RIGHT_SCALE = [[0, "#94cec7"], [1, "#2a9d8f"]]
WRONG_SCALE = [[0, "#e08570"], [1, "#cc3311"]]
OUTLINE = "#262730"                             # a selected cell's frame: Streamlit's text colour
WRONG_RGB = (217, 58, 58)                       # WRONG as RGB, for frames drawn into images
NEGATIVE, ZERO, POSITIVE = (94, 60, 153), (247, 247, 247), (230, 97, 1)  # the diverging scale (PuOr)
DIVERGING = [[0.0, f"rgb{NEGATIVE}"], [0.5, f"rgb{ZERO}"], [1.0, f"rgb{POSITIVE}"]]  # as a Plotly colorscale
GAP_RGB = (150, 150, 150)                       # NaN cells of a grid with gaps
GAP_COLOUR = "rgba(120,120,120,0.8)"            # the lines between tiles
DIGITS = [str(d) for d in range(10)]            # category labels of a per-digit axis


def percent(p: float) -> str:
    """A probability or share as every page writes it: one decimal, 0.997 -> "99.7%". A value that is not
    exactly 0 or 1 never reads as one: "<0.1%" and ">99.9%" (mnistapp/interim.js's percent does the same)."""
    p = float(p)
    if 0 < p < 0.0005:
        return "<0.1%"
    if 0.9995 <= p < 1:
        return ">99.9%"
    return f"{100 * p:.1f}%"


def sure(p: float) -> str:
    """The confidence under a Prediction: "99.7% sure"."""
    return f"{percent(p)} sure"


def plural(n: float, word: str, words: str | None = None) -> str:
    """n and the word for it, n as it reads (a whole number with thousands' commas, else two significant digits):
    plural(1, "epoch") -> "1 epoch", plural(2.333, "epoch") -> "2.3 epochs", plural(1200, "image") -> "1,200 images"."""
    text = f"{int(n):,}" if float(n).is_integer() else f"{n:.2g}"
    return f"{text} {word if text == '1' else words or word + 's'}"


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
        # on the left: Plotly's toolbar shows at the top right, over a centred title on a narrow chart
        frame["title"] = dict(text=title, font=dict(size=14), x=0, xanchor="left", xref="paper")
    return frame | extra


def key_selector(key: str) -> str:
    """The CSS selector of the element or container made with `key`: Streamlit gives it the class st-key-<key>,
    a dot in the key turned into a dash."""
    return ".st-key-" + key.replace(".", "-")
