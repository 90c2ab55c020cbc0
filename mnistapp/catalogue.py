"""The translation catalogue without Streamlit: read a language's .po file, translate, format numbers.

Each language has one file, mnistapp/locale/<lang>.po (English, the source language, needs none: a
msgid is its own English text). The files are read by the small reader here, so no compiled .mo and no
extra package is needed. `mnistapp/i18n.py` picks the session's language and gives the pages `_()`;
`python -m mnistapp.strings` collects the strings into mnistapp/locale/messages.pot and the .po files.
"""
from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path
from string import Formatter

LOCALE = Path(__file__).with_name("locale")
SOURCE = "en"
LANGUAGES = {"en": "English", "de": "Deutsch"}  # code -> the language's name in itself, for the selector
# How many plural forms each language has and which one n takes (the .po header's Plural-Forms, as Python)
PLURAL = {"en": lambda n: int(n != 1), "de": lambda n: int(n != 1)}
DECIMAL = {"en": ".", "de": ","}
PERCENT_SPACE = {"en": "", "de": "\u00a0"}  # German sets a (no-break) space before the % sign


def N_(text: str) -> str:
    """Mark a string for the catalogue where it is defined; translate it with `_()` where it is shown."""
    return text


def _unquote(line: str) -> str:
    return ast.literal_eval(line.strip())  # a .po string is a C string, which Python's literal reads


def parse_po(text: str) -> dict[tuple[str, str | None], list[str]]:
    """A .po file's entries: (msgid, msgid_plural or None) -> [msgstr] or [msgstr[0], msgstr[1], ...].
    Obsolete entries (#~) and the header (the empty msgid) are left out; comments are ignored."""
    entries, entry, field = {}, {}, None

    def flush():
        if entry.get("msgid"):
            forms = [entry[k] for k in sorted(k for k in entry if k.startswith("msgstr"))]
            entries[(entry["msgid"], entry.get("msgid_plural"))] = forms
        entry.clear()

    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            if not line and entry:
                flush()
            continue
        if line.startswith('"'):
            entry[field] += _unquote(line)
            continue
        key, _, rest = line.partition(" ")
        if key == "msgid" and "msgid" in entry:
            flush()
        field = key.replace("[", "").replace("]", "")  # msgstr[1] -> msgstr1
        entry[field] = _unquote(rest)
    flush()
    return entries


@cache
def catalogue(lang: str) -> dict[tuple[str, str | None], list[str]]:
    """The entries of `lang`'s .po file, read once per process; the source language has none."""
    path = LOCALE / f"{lang}.po"
    return parse_po(path.read_text(encoding="utf-8")) if lang != SOURCE and path.exists() else {}


def translate(text: str, lang: str) -> str:
    """`text` in `lang`, or `text` itself where the catalogue has no translation for it."""
    forms = catalogue(lang).get((text, None))
    return forms[0] if forms and forms[0] else text


def ntranslate(singular: str, plural: str, n: int, lang: str) -> str:
    """The form of `singular`/`plural` that `n` takes in `lang` (untranslated: English's rule)."""
    forms = catalogue(lang).get((singular, plural))
    rule = PLURAL.get(lang, PLURAL[SOURCE])
    if forms and all(forms):
        return forms[min(rule(n), len(forms) - 1)]
    return singular if PLURAL[SOURCE](n) == 0 else plural


def number(x: float, lang: str, digits: int = 2) -> str:
    """x with `digits` decimals in `lang`'s way: 0.5 -> "0.50" in English, "0,50" in German."""
    text = f"{x:,.{digits}f}"  # 1,234.50; German swaps the two marks: 1.234,50
    if DECIMAL.get(lang, ".") == ",":
        text = text.translate(str.maketrans({",": ".", ".": ","}))
    return text


def percent(x: float, lang: str, digits: int = 2) -> str:
    """A share as a percentage in `lang`'s way: 0.9941 -> "99.41%" in English, "99,41 %" in German. A value that
    is not exactly 0 or 1 never reads as one: with one decimal, 0.0004 -> "<0.1%" and 0.9996 -> ">99.9%"
    (mnistapp/interim.js's percent does the same in the browser)."""
    x, step = float(x), 10.0 ** -(digits + 2)  # the smallest share the digits show
    if 0 < x < step / 2:
        return "<" + percent(step, lang, digits)
    if 1 - step / 2 <= x < 1:
        return ">" + percent(1 - step, lang, digits)
    return number(100 * x, lang, digits) + PERCENT_SPACE.get(lang, "") + "%"


@cache
def _pattern(msgid: str) -> re.Pattern:
    """A message with {named} placeholders (and {{ }} for a brace, as in str.format) as a regular expression
    that captures each placeholder."""
    seen, out = set(), []
    for literal, field, _spec, _conversion in Formatter().parse(msgid):
        out.append(re.escape(literal))
        if field is not None:  # a placeholder met again must match the same text
            out.append(f"(?P={field})" if field in seen else f"(?P<{field}>.+?)")
            seen.add(field)
    return re.compile("".join(out) + r"\Z")


ENGLISH_NUMBER = re.compile(r"-?\d{1,3}(,\d{3})*(\.\d+)?\Z|-?\d+(\.\d+)?\Z")  # 12, 3.5, 1,234,567


def _filled(value: str, lang: str, phrases: tuple[str, ...]) -> str:
    """A placeholder's text from an English message, for `lang`: a number in its marks, a phrase translated."""
    if ENGLISH_NUMBER.match(value):
        return value.translate(str.maketrans({",": ".", ".": ","})) if DECIMAL.get(lang, ".") == "," else value
    return error_text(value, lang, phrases) if phrases else value


def error_text(message: str, lang: str, patterns: tuple[str, ...], phrases: tuple[str, ...] = ()) -> str:
    """An engine's (English) error message in `lang`: the first of `patterns` (msgids with {placeholders})
    that matches it gives the translation, its placeholders filled from the message; else the message.
    A placeholder's text that matches one of `phrases` (the engine's parts of a message) is translated too,
    and one that is a number is written `lang`'s way ("1,024" -> "1.024" in German)."""
    for msgid in patterns:
        found = _pattern(msgid).match(message)
        if found:
            values = {name: _filled(value, lang, phrases) for name, value in found.groupdict().items()}
            return translate(msgid, lang).format(**values)
    return message
