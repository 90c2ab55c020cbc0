"""Collect the catalogue's strings from the code: `python -m mnistapp.strings` (or `make strings`).

It finds every call `_("...")`, `N_("...")`, `ngettext("...", "...", n)` (and the figure builders' `translate("...",
lang)`, `ntranslate(...)` and `plural(n, "...", "...")`) with literal strings in app.py,
pages/ and mnistapp/, writes them to mnistapp/locale/messages.pot, and brings each language's .po file
in line: a new string gets an empty translation to fill in, a string no longer in the code is dropped,
and every translation made stays. tests/test_i18n.py fails while any translation is missing or stale.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

from .catalogue import LANGUAGES, LOCALE, SOURCE, catalogue, parse_po
from .paths import ROOT

SINGLE, PLURAL = {"_", "N_", "translate"}, {"ngettext", "ntranslate"}  # figure builders call the catalogue's own
POT = LOCALE / "messages.pot"
HEADER = ('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
          '"Language: {lang}\\n"\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n')


def sources() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "mnistapp").rglob("*.py"))]


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name


def extract(paths: list[Path] | None = None) -> dict[tuple[str, str | None], list[str]]:
    """(msgid, msgid_plural or None) -> [the files that use it] for every marked string, in the order first met."""
    found: dict[tuple[str, str | None], list[str]] = {}
    for path in paths or sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args]
            if node.func.id in SINGLE and args and args[0]:  # translate(text, lang) has the language too
                key = (args[0], None)
            elif node.func.id in PLURAL and len(args) >= 3 and args[0] and args[1]:
                key = (args[0], args[1])
            elif node.func.id == "plural" and len(args) >= 3 and args[1] and args[2]:  # plural(n, one, many, lang)
                key = (args[1], args[2])
            else:
                continue
            where, name = found.setdefault(key, []), _name(path)
            if name not in where:  # files only: lines move with every edit
                where.append(name)
    return found


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def po_text(strings: dict, lang: str | None, translations: dict | None = None) -> str:
    """A .pot (lang None: every translation empty) or a language's .po file, entries in the code's order."""
    out = [HEADER.format(lang=lang or "")]
    for (msgid, plural), where in strings.items():
        forms = (translations or {}).get((msgid, plural)) or ([""] if plural is None else ["", ""])
        entry = [f"#: {' '.join(where)}", f"msgid {quote(msgid)}"]
        if plural is None:
            entry.append(f"msgstr {quote(forms[0])}")
        else:
            entry.append(f"msgid_plural {quote(plural)}")
            entry += [f"msgstr[{i}] {quote(f)}" for i, f in enumerate(forms)]
        out.append("\n".join(entry) + "\n")
    return "\n".join(out)


def missing_and_stale(strings: dict, lang: str) -> tuple[list, list]:
    """The strings `lang`'s .po file does not translate, and the ones it has that the code no longer uses."""
    have = parse_po((LOCALE / f"{lang}.po").read_text(encoding="utf-8")) if (LOCALE / f"{lang}.po").exists() else {}
    missing = [key for key in strings if not all(have.get(key) or [""])]
    return missing, [key for key in have if key not in strings]


def main() -> int:
    strings = extract()
    POT.write_text(po_text(strings, None), encoding="utf-8")
    for lang in LANGUAGES:
        if lang == SOURCE:
            continue
        path = LOCALE / f"{lang}.po"
        old = parse_po(path.read_text(encoding="utf-8")) if path.exists() else {}
        path.write_text(po_text(strings, lang, old), encoding="utf-8")
        missing, _ = missing_and_stale(strings, lang)
        print(f"{path.relative_to(ROOT)}: {len(strings)} strings, {len(missing)} to translate")
    catalogue.cache_clear()
    return 0


if __name__ == "__main__":
    sys.exit(main())
