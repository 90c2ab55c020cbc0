"""Expanders whose content is built only while they are open, and that stay open while the input is gone.

The Draw page's views (why this digit, the map, teach it, the hidden units) sit in expanders that rerun
when opened or closed (`on_change="rerun"`) and compute nothing while closed. They are shown only while
there is a digit, and Streamlit forgets a widget's state in a run that does not show it, so after Clear
each would be closed again at the next drawing. The open state is kept under a key of our own as well.
"""
from __future__ import annotations

import streamlit as st


def _remembered(key: str) -> str:
    return f"{key}.remembered"


def lazy_expander(label: str, key: str, *, icon: str | None = None, expanded: bool = False):
    """st.expander(label, key=key) that reruns when toggled; check `.open` before building its content.
    `expanded`: open the first time it is shown."""
    box = st.expander(label, key=key, icon=icon, on_change="rerun",
                      expanded=st.session_state.get(_remembered(key), expanded))
    st.session_state[_remembered(key)] = bool(box.open)
    return box


def is_open(key: str) -> bool:
    """Whether the lazy expander `key` is open: its own state, or what is remembered while it is not shown."""
    return bool(st.session_state.get(key, st.session_state.get(_remembered(key))))


def open_next_time(key: str) -> None:
    """Show the lazy expander `key` open when it is next made (a fresh widget, so `expanded` decides)."""
    st.session_state.pop(key, None)
    st.session_state[_remembered(key)] = True
