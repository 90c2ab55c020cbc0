"""How a figure builder gets its words in the visitor's language without importing the app's catalogue.

A builder takes `tr`, the caller's translate function (the page passes `mnistapp.i18n._`), and marks each
of its strings with `N_` so that `make strings` collects it: `tr(N_("digit"))`. The default `same` keeps
English, so a builder called without `tr` (a test, a script) draws what it always drew.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import plotly.graph_objects as go

Translate = Callable[[str], str]
PERCENT_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25)  # tick steps of a share axis


def N_(text: str) -> str:
    """Mark `text` for the catalogue; the builder translates it with its `tr`."""
    return text


def same(text: str) -> str:
    """The translate function of English, the catalogue's source language."""
    return text


def separators(fig: go.Figure, tr: Translate) -> go.Figure:
    """Plotly's decimal and thousands marks in the figure's language: ".," in English, ",." in German."""
    # the decimal mark, then the thousands mark, as Plotly's layout.separators reads them
    return fig.update_layout(separators=tr(N_(".,")))


def percent_sign(tr: Translate) -> str:
    """The % sign as the language sets it after a number: "%" where the decimal mark is a point, a no-break
    space and "%" where it is a comma (German), as mnistapp.catalogue.percent writes it."""
    return "\u00a0%" if tr(N_(".,")) == ",." else "%"


def percent_axis(tr: Translate, tickformat: str = ".0%", top: float = 1.0, bottom: float = 0.0) -> dict:
    """An axis of shares (0..1) with percentage ticks: Plotly's own `tickformat` where the % sign follows the
    number directly (English); else ticks from `bottom` to `top` (at most 7, a step of PERCENT_STEPS) written
    here, "40 %" with the language's decimal mark, since Plotly's % format cannot put a space before the sign."""
    if percent_sign(tr) == "%":
        return dict(tickformat=tickformat)
    step = next((s for s in PERCENT_STEPS if (top - bottom) / s <= 6), PERCENT_STEPS[-1])
    digits = max(0, -math.floor(math.log10(100 * step)))  # 0.5 % -> one decimal, 2 % -> none
    values = np.round(np.arange(math.ceil(bottom / step - 1e-9) * step, top + step / 2, step), 6)
    decimal = tr(N_(".,"))[0]
    return dict(tickmode="array", tickvals=values.tolist(),
                ticktext=[f"{100 * v:.{digits}f}".replace(".", decimal) + percent_sign(tr) for v in values])
