"""Shareable links: the URL's query parameters carry what is selected on the page, so a link opened in
a fresh browser shows the same view.

The page itself is the URL's path (st.navigation). Per page, LINKED lists which selections go in the
URL and how each is checked; a value that fails its check is ignored (the page keeps its default), so a
mangled link never raises. A drawing or an uploaded file is never put in the URL: only the names here.
The Draw page's link also says when the classic canvas is in use (canvas=classic), and which of its
views are open (open=why,fool,units,steps,map: the expanders, closed at first).
`apply_link` runs before the page (a link's values become the widgets' values) and `write_link` after
it (and from the Draw page's fragment), and only when the URL would change. Presenter mode (present=1,
mnistapp/frame.py) goes in every page's link.

A visit to a page is one entry in the browser's history, so Back goes to the previous page: Streamlit pushes
an entry for the page's path as the page opens and would push another for each change of its query string;
`one_entry_per_visit` makes a push that changes only the query string replace the current entry instead.
"""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from .catalogue import LANGUAGES, SOURCE
from .expanders import is_open, open_next_time
from .figures.testset import OUTCOMES
from .i18n import language
from .lesson_progress import parse_done, parse_step
from .session import (
    DRAW_CLASSIC,
    DRAW_SOURCE,
    DRAW_TEST_INDEX,
    LANG,
    LESSON_DONE,
    LESSON_STEP,
    LINK_WRITTEN,
    MAP_OPEN,
    PRESENT,
    TESTSET_OUTCOME,
    TESTSET_PREDICTED,
    TESTSET_TRUE,
    WEIGHTS_DIGIT,
    WEIGHTS_TAB,
    WEIGHTS_UNIT,
    WHY_ATTRIBUTION,
    WHY_FOOL,
    WHY_STEPS,
    WHY_UNITS,
)

N_TEST = 10_000
WEIGHTS_TABS = ["W1 heatmap", "W1 as images", "W2 and templates", "Biases and histograms"]  # pages/weights.py's TABS
ANY = "any"


def _int_in(lo: int, hi: int) -> Callable[[str], int | None]:
    def parse(text: str) -> int | None:
        return int(text) if text.isdigit() and lo <= int(text) < hi else None
    return parse


def _one_of(choices) -> Callable[[str], object | None]:
    by_text = {str(c): c for c in choices}
    return lambda text: by_text.get(text)


def _named(**values) -> Callable[[str], object | None]:
    """A value that reads as a word in the URL (canvas=classic rather than draw.classic=True)."""
    def parse(text: str):
        return values.get(text)
    parse.text = {v: k for k, v in values.items()}
    return parse


# page url_path -> {parameter: (session key, parse: text -> value or None when invalid)}
LINKED: dict[str, dict[str, tuple[str, Callable]]] = {
    "": {"source": (DRAW_SOURCE, _one_of(["draw", "photo", "test"])), "image": (DRAW_TEST_INDEX, _int_in(0, N_TEST)),
         "canvas": (DRAW_CLASSIC, _named(classic=True, live=False))},
    "weights": {"tab": (WEIGHTS_TAB, _one_of(WEIGHTS_TABS)), "unit": (WEIGHTS_UNIT, _int_in(0, 100_000)),
                "digit": (WEIGHTS_DIGIT, _int_in(0, 10))},
    "testset": {"digit": (TESTSET_TRUE, _one_of([ANY, *range(10)])),
                "predicted": (TESTSET_PREDICTED, _one_of([ANY, *range(10)])),
                "answers": (TESTSET_OUTCOME, _one_of(OUTCOMES))},
    "lesson": {"step": (LESSON_STEP, parse_step), "done": (LESSON_DONE, parse_done)},
}
# on every page: the language (?lang=de), which current_link writes only when it says something
EVERY_PAGE: dict[str, tuple[str, Callable]] = {"lang": (LANG, _one_of(LANGUAGES))}


# open=...: the Draw page's views a link opens, by name -> the key of each one's expander
DRAW_VIEWS = {"why": "draw" + WHY_ATTRIBUTION, "fool": "draw" + WHY_FOOL, "units": "draw" + WHY_UNITS,
              "steps": "draw" + WHY_STEPS, "map": "draw" + MAP_OPEN}


def parse_views(text: str) -> tuple[str, ...] | None:
    """"why,steps" -> ("why", "steps"): the known names, in DRAW_VIEWS's order; None when there is none."""
    names = set(text.split(","))
    return tuple(n for n in DRAW_VIEWS if n in names) or None


def _page(url_path: str) -> str:
    return "" if url_path in ("", "draw") else url_path


def apply_link(url_path: str) -> None:
    """A link's valid values become the page's selections, when the URL is not the one we last wrote."""
    linked = {**LINKED.get(_page(url_path), {}), **EVERY_PAGE}
    url = st.query_params.to_dict()
    if url == st.session_state.get(LINK_WRITTEN):
        return  # our own URL: the session state is already ahead of it
    for name, (key, parse) in linked.items():
        value = parse(url[name]) if name in url else None
        if value is not None:
            st.session_state[key] = value
    if _page(url_path) == "":
        for name in parse_views(url.get("open", "")) or ():
            open_next_time(DRAW_VIEWS[name])
    st.session_state[LINK_WRITTEN] = url  # applied once: a rerun before write_link must not apply it again


def current_link(url_path: str) -> dict[str, str]:
    """The page's selections as query parameters (the Draw page's test image only when it is shown)."""
    page = _page(url_path)
    out = {}
    for name, (key, parse) in LINKED.get(page, {}).items():
        value = st.session_state.get(key)
        if value is None:
            continue
        text = parse.format(value) if hasattr(parse, "format") else getattr(parse, "text", {}).get(value, str(value))
        if parse(text) is not None:
            out[name] = text
    if page == "" and out.get("source") != "test":
        out.pop("image", None)
    if page == "" and out.get("canvas") != "classic":  # the live canvas is the default: no need to say it
        out.pop("canvas", None)
    if LANG in st.session_state or language() != SOURCE:  # chosen, or not the default: the link says it
        out["lang"] = language()
    if page == "":
        opened = [name for name, key in DRAW_VIEWS.items() if is_open(key)]
        if opened:
            out["open"] = ",".join(opened)
    if st.session_state.get(PRESENT):
        out["present"] = "1"
    return out


def write_link(url_path: str) -> None:
    """Put the page's selections in the URL (replacing what was there), if they changed."""
    want = current_link(url_path)
    if st.query_params.to_dict() != want:
        st.query_params.from_dict(want)
    st.session_state[LINK_WRITTEN] = want


# Installed once per browser tab: the same path with another query string replaces the history entry.
_ONE_ENTRY = """export default function () {
  if (window.__oneEntryPerVisit) return;
  window.__oneEntryPerVisit = true;
  const push = history.pushState.bind(history);
  history.pushState = (state, title, url) => {
    const to = new URL(url, location.href);
    return to.pathname === location.pathname ? history.replaceState(state, title, url) : push(state, title, url);
  };
}
"""
_one_entry = st.components.v2.component("mnist.one_entry_per_visit", js=_ONE_ENTRY)


def one_entry_per_visit() -> None:
    """Make a page visit one entry in the browser's history (see the module docstring). Call it before the
    page runs, so it is in place before the page's first link is written; it sits in the sidebar, taking no room."""
    with st.sidebar:
        _one_entry(key="link.one_entry", width="content", height="content")
