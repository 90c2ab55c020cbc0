"""Router and frame: page config, the pages, and the sidebar's model status and upload."""
import ctypes
import sys

import streamlit as st
from threadpoolctl import threadpool_limits

from mnistapp.access import page_access
from mnistapp.frame import frame_css, presenting
from mnistapp.i18n import _, language_selector
from mnistapp.keep import keep_frame, on_restore
from mnistapp.keep_draw import restore_drawing
from mnistapp.lesson_progress import back_to_lesson, restore_progress
from mnistapp.links import apply_link, one_entry_per_visit, write_link
from mnistapp.runtime import reap_closed_sessions_in_the_background
from mnistapp.sidebar import model_sidebar


@st.cache_resource
def one_blas_thread() -> None:
    """One BLAS thread for the whole server, set once (OpenBLAS's count is per process, not per thread).
    Its work is many small matrix products for many sessions and trainings at once, and OpenBLAS's own
    threads then only contend: on this 2-core machine under load (load average 13), a training step of
    784-512-10 at batch 128 took 39 ms with one thread and 213-225 ms with two; 784-64-10 2-7 ms and 42-50 ms."""
    threadpool_limits(1, user_api="blas")


@st.cache_resource
def few_malloc_arenas() -> None:
    """glibc's malloc, set once for the server: at most 2 arenas, and blocks of 256 KB or more always mapped
    (so freed at once) rather than kept in an arena. Every session's script runs in a thread of its own,
    and by default glibc gives threads up to 8 arenas per core that keep what they freed, and lets a
    freed large block raise the mapping threshold to 32 MB. benchmarks/class_load.py, 20 sessions each with an
    uploaded model: peak RSS 735 MB without this, 527 MB with it (508 MB with the same two settings made by
    MALLOC_ARENA_MAX / MALLOC_MMAP_THRESHOLD_ instead). Streamlit Community Cloud sets
    no environment for the app, hence mallopt. Elsewhere than glibc, nothing is changed."""
    if sys.platform != "linux":
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, 2)           # M_ARENA_MAX
        libc.mallopt(-3, 256 * 1024)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        pass


one_blas_thread()
few_malloc_arenas()
st.cache_resource(reap_closed_sessions_in_the_background)()  # one per server

present = presenting()  # ?present=1: a projector's larger type, fewer panels, the sidebar closed
st.set_page_config(page_title=_("How a network reads a digit"), page_icon="✏️", layout="wide",
                   initial_sidebar_state="collapsed" if present else "auto")

pg = st.navigation([
    # Material icons come with Streamlit's own font; emoji need one on the visitor's machine
    st.Page("pages/draw.py", title=_("Draw"), icon=":material/draw:", default=True),
    st.Page("pages/lesson.py", title=_("Lesson"), icon=":material/route:"),
    st.Page("pages/weights.py", title=_("Weights"), icon=":material/grid_on:"),
    st.Page("pages/testset.py", title=_("Test set"), icon=":material/fact_check:"),
    st.Page("pages/learn.py", title=_("Learn"), icon=":material/school:"),
])
apply_link(pg.url_path)  # a shared link's selections, before the page's widgets are made
language_selector()
back_to_lesson(pg.url_path)  # on the other pages, the way back to the lesson's step
model_sidebar()  # after st.navigation: created before it, the first upload of a session is lost
frame_css(present)
one_entry_per_visit()
on_restore(restore_drawing)
on_restore(restore_progress)
with st.sidebar:
    keep_frame()  # the visitor's work, kept in their browser: read back once per server session, written as it changes
page_access()  # focus outlines, Plotly toolbars out of the tab order, focusable scroll regions
pg.run()
write_link(pg.url_path)  # the page's selections into the URL, to share
