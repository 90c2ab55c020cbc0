"""The Draw page's "Start here": three steps for a first visit, closed with "Got it" and opened again with a
small "Start here" button. Closing it is kept in the visitor's browser (mnistapp/keep.py), so a reload or a
new visit does not bring it back, and in the session alone when the browser keeps nothing.

It sits above the bars, beside the canvas, so the canvas and the Prediction stay where they are; on a narrow
page, where the columns stack, mnistapp/frame.py puts it after the bars (its container "draw.start_here"), so
the canvas and the Prediction stay in a phone's first screen.
It runs inside the Draw page's fragment, so a click sends its write to the store from there (flush_here)."""
from __future__ import annotations

import streamlit as st

from .i18n import _
from .keep import available, flush_here, get, put
from .session import KEEP_READY

NAME = "start_here"       # in the browser's store: True once the visitor has closed it
BOX = "draw.start_here"  # its container, which mnistapp/frame.py places on a narrow page
CLOSED = "draw.start_here.closed"  # the session's own answer, which wins over the store's: True closed, False open
FLUSH = "draw.start_here.flush"  # True: a click here is to be written to the store from this run


def _close(closed: bool) -> None:
    st.session_state[CLOSED] = closed
    st.session_state[FLUSH] = True
    put(NAME, closed)


def start_here(where) -> None:
    """The introduction in the container `where`, or the button that opens it again once it has been closed."""
    with where, st.container(key=BOX):
        _start_here()
        if st.session_state.pop(FLUSH, False):  # a click here reran only the fragment: its write goes out from here
            flush_here(FLUSH)


def _start_here() -> None:
    s = st.session_state
    closed = s.get(CLOSED)
    if closed is None and available() and not s.get(KEEP_READY):
        return  # until the browser says whether it was closed: nothing, rather than a flash on every reload
    if closed is None:
        closed = get(NAME) is True
    if closed:
        st.button(_("Start here"), icon=":material/help:", type="tertiary", key=f"{BOX}.open",
                  on_click=_close, args=(False,), help=_("A short introduction to this page"))
        return
    with st.container(border=True, key=f"{BOX}.intro"):
        st.markdown(f"**{_('Start here')}**\n\n"
                    f"1. {_('Draw a digit, 0 to 9, in the black box.')}\n"
                    f"2. {_('Read the Prediction under the box, and how sure the network is in the bars.')}\n"
                    f"3. {_('Open a view below the bars to see why, or follow the Lesson step by step.')}")
        row = st.container(horizontal=True, vertical_alignment="center")
        row.button(_("Got it"), icon=":material/check:", key=f"{BOX}.close", on_click=_close, args=(True,))
        row.page_link("pages/lesson.py", label=_("Go to the Lesson"), icon=":material/route:")
