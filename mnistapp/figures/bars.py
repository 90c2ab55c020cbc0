"""The softmax bars as a little HTML chart, for views that change with every stroke.

A Plotly bar chart would be the Draw page's biggest cost while the pen moves: in Chromium's profile of three
drawn digits, plotly.js redrawing ten bars on every send takes about a third of the page's busy time.
This chart is a `st.html` block of ten <div>s: the server writes a short string and the browser swaps it
in. Each bar's tooltip gives the digit, its probability and its logit, as a Plotly hover would.
"""
from __future__ import annotations

import html

import numpy as np

from mnistapp.catalogue import SOURCE, number, translate

from .alt_text import bars_text
from .style import ANSWER, MUTED, percent

HEIGHT = 180  # px of a bar at p = 1; the whole chart, with its labels, is 240 px high
CSS = f"""<style>
.softmax-bars {{ display: flex; align-items: flex-end; gap: 0.4rem; height: {HEIGHT + 60}px; }}
.softmax-bars .col {{ flex: 1; display: flex; flex-direction: column; align-items: center; justify-content: flex-end;
  height: 100%; font-size: 0.8rem; }}
.softmax-bars .bar {{ width: 100%; border-radius: 3px 3px 0 0; }}
.softmax-bars .digit {{ width: 100%; text-align: center; border-top: 1px solid rgba(128, 128, 128, 0.5);
  font-size: 0.9rem; padding-top: 2px; }}
.softmax-bars .true {{ font-weight: 700; }}
.softmax-alt {{ font-size: 0.875rem; opacity: 0.75; margin: 0.25rem 0 0; }}
</style>"""


def softmax_bars_html(probs: np.ndarray | None, logits: np.ndarray | None = None, *, winner: int | None = None,
                      true_label: int | None = None, lang: str = SOURCE) -> str:
    """(10,) probabilities (None: an empty chart, the same size) -> the chart as HTML: the winner's bar in the
    answer colour, percentages above the bars, the digit you meant marked "(true)" under its bar."""
    cols = []
    for d in range(10):
        p = 0.0 if probs is None else float(probs[d])
        tip = "" if probs is None else (
            translate("digit {d}: p = {p}", lang) if logits is None else translate("digit {d}: p = {p}, logit z2 = {z}", lang)
        ).format(d=d, p=number(p, lang, 4), z=number(float(logits[d]), lang, 2) if logits is not None else "")
        colour = ANSWER if d == winner else MUTED
        label = translate("{d} (true)", lang).format(d=d) if d == true_label else str(d)
        cols.append(f'<div class="col" title="{tip}" data-p="{p:.6f}"><span>{percent(p, lang) if p >= 0.005 else ""}</span>'
                    f'<div class="bar" style="height:{round(p * HEIGHT)}px;background:{colour}"></div>'
                    f'<div class="digit{" true" if d == true_label else ""}">{label}</div></div>')
    alt = translate("No drawing yet: no probabilities.", lang) if probs is None else bars_text(probs, lang)
    return (f'{CSS}<div class="softmax-bars" role="img" aria-label="{html.escape(alt)}">{"".join(cols)}</div>'
            f'<p class="softmax-alt" aria-hidden="true">{html.escape(alt)}</p>')  # for sighted readers; the chart's label says it
