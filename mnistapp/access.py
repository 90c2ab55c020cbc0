"""What every page needs for keyboard and screen-reader use, and the Draw page's spoken Prediction.

`page_access()` (app.py, every page) adds the app's CSS (focus outlines, caption contrast) and a small
script that keeps Plotly's toolbar buttons out of the tab order and makes every sideways-scrolling
region (the worked step's wide equations) focusable and named, as WCAG's keyboard rules ask.
`chart_alt(text, key)` shows a chart's text alternative under it and makes it the chart's accessible name
(the chart, made with `key`, becomes a role="figure" whose drawing is hidden), hiding the visible copy from
screen readers so it is read once.
`announce(text, key=...)` is an `aria-live="polite"` line a screen reader speaks whenever its text changes.
"""
from __future__ import annotations

import html
from pathlib import Path

import streamlit as st

from .figures.style import ANSWER, key_selector, sure
from .i18n import _, language

CSS = f"""<style>
[data-testid="stSidebarNav"] a:focus-visible, .scroll-region:focus-visible {{
  outline: 3px solid {ANSWER}; outline-offset: 2px; }}
[data-testid="stCaptionContainer"] code {{ color: inherit; }}  /* a caption is faded: its code stays readable */
/* a selected option or tab and a slider's value keep the text colour (their frame, tint, underline or thumb is
   blue): no blue reads 4.5:1 both on the dark page and under white text */
[data-testid="stButtonGroup"] button[data-selected="true"],
[data-testid="stButtonGroup"] button[data-selected="true"] *, [role="tab"][aria-selected="true"],
[role="tab"][aria-selected="true"] *, [data-testid="stSliderThumbValue"],
[data-testid="stSliderThumbValue"] * {{ color: inherit !important; }}
.chart-alt {{ font-size: 0.875rem; opacity: 0.75; margin: 0; }}
.sr-only {{ position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }}
</style>"""

_helper = st.components.v2.component("mnist.access", html="<span hidden></span>\n",
                                     js=Path(__file__).with_name("access.js").read_text())
# The line lives in the page's own DOM, not in a shadow root, so that a screen reader finds it wherever it is.
_live = st.components.v2.component(
    "mnist.live_region", html='<p class="live-line sr-only" aria-live="polite" role="status"></p>\n',
    isolate_styles=False,
    js="export default function ({ parentElement, data }) {\n"
       "  const line = parentElement.querySelector('.live-line');\n"
       "  if (!line || line.dataset.said === data.text) return;\n"
       "  line.dataset.said = data.text;\n"
       "  // a region that has just been made is not yet watched: give it a moment before it speaks\n"
       "  setTimeout(() => { if (line.dataset.said === data.text) line.textContent = data.text; }, 250);\n}\n")


def page_access() -> None:
    """The app-wide CSS and script; call once per run, before the page."""
    st.html(CSS)
    _helper(key="access", data={}, width="content", height="content")


def chart_alt(text: str, *keys: str, where=st) -> None:
    """`text` under the chart made with key keys[0], and as its accessible name; charts under further keys
    (layers drawn over it) are hidden from screen readers."""
    where.html(f'<p class="chart-alt" aria-hidden="true" data-charts="{" ".join(key_selector(k) for k in keys)}">'
               f'{html.escape(text)}</p>')


def prediction_text(digit: int | None, p: float | None, unsure: bool) -> str:
    """What the live region says, with the pill's own rounding: "Prediction 7, 99.4% sure.", "Prediction 7, not
    sure." (the "not sure" flag is up) or, with no digit, 'No prediction yet.'."""
    if digit is None or p is None:
        return _("No prediction yet.")
    if unsure:
        return _("Prediction {d}, not sure.").format(d=digit)
    return _("Prediction {d}, {sure}.").format(d=digit, sure=sure(p, language()))


def announce(text: str, *, key: str) -> None:
    """An aria-live="polite" line (seen by screen readers only) that speaks `text` when it changes."""
    _live(key=key, data={"text": text}, width="content", height="content")
