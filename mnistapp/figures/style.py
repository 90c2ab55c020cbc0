"""The look every figure shares: the palette and one layout helper.

Each colour means one thing on every page: blue is the network's answer (and what is selected), red is
a mistake, green is right, grey is everything else, and signed numbers (weights, attributions) run
from purple below zero through white to orange above, so no weight looks like an answer or a mistake.
"""
from __future__ import annotations

import math

import numpy as np

from mnistapp.catalogue import DECIMAL, PERCENT_SPACE, SOURCE, ntranslate, number, translate
from mnistapp.catalogue import percent as share

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


def percent(p: float, lang: str = SOURCE, digits: int = 1) -> str:
    """A probability or share as every page writes it, by default with one decimal: 0.997 -> "99.7%" in English,
    "99,7 %" in German; "<0.1%" and ">99.9%" for a value that is not exactly 0 or 1 (the catalogue's percent)."""
    return share(p, lang, digits)


def short_number(x: float, lang: str = SOURCE, spec: str = "g") -> str:
    """x in Python's format `spec` ("g": 0.001, 3e-05, 12), with `lang`'s decimal mark: "0,001" in German."""
    return format(x, spec).replace(".", DECIMAL[lang])


def sure(p: float, lang: str = SOURCE) -> str:
    """The confidence under a Prediction: "99.7% sure"."""
    return translate("{p} sure", lang).format(p=percent(p, lang))


def plural(n: float, one: str, many: str, lang: str = SOURCE) -> str:
    """n and the word for it in `lang`, from the catalogue's forms with an {n} placeholder, n as it reads (a whole
    number with thousands' marks, else two significant digits): plural(2.333, "{n} epoch", "{n} epochs") -> "2.3
    epochs", plural(1200, "{n} image", "{n} images", "de") -> "1.200 Bilder"."""
    whole = float(n).is_integer()
    text = number(n, lang, 0) if whole else f"{n:.2g}".replace(".", DECIMAL.get(lang, "."))
    return ntranslate(one, many, 1 if text == "1" else 2, lang).format(n=text)


PERCENT_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25)  # tick steps of a share axis


def percent_axis(lang: str, tickformat: str = ".0%", top: float = 1.0, bottom: float = 0.0) -> dict:
    """An axis of shares (0..1) with percentage ticks: Plotly's own `tickformat` where the % sign follows the
    number directly (English); else ticks from `bottom` to `top` (at most 7, a step of PERCENT_STEPS) written
    here, "40 %" with the language's decimal mark, since Plotly's % format cannot put a space before the sign."""
    if not PERCENT_SPACE.get(lang, ""):
        return dict(tickformat=tickformat)
    step = next((s for s in PERCENT_STEPS if (top - bottom) / s <= 6), PERCENT_STEPS[-1])
    digits = max(0, -math.floor(math.log10(100 * step)))  # 0.5 % -> one decimal, 2 % -> none
    values = np.round(np.arange(math.ceil(bottom / step - 1e-9) * step, top + step / 2, step), 6)
    return dict(tickmode="array", tickvals=values.tolist(),
                ticktext=[f"{100 * v:.{digits}f}".replace(".", DECIMAL[lang]) + PERCENT_SPACE[lang] + "%"
                          for v in values])


def number_marks(lang: str) -> dict:
    """Plotly's layout setting for `lang`'s decimal and thousands marks (in ticks and hover text); none for English,
    Plotly's own."""
    return {"separators": DECIMAL[lang] + ("." if DECIMAL[lang] == "," else ",")} if lang != SOURCE else {}


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
