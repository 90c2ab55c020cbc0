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
import io
from pathlib import Path

import numpy as np
import streamlit as st
from PIL import Image

from mnistcore import Params
from mnistcore.preprocess import Scaling

from .figures.bars import HEIGHT
from .figures.style import ANSWER, MUTED

MAX_SIDE = 2048  # a sent drawing bigger than this is not from our canvas: refused before it is decoded
HTML = """<div class="live-canvas">
  <canvas data-testid="live-canvas" aria-label="Drawing area: draw one digit"></canvas>
  <div class="buttons"><button class="undo" type="button">Undo</button>
  <button class="clear" type="button">Clear the drawing</button></div>
</div>"""
CSS = """
.live-canvas { display: flex; flex-direction: column; gap: 0.5rem; width: max-content; }
.live-canvas canvas { touch-action: none; user-select: none; cursor: crosshair; border-radius: 0.5rem; background: #000;
  max-width: 100%; }
.live-canvas .buttons { display: flex; gap: 0.5rem; }
.live-canvas button { font: inherit; font-size: 0.875rem; padding: 0.35rem 0.9rem; border-radius: 0.5rem;
  border: 1px solid var(--st-border-color, #d0d3da); background: var(--st-secondary-background-color, #f0f2f6);
  color: var(--st-text-color, #31333f); cursor: pointer; }
.live-canvas button:hover { border-color: var(--st-primary-color, #ff4b4b); }
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

# The model in the browser, for the interim answers: base64 of float32, 5.33 bytes a parameter, sent to each
# visitor once per model. The shipped 784-512-10 is 2.17 MB of JSON, 1.65 MB once deflated for the websocket,
# which holds the server's event loop for 50-90 ms (this 2-core machine); the browser decodes it in about
# 10 ms and then answers a frame in under 2 ms. A bigger model costs in proportion: over 1,000,000 parameters
# (5.3 MB, some 0.2 s of the event loop per visitor) it is not sent, and the server answers its moving pen
# as it does without one. The limit leaves room for 784-1024-10 or three hidden layers of 512.
LIVE_MODEL_MAX_PARAMS = 1_000_000
_model = st.components.v2.component("mnist.live_model", html="<span hidden></span>\n",
                                    js=_INTERIM + "export default function ({ data }) {\n"
                                                  "  window.__liveModel = receiveModel(data, window.__liveModel);\n}\n")


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
                                   "bars": bars},
                    default={"drawing": None}, on_drawing_change=on_change, width="content", height="content")
    return result.drawing


def encode_model(params: Params) -> dict:
    """A model as the browser reads it: the layer sizes and each array as base64 of its little-endian
    float32 bytes, row-major in the engine's orientation (Ws[l] of shape (n_in, n_out))."""
    b64 = lambda a: base64.b64encode(np.ascontiguousarray(a, "<f4").tobytes()).decode("ascii")
    return {"sizes": list(params.sizes), "Ws": [b64(W) for W in params.Ws], "bs": [b64(b) for b in params.bs]}


# cache_resource hands out the one dict, never a copy (it is only read); an uploaded model is sent once per
# visitor, so only the few models in use by many (the shipped one) are worth keeping
@st.cache_resource(max_entries=4, show_spinner=False)
def _encoded(digest: str, _params: Params) -> dict:
    return encode_model(_params)


def live_model(params: Params, scaling: Scaling, *, key: str, browser_has: str | None) -> None:
    """Send the model and its input scaling to the browser, for the live canvas's interim answers.

    Mount it outside the canvas's fragment, so it goes out with full-page runs only. The arrays go only
    when the browser does not already hold this model (`browser_has`: the digest the canvas reported
    with its last drawing), encoded once per model per server; a model over LIVE_MODEL_MAX_PARAMS is
    not sent, and the browser drops the one it had.
    """
    data = {"digest": None}
    if params.n_params <= LIVE_MODEL_MAX_PARAMS:
        data = {"digest": params.digest, "mean": scaling.mean, "std": scaling.std}
        if browser_has != params.digest:
            data |= _encoded(params.digest, params)
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
