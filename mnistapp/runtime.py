"""What the app needs from Streamlit beyond its public API: the only module that imports streamlit.runtime.

Internals change without notice, so each is wrapped here and used nowhere else (tests/test_layout.py
checks), and streamlit is pinned (==1.67.0 in pyproject.toml and requirements.txt).
"""
from __future__ import annotations

import ctypes
import gc
import logging
import sys
import threading

import streamlit as st
from streamlit.runtime import Runtime  # is the session that started a training thread still connected?
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager  # the store whose files we can drop
from streamlit.runtime.pages_manager import PagesManager  # is app.py's router in charge yet, or a legacy pages/ folder?
from streamlit.runtime.scriptrunner import get_script_run_ctx  # the running script's session id and upload store
from streamlit.runtime.uploaded_file_manager import DeletedFile  # what an uploader still lists for a removed file


def route_through_app() -> None:
    """Call first in every page: make sure the page runs inside app.py's router.

    Streamlit 1.67 treats a folder named `pages/` as a legacy multipage app until app.py's
    st.navigation has run once on the server, so the first visitor of a fresh server who opens
    /weights directly would get that page alone, without the sidebar or the layout. Rerun through
    app.py instead. tests/test_routing_browser.py pins this: it opens /weights and /testset first.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def still_uploaded(files: list | None) -> list:
    """An uploader's files without those the visitor removed (Streamlit still lists them, as DeletedFile)."""
    return [f for f in files or [] if not isinstance(f, DeletedFile)]


def forget_uploads(files) -> None:
    """Drop the files' bytes from Streamlit's upload store, as st.chat_input does: otherwise each upload
    stays in the server's memory until the session ends (the fresh uploader never asks to delete it)."""
    ctx = get_script_run_ctx()
    if ctx is not None and isinstance(ctx.uploaded_file_mgr, MemoryUploadedFileManager):
        for f in files:
            ctx.uploaded_file_mgr.remove_file(session_id=ctx.session_id, file_id=f.file_id)


def media_url(data: bytes, mimetype: str, *, coordinates: str) -> str:
    """Serve `data` as one of Streamlit's media files, as st.image does, and return its URL. Files are
    stored once per server by content, whichever sessions use them, and dropped when no session does."""
    return Runtime.instance().media_file_mgr.add(data, mimetype, coordinates)


def session_alive():
    """A check the training thread can call: is the session that started it still connected?"""
    session_id = get_script_run_ctx().session_id
    runtime = Runtime.instance()
    return lambda: runtime.is_active_session(session_id)


REAP_EVERY_S = 10  # how often closed sessions past their time are let go, and their memory with them


def _reap_closed_sessions(known: int) -> int:
    """Streamlit keeps a closed session for reconnection (server.disconnectedSessionTTL) in a TTL cache that
    drops expired entries only on its next write, which is the next disconnect: after the last visitor
    of a class has left, their sessions (models, drawings, calibrations) would stay until someone else
    comes and goes, and their uploads and media files even then. Expire them now, with their files, as
    Streamlit's own shutdown of a session does. When fewer sessions are left than `known`, collect their
    reference cycles (the app turns Streamlit's per-run collection off) and hand the freed heap back to
    the system. Returns the sessions left, open and closed."""
    runtime = Runtime.instance()
    manager = runtime._session_mgr
    with manager._storage_lock:
        gone = [session_id for session_id, _ in manager._session_storage._cache.expire()]  # the sessions themselves
        left = len(manager._session_storage._cache) + len(manager._active_session_info_by_id)  # are let go here
    for session_id in gone:
        runtime.uploaded_file_mgr.remove_session_files(session_id)
        runtime.media_file_mgr.clear_session_refs(session_id)
    if gone:
        runtime.media_file_mgr.remove_orphaned_files()
    if left < known:
        gc.collect()
        if sys.platform == "linux":
            try:
                ctypes.CDLL("libc.so.6").malloc_trim(0)
            except (OSError, AttributeError):  # not glibc
                pass
    return left


def reap_closed_sessions_in_the_background() -> threading.Thread:
    """Start, once per server, the thread that runs _reap_closed_sessions every REAP_EVERY_S seconds."""
    def loop() -> None:
        counts, pause = [0, 0], threading.Event()  # sessions left after each of the last two passes
        while not pause.wait(REAP_EVERY_S):
            try:
                # against the larger of the last two counts: the pass after a drop collects and trims again,
                # for what the let-go sessions' last tasks freed after the pass that let them go
                counts = [counts[1], _reap_closed_sessions(max(counts))]
            except Exception:  # a Streamlit whose internals changed: no reaping, and no crash either
                logging.getLogger(__name__).exception("closed sessions are no longer reaped")
                return
    thread = threading.Thread(target=loop, daemon=True, name="reap-closed-sessions")
    thread.start()
    return thread
