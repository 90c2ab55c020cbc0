"""The live canvas: a drawing element of the project's own that answers while the pen moves.

A Streamlit components-v2 element (inline HTML and CSS, JS in live_canvas.js beside this file, no
iframe, no build step). When the pen lifts, and on Undo and Clear, it sends the drawing at once.
While the pen moves, the browser answers from the model `live_model` sent it (mnistapp/interim.js);
without one, the canvas sends the drawing at most every ~90 ms, and only after the rerun that read
the previous one has finished (`live_canvas_answered`, the fragment's last element, hands its seq back).
It renders as `<canvas data-testid="live-canvas">` with visible Undo and Clear buttons beside it.
Each send is a dict {png: data URL or None, strokes: [[width, x0, y0, ...], ...], seq: int,
model: the digest of the model the browser holds, or None}; `drawing_rgba` turns it into the
(H, W, 4) uint8 array that `read_canvas` reads.
"""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

from mnistcore import Params
from mnistcore.preprocess import Scaling

from .catalogue import DECIMAL, PERCENT_SPACE
from .figures.bars import HEIGHT
from .figures.style import ANSWER, MUTED
from .i18n import _, language
from .runtime import media_url

MAX_SIDE = 2048  # a sent drawing bigger than this is not from our canvas: refused before it is decoded
HTML = """<div class="live-canvas">
  <canvas data-testid="live-canvas" role="img" aria-label="Drawing area: draw one digit with the mouse, a finger or a pen"
    aria-describedby="live-canvas-keys"></canvas>
  <div class="buttons"><button class="undo" type="button">Undo</button>
  <button class="clear" type="button">Clear the drawing</button></div>
  <p class="keys" id="live-canvas-keys">With the keyboard: choose <strong>Test image</strong> or <strong>Photo</strong>
  above the canvas to give the network a digit.</p>
</div>"""
# The canvas shrinks to its column (the pen's coordinates are scaled back, live_canvas.js). touch-action: none on
# the canvas alone: a one-finger stroke in any direction is ink (with pan-x or pan-y the browser would take a
# stroke along that axis for a scroll and cancel it mid-digit), and a swipe that starts anywhere else scrolls;
# on a phone the canvas leaves at least 3rem beside it for that.
CSS = """
.live-canvas { display: flex; flex-direction: column; gap: 0.5rem; width: fit-content; max-width: 100%; }
.live-canvas canvas { touch-action: none; user-select: none; cursor: crosshair; border-radius: 0.5rem; background: #000;
  max-width: 100%; height: auto; }
@media (max-width: 640px) { .live-canvas canvas { max-width: min(100%, calc(100vw - 5rem)); } }
.live-canvas .buttons { display: flex; flex-wrap: wrap; gap: 0.5rem; }
.live-canvas button { font: inherit; font-size: 0.875rem; padding: 0.35rem 0.9rem; border-radius: 0.5rem;
  border: 1px solid var(--st-border-color, #d0d3da); background: var(--st-secondary-background-color, #f0f2f6);
  color: var(--st-text-color, #31333f); cursor: pointer; }
.live-canvas button:hover { border-color: var(--st-primary-color, #1b62d1); }
.live-canvas button:focus-visible { outline: 3px solid var(--st-primary-color, #1b62d1); outline-offset: 2px; }
.live-canvas .keys { margin: 0; max-width: 280px; font-size: 0.875rem; color: var(--st-text-color, #14161c); }
/* the keyboard's way in shows when the keyboard reaches the canvas's buttons; until then it is the canvas's
   description only, so the Prediction under the canvas stays on a laptop's or a phone's first screen */
.live-canvas:not(:focus-within) .keys { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip-path: inset(50%); white-space: nowrap; }
"""

# The Draw page draws no Plotly chart while the pen moves (see mnistapp/figures/bars.py), so the browser would
# fetch and compile plotly.js (4.7 MB, ~1 s here) only when the visitor opens another page. The canvas asks for
# Streamlit's own Plotly chunk once the browser is idle instead; if Streamlit renames it, nothing is
# preloaded and nothing breaks. Measured with benchmarks/weights_page.py (3 rounds): the click on Weights
# to the W1 heatmap takes 3.9 s without it, 2.2 s with it, 1.8 s with a Plotly chart on Draw.
_PLOTLY = next(Path(st.__file__).parent.glob("static/static/js/PlotlyChart.*.js"), None)
PRELOAD = f"static/js/{_PLOTLY.name}" if _PLOTLY else None

# The interim maths (mnistapp/interim.js) goes in front of each script that uses it: an inline script
# cannot import a file beside it.
_INTERIM = Path(__file__).with_name("interim.js").read_text()
_mount = st.components.v2.component("mnist.live_canvas", html=HTML, css=CSS,
                                    js=_INTERIM + Path(__file__).with_name("live_canvas.js").read_text())

# The model in the browser, for the interim answers: one file of float32, 4 bytes a parameter, that the browser
# fetches once per model over HTTP (Streamlit's media files, stored once per server however many visitors
# share the model, and never through a session's websocket). The shipped 784-512-10 is 1.63 MB; the browser
# reads it in a few ms and then answers a frame in under 2 ms. Over 1,000,000 parameters it is not offered,
# and the server answers the moving pen as it does without one. The limit leaves room for 784-1024-10 or
# three hidden layers of 512.
LIVE_MODEL_MAX_PARAMS = 1_000_000
_model = st.components.v2.component("mnist.live_model", html="<span hidden></span>\n",
                                    js=_INTERIM + Path(__file__).with_name("live_model.js").read_text())


# Inline html and js need a newline: Streamlit takes a one-line string with a "/" for a file path.
_answered = st.components.v2.component("mnist.live_canvas_answered", html="<span hidden></span>\n",
                                       js="export default function ({ data }) {\n"
                                          "  window.__liveCanvas?.answered?.(data.ack);\n}\n")


def live_canvas(*, key: str, size: int = 280, stroke_width: int = 18, restore: list | None = None,
                on_change=lambda: None) -> dict | None:
    """Mount the canvas; the latest drawing it sent (see the module docstring), or None before any.

    restore: strokes to draw when the element is new (a visitor back from another page).
    """
    bars = {"height": HEIGHT, "answer": ANSWER, "muted": MUTED}  # to draw the interim answer as bars.py does
    result = _mount(key=key, data={"size": size, "width": stroke_width, "restore": restore, "preload": PRELOAD,
                                   "bars": bars, "words": canvas_words()},
                    default={"drawing": None}, on_drawing_change=on_change, width="stretch", height="content")
    return result.drawing


def canvas_words() -> dict[str, str]:
    """The canvas's words in the session's language, for live_canvas.js: its buttons, its name and note, the
    metric label its script finds, and the interim answer's sentences and number marks."""
    strong = lambda text: f"<strong>{html.escape(text)}</strong>"
    keys = html.escape(_("With the keyboard: choose {test} or {photo} above the canvas to give the network a "
                         "digit.")).format(test=strong(_("Test image")), photo=strong(_("Photo")))
    lang = language()
    return {"undo": _("Undo"), "clear": _("Clear the drawing"), "keys": keys,
            "area": _("Drawing area: draw one digit with the mouse, a finger or a pen"),
            "prediction": _("Prediction"), "sure": _("{p} sure"), "top": _("Top three: {digits}."), "comma": _(", "),
            "none": _("No drawing yet: no probabilities."), "tip": _("digit {d}: p = {p}, logit z2 = {z}"),
            "decimal": DECIMAL[lang], "space": PERCENT_SPACE[lang]}


def model_bytes(params: Params) -> bytes:
    """A model as the browser reads it: W1, b1, W2, b2, ... as little-endian float32, one after another,
    each row-major in the engine's orientation (Ws[l] of shape (n_in, n_out)); the sizes say where each ends."""
    return b"".join(np.ascontiguousarray(a, "<f4").tobytes() for W, b in zip(params.Ws, params.bs) for a in (W, b))


def live_model(params: Params, scaling: Scaling, *, key: str, browser_has: str | None) -> None:
    """Send the model and its input scaling to the browser, for the live canvas's interim answers.

    Mount it outside the canvas's fragment, so it goes out with full-page runs only. The browser gets the
    address of the model's file only when it does not already hold this model (`browser_has`: the digest
    the canvas reported with its last drawing); a model over LIVE_MODEL_MAX_PARAMS is not offered, and the
    browser drops the one it had.
    """
    data = {"digest": None}
    if params.n_params <= LIVE_MODEL_MAX_PARAMS:
        data = {"digest": params.digest, "mean": scaling.mean, "std": scaling.std, "sizes": list(params.sizes)}
        if browser_has != params.digest:
            data["url"] = media_url(model_bytes(params), "application/octet-stream", coordinates=key)
    _model(key=key, data=data, width="content", height="content")


def live_canvas_answered(key: str) -> None:
    """Tell canvas `key` that this rerun is done with its drawing: call it as the fragment's last element.

    Its JS sends the next drawing while the pen moves only after this, so a visitor's reruns finish
    instead of interrupting each other, and a busy server's load from one visitor stays one rerun at a time.
    """
    seq = ((st.session_state.get(key) or {}).get("drawing") or {}).get("seq")
    _answered(key=f"{key}.answered", data={"ack": seq if isinstance(seq, int) else 0}, width="content",
              height="content")


def drawing_rgba(drawing: dict | None) -> np.ndarray | None:
    """A sent drawing -> (H, W, 4) uint8 RGBA as the canvas showed it, or None when it is empty."""
    png = (drawing or {}).get("png")
    if not png:
        return None
    header, _, payload = str(png).partition(",")
    if header != "data:image/png;base64" or len(payload) > 4 * MAX_SIDE * MAX_SIDE:
        return None
    try:  # the browser sends it, so anyone can: never trust its size or its bytes
        with Image.open(io.BytesIO(base64.b64decode(payload, validate=True))) as img:
            if img.format != "PNG" or max(img.size) > MAX_SIDE:
                return None
            return np.asarray(img.convert("RGBA"))
    except (ValueError, OSError, Image.DecompressionBombError):
        return None
