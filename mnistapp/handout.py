"""The lesson as a printable handout: one HTML file with every step's text, task, hint and equations,
in one language, that a browser prints well (A4, two steps a page, none split, black on white).

    python -m mnistapp.handout --lang de > handout_de.html

The Lesson page offers the same file as a download in the visitor's language.
"""
from __future__ import annotations

import argparse
import html
import sys

from .catalogue import LANGUAGES, N_, translate
from .lesson_steps import STEPS

TITLE = N_("Lesson: how a network reads a digit")
INTRO = N_("Six steps from a drawing to learning, about 45 minutes. Do each task in the app, and tick its box "
           "when the app says it is done.")
TASK, HINT, MATHS, NOTICED = N_("Task"), N_("Hint"), N_("For the maths"), N_("What I noticed")

CSS = """
@page { size: A4; margin: 16mm 16mm 18mm; }
body { font: 10.5pt/1.4 Georgia, "DejaVu Serif", serif; color: #000; background: #fff; max-width: 46em; margin: 2em auto; }
h1 { font: 700 18pt/1.2 "DejaVu Sans", Arial, sans-serif; margin: 0 0 0.2em; }
h2 { font: 700 13pt/1.2 "DejaVu Sans", Arial, sans-serif; margin: 0 0 0.4em; }
.intro { margin: 0 0 1.2em; }
section { break-inside: avoid; border-top: 1px solid #000; padding: 0.6em 0 0.4em; }
section:nth-of-type(2n+1):not(:first-of-type) { break-before: page; }  /* two steps a page */
.label { font: 700 9pt "DejaVu Sans", Arial, sans-serif; text-transform: uppercase; letter-spacing: 0.04em; }
.task { border: 1.5px solid #000; padding: 0.4em 0.7em; margin: 0.5em 0; }
.task .box { float: right; width: 1.1em; height: 1.1em; border: 1.5px solid #000; margin-left: 0.6em; }
.maths { margin: 0.4em 0 0; }
.maths .eq { font-family: "DejaVu Serif", "Times New Roman", serif; font-size: 12pt; margin: 0.2em 0 0.2em 1.5em; }
.note, .hint { font-size: 10pt; }
.lines { height: 2em; border-bottom: 1px dotted #555; }
@media print { body { margin: 0; max-width: none; } }
"""


def handout_html(lang: str) -> str:
    """The handout in `lang` (a key of LANGUAGES) as a whole HTML document."""
    t = lambda text: html.escape(translate(text, lang))
    parts = [f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
             f"<title>{t(TITLE)}</title><style>{CSS}</style></head><body>",
             f"<h1>{t(TITLE)}</h1>", f'<p class="intro">{t(INTRO)}</p>']
    for n, step in enumerate(STEPS, start=1):
        maths = "".join(f'<div class="eq">{eq.html}</div>' for eq in step.maths)
        parts.append(
            f"<section><h2>{n}. {t(step.title)}</h2><p>{t(step.text)}</p>"
            f'<div class="task"><span class="box"></span><span class="label">{t(TASK)}</span><br>{t(step.task)}</div>'
            f'<p class="hint"><span class="label">{t(HINT)}</span> {t(step.hint)}</p>'
            f'<div class="maths"><span class="label">{t(MATHS)}</span>{maths}'
            f'<p class="note">{t(step.maths_note)}</p></div>'
            f'<p class="label">{t(NOTICED)}</p><div class="lines"></div></section>')
    parts.append("</body></html>\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mnistapp.handout", description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=list(LANGUAGES), default="en", help="the handout's language")
    args = parser.parse_args(argv)
    sys.stdout.write(handout_html(args.lang))
    return 0


if __name__ == "__main__":
    sys.exit(main())
