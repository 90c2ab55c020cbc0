"""The lesson's progress, kept in the browser so that a reload keeps it: the open step and the steps done.

`load()` and `save()` are the whole interface. The progress lives in the URL's query string
(?step=3&done=1,2): `save` puts it in session state, and mnistapp/links.py writes it into the URL after
the page and reads it back from a reloaded or shared URL (LINKED["lesson"], with `parse_done` and
`parse_step` as the checks). `save` also keeps it in the browser's store (mnistapp/keep.py), and
`restore_progress` puts it back when a new server session reads the store, so the plain /lesson link
resumes where this browser left off; a link with ?step=N, read before the store, wins.
"""
from __future__ import annotations

from typing import NamedTuple

import streamlit as st

from .i18n import _
from .keep import get, put
from .session import LESSON_DONE, LESSON_STEP

N_STEPS = 6
NAME = "lesson"  # the progress's name in the browser's store


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
    """Keep `progress`; the URL gets it when the page has run, the browser's store with the next full run."""
    st.session_state[LESSON_STEP] = progress.step
    st.session_state[LESSON_DONE] = tuple(sorted(set(progress.done)))
    put(NAME, {"step": progress.step, "done": list(st.session_state[LESSON_DONE])})


def kept_progress(value) -> Progress | None:
    """A value read back from the browser's store as Progress; None unless it has the shape `save` keeps."""
    if not isinstance(value, dict) or not isinstance(value.get("done"), list):
        return None
    step = parse_step(str(value.get("step")))
    done = parse_done(",".join(map(str, value["done"]))) or ()
    return Progress(step, done) if step is not None else None


def restore_progress(items: dict, now: float) -> None:
    """Put the progress kept in this browser back into a new session, unless a link already set a step."""
    kept = kept_progress(get(NAME))
    if kept is not None and LESSON_STEP not in st.session_state:
        st.session_state[LESSON_STEP] = kept.step
        st.session_state[LESSON_DONE] = kept.done


def back_to_lesson(url_path: str) -> None:
    """On any page but the lesson, once a lesson is under way: a sidebar link back to its step."""
    if url_path == "lesson" or LESSON_STEP not in st.session_state:
        return
    step, done = load()
    query = {"step": str(step)} | ({"done": format_done(done)} if done else {})
    st.sidebar.page_link("pages/lesson.py", label=_("Back to the lesson, step {n}").format(n=step),
                         icon=":material/arrow_back:", query_params=query)
