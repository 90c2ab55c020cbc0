"""What a German browser test looks for: the catalogue's English strings still on screen, in the page's words."""
from __future__ import annotations

import re

from mnistapp.catalogue import catalogue


def english_left(text: str, min_letters: int = 0) -> list[str]:
    """The catalogue's English strings (those German changes) that `text` still shows: a string of one or
    two words only as a whole line, a longer one anywhere, with its placeholders matching anything. Strings with
    fewer than `min_letters` letters besides their placeholders (".,", "{p}%": marks, not words) are left out."""
    found = []
    for (msgid, plural), forms in catalogue("de").items():
        for english, german in zip((msgid, plural or msgid), forms):
            if english == german or len(re.findall(r"[A-Za-z]", re.sub(r"\{\w*\}", "", english))) < min_letters:
                continue
            pattern = re.sub(r"\\\{\w+\\\}", ".+?", re.escape(english))
            short = len(english.split()) <= 2
            if re.search(f"^{pattern}$" if short else pattern, text, re.MULTILINE):
                found.append(english)
    return found


# The page's maths (KaTeX) set aside while its text is read: a formula's symbols, such as y_true, are not words
# of the catalogue, and KaTeX writes each one out as text for screen readers.
_MATHS_HIDDEN = """(hide) => { const id = 'no-maths-while-reading';
  if (hide) document.head.insertAdjacentHTML('beforeend', `<style id="${id}">.katex { display: none !important; }</style>`);
  else document.getElementById(id)?.remove(); }"""


def words_on_screen(page) -> str:
    """The page's visible text without its maths."""
    page.evaluate(_MATHS_HIDDEN, True)
    try:
        return page.inner_text("body")
    finally:
        page.evaluate(_MATHS_HIDDEN, False)
