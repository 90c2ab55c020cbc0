"""Pictures as HTML with real text alternatives: st.image writes <img> without alt text, so the pages show
their pictures through these instead. Arrays in (via PNG data URLs), a string out; no Streamlit.

Each <img> gets an alt text that says what the picture shows; a visible caption, when there is one, says
something else (a name, a number), or is the alt text itself and then hidden from screen readers, so they
never read the same sentence twice.
"""
from __future__ import annotations

import html

import numpy as np

from .images import png_data_url

CSS = """<style>
.pictures { display: flex; flex-wrap: wrap; gap: 0.5rem 0.75rem; align-items: flex-start; }
.pictures figure { margin: 0; }
.pictures img { display: block; max-width: 100%; height: auto; image-rendering: pixelated; }
.pictures figcaption { font-size: 0.875rem; opacity: 0.75; margin-top: 0.25rem; overflow-wrap: anywhere; }
</style>"""


def pictures_html(pictures: list[np.ndarray | str], alts: list[str], captions: list[str] | None = None, *,
                  width: int | list[int]) -> str:
    """uint8 pictures (h, w) or (h, w, 3), or PNG data URLs -> a wrapping row of figures `width` px wide (one
    width for all, or one a picture), each <img> with its alt text and, when given, a caption under it."""
    widths = [width] * len(pictures) if isinstance(width, int) else width
    if len(alts) != len(pictures) or (captions is not None and len(captions) != len(pictures)) \
            or len(widths) != len(pictures):
        raise ValueError("one alt text (and one caption and width, if any) per picture")
    figures = []
    for k, (img, alt, w) in enumerate(zip(pictures, alts, widths)):
        hidden = ' aria-hidden="true"' if captions and captions[k] == alt else ""  # the alt text says it already
        cap = f"<figcaption{hidden}>{html.escape(captions[k])}</figcaption>" if captions else ""
        src = img if isinstance(img, str) else png_data_url(img)
        figures.append(f'<figure style="width:{w}px"><img src="{src}" width="{w}" alt="{html.escape(alt)}">{cap}'
                       '</figure>')
    return f'{CSS}<div class="pictures">{"".join(figures)}</div>'


def thumbnail_alt(label: int, wrong: bool, whose: str = "the network") -> str:
    """A gallery thumbnail's alt text: the handwritten digit and, when red-framed, that the answer was wrong."""
    return f"A handwritten {label}" + (f", framed in red: {whose} reads it wrong" if wrong else "")
