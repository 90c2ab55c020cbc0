"""How a figure builder gets its words in the visitor's language without importing the app's catalogue.

A builder takes `tr`, the caller's translate function (the page passes `mnistapp.i18n._`), and marks each
of its strings with `N_` so that `make strings` collects it: `tr(N_("digit"))`. The default `same` keeps
English, so a builder called without `tr` (a test, a script) draws what it always drew.
"""
from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go

Translate = Callable[[str], str]


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
