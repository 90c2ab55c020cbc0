"""The app's frame at every width, and presenter mode: one <style> that app.py puts on every page.

- The Draw page's two columns (the container "draw.layout") stack when the page is narrower than both need
  (a phone, or a 1,024 px window with the sidebar open). Then the Prediction's bars follow the Prediction, the
  "Start here" introduction and the canvas's settings come next and the views on demand ("draw.more") last:
  the columns' own boxes give way (display: contents) so that their parts can be put in that order.
- Tab lists, pills and segmented controls wrap onto a second line rather than scroll sideways (the lesson's
  ten digits on a phone); the tab list's scroll buttons, which Streamlit may show before the wrap, never show.
- The page starts just under Streamlit's header, and a phone's titles are smaller (one line for "Zeichne eine
  Ziffer"), so that on a phone and on a 1,366 x 768 laptop the Prediction stays on screen under the canvas; on a
  phone Plotly's toolbar is hidden (a tap on a chart would show it over the chart's title).
- Presenter mode (`?present=1`, for a projector): larger type, the sidebar closed at first, and the on-demand
  views (expanders) and the small print (captions) left out. It is kept in the session and in every page's
  link (mnistapp/links.py), so it survives page switches.
"""
from __future__ import annotations

import streamlit as st

from .figures.style import key_selector
from .session import DRAW_CANVAS, PRESENT

STACK_BELOW = 660  # px of page width: under it the left column (2/5) is too narrow for the live canvas to read well
CLASSIC_STACK_BELOW = 780  # ...and for the classic canvas, which cannot shrink below its 280 px
PHONE = 640        # px of window width: Streamlit's own breakpoint, under which it stacks every row of columns


def _stacked(layout: str, below: int) -> str:
    """The Draw page's columns as one column under `below` px of the container `layout` (a CSS selector)."""
    row = f"{layout} > [data-testid='stLayoutWrapper'] > [data-testid='stHorizontalBlock']"
    return f"""@container (max-width: {below - 1}px) {{
  {row} {{ flex-direction: column; flex-wrap: nowrap; gap: 1rem; }}
  {row} > [data-testid='stColumn'] {{ width: 100% !important; flex: none !important; min-width: 0 !important; }}
  {row} > [data-testid='stColumn'], {row} > [data-testid='stColumn'] > [data-testid='stVerticalBlock'] {{
    display: contents; }}
  {row} > [data-testid='stColumn']:last-child > [data-testid='stVerticalBlock'] > * {{ order: 1; }}
  {row} [data-testid='stLayoutWrapper']:has(> {key_selector('draw.start_here')}) {{ order: 2 !important; }}
  {row} [data-testid='stLayoutWrapper']:has(> {key_selector('draw.controls')}) {{ order: 3 !important; }}
  {row} [data-testid='stLayoutWrapper']:has(> {key_selector('draw.more')}) {{ order: 4 !important; }}
}}"""


_layout = key_selector("draw.layout")
FRAME_CSS = f"""<style>
{_layout} {{ container-type: inline-size; }}
{_stacked(_layout, STACK_BELOW)}
{_stacked(_layout + ":has(" + key_selector(DRAW_CANVAS) + ")", CLASSIC_STACK_BELOW)}
{key_selector('draw.prediction')} [data-testid='stHorizontalBlock'] {{ flex-wrap: nowrap; }}
{key_selector('draw.prediction')} [data-testid='stColumn'] {{ min-width: 0 !important; }}
[data-testid='stTabs'] [role='tablist'] {{ flex-wrap: wrap; }}
[data-testid='stTabsScrollLeft'], [data-testid='stTabsScrollRight'] {{ display: none !important; }}
[data-testid='stButtonGroup'] > div {{ flex-wrap: wrap; }}
[data-testid='stMainBlockContainer'] {{ padding-top: 3rem; }}
@media (max-width: {PHONE}px) {{ .modebar-container {{ display: none !important; }}
  [data-testid='stMain'] h1 {{ font-size: 2rem; }} }}
</style>"""

PRESENT_CSS = """<style>
html { font-size: 22px; }
[data-testid='stMain'] [data-testid='stExpander'], [data-testid='stMain'] [data-testid='stCaptionContainer'] {
  display: none !important; }
</style>"""


def presenting() -> bool:
    """Whether this session is in presenter mode: `?present=1` turns it on, `?present=0` off; a URL without
    it (a page switch) leaves it as it was."""
    asked = st.query_params.get("present")
    if asked in ("0", "1"):
        st.session_state[PRESENT] = asked == "1"
    return bool(st.session_state.get(PRESENT, False))


def frame_css(present: bool) -> None:
    """The frame's <style> on this page (a <style> alone takes no room on it)."""
    st.html(FRAME_CSS + (PRESENT_CSS if present else ""))
