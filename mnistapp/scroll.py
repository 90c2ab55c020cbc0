"""Bring a part of the page into view: for a click whose result appears below the fold.

A components-v2 element with no HTML of its own. Mounted once after such a click, it scrolls the
container with the given key (`st.container(key=...)`, which Streamlit marks with the class
`st-key-<key>`) to the top of the window.
"""
from __future__ import annotations

import time

import streamlit as st

from .figures.style import key_selector

JS = """
export default function ({ data }) {
  const go = (tries) => {
    const el = document.querySelector(data.selector);
    if (el) el.scrollIntoView({ behavior: "smooth", block: "start" });
    else if (tries > 0) setTimeout(() => go(tries - 1), 100);  // the target may still be on its way
  };
  requestAnimationFrame(() => go(20));
}
"""

_mount = st.components.v2.component("mnist.scroll_into_view", js=JS, isolate_styles=False)


def scroll_into_view(container_key: str) -> None:
    """Scroll to the container `container_key` (call it in the run that follows the click)."""
    selector = key_selector(container_key)
    # a token per call makes a new element, so two clicks in a row scroll twice
    _mount(data={"selector": selector, "token": time.monotonic_ns()}, width="stretch", height="content")
