"""What a German browser test looks for: the catalogue's English strings still on screen."""
from __future__ import annotations

import re

from mnistapp.catalogue import catalogue


def english_left(text: str) -> list[str]:
    """The catalogue's English strings (those German changes) that `text` still shows: a string of one or
    two words only as a whole line, a longer one anywhere, with its placeholders matching anything."""
    found = []
    for (msgid, plural), forms in catalogue("de").items():
        for english, german in zip((msgid, plural or msgid), forms):
            if english == german:
                continue
            pattern = re.sub(r"\\\{\w+\\\}", ".+?", re.escape(english))
            short = len(english.split()) <= 2
            if re.search(f"^{pattern}$" if short else pattern, text, re.MULTILINE):
                found.append(english)
    return found
