"""The lesson's progress, kept in the browser so that a reload keeps it: the open step and the steps done.

`load()` and `save()` are the whole interface. For now the progress lives in the URL's query string
(?step=3&done=1,2): `save` puts it in session state, and mnistapp/links.py writes it into the URL after
the page and reads it back from a reloaded or shared URL (LINKED["lesson"], with `parse_done` and
`parse_step` as the checks). A browser-side store can take the URL's place behind these two functions.
"""
from __future__ import annotations

from typing import NamedTuple

import streamlit as st

from .i18n import _
from .session import LESSON_DONE, LESSON_STEP

N_STEPS = 6


class Progress(NamedTuple):
    step: int               # the open step, 1..N_STEPS
    done: tuple[int, ...]   # the steps whose task is done, sorted


def parse_step(text: str) -> int | None:
    """"3" -> 3; None unless a step number."""
    return int(text) if text.isdigit() and 1 <= int(text) <= N_STEPS else None


def parse_done(text: str) -> tuple[int, ...] | None:
    """"1,2,5" -> (1, 2, 5): the valid step numbers, sorted, once each; None when there is none."""
    steps = {parse_step(t) for t in text.split(",")} - {None}
    return tuple(sorted(steps)) or None


def format_done(done: tuple[int, ...]) -> str:
    return ",".join(map(str, done))


parse_done.format = format_done  # how mnistapp/links.py writes the value back into the URL


def load() -> Progress:
    """This session's progress (a reloaded URL's, once mnistapp/links.py has read it)."""
    step = st.session_state.get(LESSON_STEP)
    done = st.session_state.get(LESSON_DONE) or ()
    return Progress(step if isinstance(step, int) and 1 <= step <= N_STEPS else 1, tuple(done))


def save(progress: Progress) -> None:
    """Keep `progress`; the URL gets it when the page has run."""
    st.session_state[LESSON_STEP] = progress.step
    st.session_state[LESSON_DONE] = tuple(sorted(set(progress.done)))


def back_to_lesson(url_path: str) -> None:
    """On any page but the lesson, once a lesson is under way: a sidebar link back to its step."""
    if url_path == "lesson" or LESSON_STEP not in st.session_state:
        return
    step, done = load()
    query = {"step": str(step)} | ({"done": format_done(done)} if done else {})
    st.sidebar.page_link("pages/lesson.py", label=_("Back to the lesson, step {n}").format(n=step),
                         icon=":material/arrow_back:", query_params=query)
