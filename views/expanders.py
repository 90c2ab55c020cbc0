"""Expanders whose content is built only while they are open, and that stay open while the input is gone.

The Draw page's views (why this digit, the map, teach it, the hidden units) sit in expanders that rerun
when opened or closed (`on_change="rerun"`) and compute nothing while closed. They are shown only while
there is a digit, and Streamlit forgets a widget's state in a run that does not show it, so after Clear
each was closed again at the next drawing. The open state is kept under a key of our own as well.
"""
from __future__ import annotations

import streamlit as st


def lazy_expander(label: str, key: str, *, icon: str | None = None, expanded: bool = False):
    """st.expander(label, key=key) that reruns when toggled; check `.open` before building its content.
    `expanded`: open the first time it is shown."""
    remembered = f"{key}.remembered"
    box = st.expander(label, key=key, icon=icon, on_change="rerun", expanded=st.session_state.get(remembered, expanded))
    st.session_state[remembered] = bool(box.open)
    return box
