"""The session's language and the catalogue's functions for pages: `_()`, `ngettext`, `percent`.

The language is, in this order: the visitor's choice in the sidebar (or a link's ?lang=, which
mnistapp/links.py puts in session state as LANG), the URL's ?lang= on the first run, the browser's
language (st.context.locale, navigator.language), else English. A link carries ?lang= once the
visitor has chosen a language or the session's language is not English (links.current_link).
Strings are marked with `_("...")` where shown, or with `N_("...")` where defined and `_()` where shown.
"""
from __future__ import annotations

import streamlit as st

from .catalogue import LANGUAGES, N_, SOURCE, error_text, ntranslate, translate
from .catalogue import number as _number
from .catalogue import percent as _percent
from .engine_errors import ENGINE_ERRORS, PHRASES
from .session import LANG

__all__ = ["N_", "_", "ngettext", "number", "percent", "language", "language_selector", "shown_error"]
SELECT = LANG + ".select"  # the sidebar's selector; LANG holds the choice itself


def browser_language() -> str:
    """The browser's language if we have it ("de-CH" -> "de"), else English."""
    try:
        locale = st.context.locale or ""
    except AttributeError:  # outside a script run (a bare-mode test)
        locale = ""
    code = locale.split("-")[0].lower()
    return code if code in LANGUAGES else SOURCE


def language() -> str:
    """This session's language code, a key of LANGUAGES."""
    chosen = st.session_state.get(LANG)
    if chosen in LANGUAGES:
        return chosen
    linked = st.query_params.get("lang")
    return linked if linked in LANGUAGES else browser_language()


def _(text: str) -> str:
    """`text` in the session's language."""
    return translate(text, language())


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of singular/plural for `n` in the session's language (fill in n with .format)."""
    return ntranslate(singular, plural, n, language())


def percent(x: float, digits: int = 2) -> str:
    """0.9941 -> "99.41%" in English, "99,41 %" in German."""
    return _percent(x, language(), digits)


def number(x: float, digits: int = 2) -> str:
    """0.5 -> "0.50" in English, "0,50" in German."""
    return _number(x, language(), digits)


def shown_error(error: Exception | str) -> str:
    """An engine's error message (English) as the visitor reads it: translated where a pattern in
    mnistapp/engine_errors.py knows it."""
    return error_text(str(error), language(), ENGINE_ERRORS, PHRASES)


def _chosen() -> None:
    st.session_state[LANG] = st.session_state[SELECT]


def language_selector() -> None:
    """The sidebar's language selector; a choice reruns the page in that language."""
    st.session_state[SELECT] = language()
    st.sidebar.selectbox("Language · Sprache", list(LANGUAGES), format_func=LANGUAGES.get, key=SELECT,
                         on_change=_chosen)
