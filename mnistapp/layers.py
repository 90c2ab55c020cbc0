"""The layer views several pages show for one input: softmax bars, hidden activations, the top units.

Streamlit calls only; the numbers come from `mnistcore` (forward, explain) and the figures from
`mnistapp.figures.bars`, `mnistapp.figures.panel`, `mnistapp.figures.draw` and `mnistapp.figures.images`.
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

import streamlit as st

from mnistcore import Forward, Params
from mnistcore.explain.attribution import contributions, incoming_image, n_active

from .access import chart_alt
from .expanders import lazy_expander
from .figures.alt_text import hidden_text
from .figures.bars import softmax_bars_html
from .figures.draw import GRID_COLS, hidden_grid
from .figures.images import activation_rgb, diverging_rgb, png_data_url
from .figures.panel import hidden_layer_html, stroke_panel, units_html
from .i18n import _, language, number

_tiles: OrderedDict[tuple[str, int], str] = OrderedDict()  # (model digest, unit) -> data URL, the newest last
_tiles_lock = threading.Lock()
MAX_TILES = 4096  # ~3 KB each
_tile_models: weakref.WeakSet = weakref.WeakSet()  # the Params whose tiles are kept only while they live


def _forget_tiles(digest: str) -> None:
    """A model is gone (one of its copies, if several sessions loaded it): its tiles go with it, so a class of 60
    models leaves no thousands of tiles behind; a copy still in use encodes its own again."""
    with _tiles_lock:
        for key in [k for k in _tiles if k[0] == digest]:
            del _tiles[key]


def incoming_png(params: Params, unit: int) -> str:
    """Unit `unit`'s incoming weights as a 84x84 PNG data URL, encoded once per model and unit.

    A dict, not st.cache_data: that hashes, pickles and copies on every call and starts a spinner thread
    on every miss, five times a stroke; with 8 visitors drawing, each with a model of their own (so the
    tiles miss often), the lookups were ~7 % of the server's samples in py-spy."""
    key = (params.digest, unit)
    with _tiles_lock:
        if key in _tiles:
            _tiles.move_to_end(key)
            return _tiles[key]
    url = png_data_url(diverging_rgb(incoming_image(params, unit), scale=3), compress_level=6)
    with _tiles_lock:
        if params not in _tile_models:
            _tile_models.add(params)
            weakref.finalize(params, _forget_tiles, params.digest)
        _tiles[key] = url
        while len(_tiles) > MAX_TILES:
            _tiles.popitem(last=False)
    return url


def prediction_views(params: Params, fwd: Forward, *, true_label: int | None = None, row: int = 0,
                     key: str = "") -> None:
    """The softmax bars with logits, every hidden layer's activations, and the units that push the winner:
    one HTML block (mnistapp/figures/panel.py), then an expander per layer with the interactive grid."""
    probs, logits = fwd.probs[row], fwd.logits[row]
    winner = int(probs.argmax())
    lang = language()
    parts = [softmax_bars_html(probs, logits, winner=winner, true_label=true_label, lang=lang)]
    for layer in range(1, len(fwd.activations)):
        a = fwd.activations[layer][row]
        # A picture, not a chart: a 2-3 KB PNG data URL costs the server and the browser a few ms where the
        # interactive heatmap costs tens. The heatmap waits in an expander below.
        parts.append(hidden_layer_html(
            _("Hidden layer {l}: {on} of {n} units active (a{l} = ReLU(z{l}) > 0), {cols} to a row, brighter = more "
              "active.").format(l=layer, on=n_active(fwd, layer, row), n=len(a), cols=GRID_COLS),
            png_data_url(activation_rgb(a, GRID_COLS)), hidden_text(a, f"a{layer}", lang), 12 * GRID_COLS))
    top = contributions(params, fwd, winner, row=row)
    if top:
        title = _("Units that push {k} up the most (a_j · W{L}[j, {k}])").format(k=winner, L=len(params.Ws))
        pushes = [_("unit {j}: +{push} = {a} × {w}").format(j=c.unit, push=number(c.push), a=number(c.activation),
                                                          w=number(c.weight)) for c in top]
        if len(params.Ws) == 2:  # first-layer units: show what each looks for
            parts.append(units_html(title, _("Each tile is a unit's 784 incoming weights W1[:, j] as a 28×28 image: "
                                              "orange pixels excite it, purple ones inhibit it."),
                                    [(incoming_png(params, c.unit), _("Unit {j}'s incoming weights as a 28×28 picture: "
                                      "orange where ink raises it, purple where ink lowers it").format(j=c.unit), p)
                                     for c, p in zip(top, pushes)]))
        else:
            parts.append(units_html(title, " · ".join(pushes), []))
    st.html(stroke_panel(*parts))
    for layer in range(1, len(fwd.activations)):
        inspect = lazy_expander(_("Hover the units of layer {l} (unit, z, a)").format(l=layer), f"{key}.inspect{layer}")
        if inspect.open:  # built only when open: nothing is computed for a closed expander
            inspect.plotly_chart(hidden_grid(fwd.zs[layer - 1][row], fwd.activations[layer][row], title=f"a{layer}",
                                             lang=lang), config={"displayModeBar": False}, key=f"{key}.hidden{layer}")
            chart_alt(hidden_text(fwd.activations[layer][row], f"a{layer}", lang), f"{key}.hidden{layer}",
                      where=inspect)
