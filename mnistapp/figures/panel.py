"""The views that change with every stroke, as HTML: a hidden layer's picture and the units that push the winner,
the box for them and for the "why this digit" views' pictures (mnistapp/why.py, drawn by pictures.py).

`mnistapp.layers.prediction_views` puts them in one `st.html` block with the softmax bars
(mnistapp/figures/bars.py): one message per stroke instead of about eight st.image, st.caption and
st.markdown elements, so the server writes, and the browser parses, one element per stroke. With 8 visitors
drawing at once on one 2-core server (benchmarks/class_load.py) these pictures are most of a stroke's cost
(502 ms median pen-up-to-answer with them, 181 ms without), and one block measures the same as separate
elements, within the noise: the block is for simplicity, not speed.
Pictures are PNG data URLs (mnistapp/figures/images.py), so the block is one string and nothing is fetched.
"""
from __future__ import annotations

import html

CSS = """<style>
.stroke-panel figure { margin: 0.75rem 0 0; }
.stroke-panel figure img { max-width: 100%; height: auto; }  /* a phone is narrower than the 384 px grid */
.stroke-panel figcaption, .stroke-panel .caption { font-size: 0.875rem; opacity: 0.75; margin: 0.25rem 0; }
.stroke-panel .tiles { display: flex; flex-wrap: wrap; gap: 0.5rem; }
.stroke-panel .tiles figure { margin: 0; width: 96px; }
.stroke-panel .tiles img { width: 96px; height: 96px; image-rendering: pixelated; }
.stroke-panel .tiles figcaption { font-size: 0.75rem; }
.stroke-panel .title { margin: 1rem 0 0.25rem; }
.stroke-panel .pictures figure { min-width: 96px; }  /* room for a caption under a small picture */
</style>"""


def hidden_layer_html(caption: str, png_url: str, alt: str, width: int) -> str:
    """A hidden layer's activations: the caption above, the picture (a data URL), its text alternative under it
    (the picture's alt text, so the visible copy is hidden from screen readers, which would read it twice)."""
    return (f'<p class="caption">{html.escape(caption)}</p><figure><img src="{png_url}" width="{width}" '
            f'alt="{html.escape(alt)}"><figcaption aria-hidden="true">{html.escape(alt)}</figcaption></figure>')


def units_html(title: str, note: str, tiles: list[tuple[str, str, str]]) -> str:
    """The units that push the winner: a bold title, a note, and (picture data URL, alt text, caption) tiles in
    rows that wrap, also on a phone."""
    figures = "".join(f'<figure><img src="{url}" alt="{html.escape(alt)}"><figcaption>{html.escape(cap)}'
                      f'</figcaption></figure>' for url, alt, cap in tiles)
    return (f'<p class="title"><strong>{html.escape(title)}</strong></p>'
            + (f'<p class="caption">{html.escape(note)}</p>' if note else "")
            + (f'<div class="tiles">{figures}</div>' if tiles else ""))


def stroke_panel(*parts: str) -> str:
    """The blocks above as one HTML string for st.html."""
    return f'{CSS}<div class="stroke-panel">{"".join(parts)}</div>'
