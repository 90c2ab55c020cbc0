"""The Weights page's figures and the arrays they are drawn from: heatmaps, the tile grid, bars, histograms.

Each builder takes arrays and options, returns a `go.Figure` with its own hover text and colour
range, and never calls Streamlit. Weights are drawn on a diverging scale centred on zero (purple <0,
white 0, orange >0) over a symmetric range [-vmax, vmax]; values beyond it take the end colours.

Size: Plotly sends a NumPy array as base64 of its bytes, so a float32 784x512 heatmap would cost
4 B x 401,408 x 4/3 = 2.1 MB, and the browser would paint 400,000 cells. The heatmap is a 128-colour
PNG instead (0.3 MB in the figure); its hover reads the weights, rounded to the 3 significant digits
it shows, from `hover_values`: a 2-byte index a cell into a table of the ~7,000 distinct values,
deflated to 0.6 MB, which the browser fetches once per model (mnistapp/heatmap_hover.py). The
512-tile grid is a 64-colour PNG too: about 0.3 MB.
"""
from __future__ import annotations

import base64
import io
import zlib

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from mnistapp.catalogue import DECIMAL, SOURCE, number, translate
from mnistcore.params import N_PIXELS, SIDE

from .draw import GRID_COLS
from .images import diverging_rgb
from .style import ANSWER, DIGITS, DIVERGING, GAP_COLOUR, GAP_RGB, MUTED, NEGATIVE, POSITIVE, key_selector, layout, number_marks

PALETTE_LEVELS = 64     # colours in the tile grid's PNG: enough for the eye, and it compresses 4x
HEATMAP_LEVELS = 128    # colours in the heatmap's PNG: smooth to the eye, 15 % more bytes than 64
HEATMAP_MARGIN = dict(l=92, r=82, b=70, autoexpand=False)  # px; see weight_heatmap
HOVER_DIGITS = 3        # weights show 3 significant digits in every hover label
HOVER_FMT = f".{HOVER_DIGITS}g"


def _style(fig: go.Figure, height: int, title: str | None = None, margin: dict | None = None,
           lang: str = SOURCE) -> go.Figure:
    return fig.update_layout(layout(height, title=title, margin=margin), **number_marks(lang))


def png_config(name: str) -> dict:
    """A chart's config: Plotly's toolbar with its 'download as PNG' button, saving under `name`.png."""
    return {"displaylogo": False, "toImageButtonOptions": {"filename": name, "scale": 2}}


def _signed_colours(values: np.ndarray) -> list[str]:
    """The diverging scale's ends: orange for a positive value, purple otherwise."""
    return [f"rgb{POSITIVE}" if v > 0 else f"rgb{NEGATIVE}" for v in values]


def round_significant(a: np.ndarray, digits: int = HOVER_DIGITS) -> np.ndarray:
    """float32 `a` rounded to `digits` significant digits: shown with `HOVER_FMT` it reads as `a` does."""
    a = np.asarray(a, np.float64)
    step = 10.0 ** (np.floor(np.log10(np.abs(np.where(a == 0, 1, a)))) - (digits - 1))
    return (np.round(a / step) * step).astype(np.float32)


def weight_heatmap(W: np.ndarray, *, vmax: float, name: str = "W1", rows_are_pixels: bool = True,
                   row_name: str = "input", col_name: str = "hidden unit", col_offset: int = 0,
                   title: str | None = None, height: int = 660, lang: str = SOURCE) -> go.Figure:
    """(n_in, n_out) weights as one PNG image: row i is input i, column j is unit col_offset + j.

    The image carries colours, not numbers. Its trace's `meta` holds the hover's wording: `row` (with
    {r}, {c}, {i}), `col` (with {j}) and `value` (with {v}); mnistapp/heatmap_hover.js fills it in from
    `hover_values(W)`, sent once beside the figure, so the hover names W[i, j] to HOVER_DIGITS digits.
    An invisible marker holds the colour bar, which an image trace has not.
    """
    n_in, n_out = W.shape
    meta = {"row": translate("pixel ({r}, {c}) · input {i}", lang) if rows_are_pixels else f"{row_name} {{i}}",
            "col": f"{col_name} {{j}}", "value": f"{name}[i, j] = {{v}}", "x0": col_offset,
            "digits": HOVER_DIGITS, "shape": [n_in, n_out], "decimal": DECIMAL[lang]}
    fig = go.Figure([
        go.Image(source=palette_png(W, vmax, HEATMAP_LEVELS), x0=col_offset, dx=1, y0=0, dy=1, name=name,
                 hoverinfo="none", meta=meta),  # "none" still sends the hover events that heatmap_hover.js reads
        go.Scatter(x=[None], y=[None], mode="markers", hoverinfo="skip", showlegend=False,
                   marker=dict(color=[0], colorscale=DIVERGING, cmin=-vmax, cmax=vmax, showscale=True,
                               colorbar=dict(thickness=10, title=dict(text=name, side="right"))))])
    if rows_are_pixels:  # one tick per 4 image rows: input r*28 starts image row r
        ticks = list(range(0, n_in, 4 * SIDE))
        fig.update_yaxes(tickmode="array", tickvals=ticks, ticktext=[translate("row {r}", lang).format(r=i // SIDE) for i in ticks])
    else:
        ticks = list(range(0, n_in, max(1, n_in // 8)))
        fig.update_yaxes(tickmode="array", tickvals=ticks, ticktext=[f"{i}" for i in ticks])
    # the image fills the plot: its cells need not be square
    fig.update_yaxes(autorange="reversed", scaleanchor=False, range=[n_in - 0.5, -0.5], showgrid=False,
                     zeroline=False, title=dict(text=translate("{row_name} (784 = 28×28 pixels, row-major)", lang).format(
                         row_name=row_name) if rows_are_pixels else row_name))
    fig.update_xaxes(title=col_name, range=[col_offset - 0.5, col_offset + n_out - 0.5], showgrid=False,
                     zeroline=False)
    fig.update_layout(hovermode="closest")
    # Fixed margins that fit the tick labels, axis titles and colour bar: Plotly's auto-margins would draw
    # the chart once, measure the labels, then draw it again.
    return _style(fig, height, title, margin=HEATMAP_MARGIN, lang=lang)


def hover_values(W: np.ndarray, digits: int = HOVER_DIGITS) -> bytes:
    """(n_in, n_out) weights -> the bytes heatmap_hover.js reads to name each cell's value, zlib-compressed.

    Rounded to `digits` significant digits, 400,000 weights take ~7,000 distinct values, so each cell
    is an index into the sorted table of those values, 2 bytes (4 above 65,536 values). Layout, little-endian:
    n_in, n_out, n_table (uint32); the table (float32); the indices, row-major, one byte plane after
    another (all the low bytes first), which zlib packs ~10 % better than whole indices.
    """
    table, codes = np.unique(round_significant(W, digits), return_inverse=True)
    width = "<u2" if len(table) <= 1 << 16 else "<u4"
    planes = codes.reshape(-1).astype(width).view(np.uint8).reshape(-1, np.dtype(width).itemsize).T
    head = np.array([*W.shape, len(table)], "<u4").tobytes()
    return zlib.compress(head + table.astype("<f4").tobytes() + planes.tobytes(), 6)


def read_hover_values(data: bytes) -> np.ndarray:
    """`hover_values`' bytes -> the (n_in, n_out) float32 values the hover shows, as heatmap_hover.js reads them."""
    raw = zlib.decompress(data)
    n_in, n_out, n_table = np.frombuffer(raw[:12], "<u4")
    table = np.frombuffer(raw[12:12 + 4 * n_table], "<f4")
    width = 2 if n_table <= 1 << 16 else 4
    planes = np.frombuffer(raw[12 + 4 * n_table:], np.uint8).reshape(width, n_in * n_out)
    codes = sum(planes[b].astype(np.uint32) << (8 * b) for b in range(width))
    return table[codes].reshape(n_in, n_out)


def matrix_heatmap(W: np.ndarray, *, layer: int, last: bool, vmax: float, start: int = 0,
                   width: int | None = None, lang: str = SOURCE) -> go.Figure:
    """W{layer + 1}, shape (n_in, n_out), as `weight_heatmap` of its columns start..start + width: its rows are
    the 784 pixels when it is the first layer's, else the units of the layer below; its columns hidden units,
    or the digits when it is the `last` layer's."""
    width = W.shape[1] if width is None else width
    pixels = layer == 0 and W.shape[0] == N_PIXELS
    return weight_heatmap(W[:, start:start + width], vmax=vmax, name=f"W{layer + 1}", rows_are_pixels=pixels,
                          row_name=translate("input", lang) if pixels else translate("unit of layer {l}", lang).format(l=layer),
                          col_name=translate("digit", lang) if last else translate("hidden unit", lang), col_offset=start,
                          title=translate("W{l}: {n_in} inputs × {n_out} outputs", lang).format(
                              l=layer + 1, n_in=W.shape[0], n_out=W.shape[1]), lang=lang)


def palette_png(grid: np.ndarray, vmax: float, levels: int = PALETTE_LEVELS) -> str:
    """(h, w) weights (NaN for gaps) -> 'data:image/png;base64,...' on the diverging scale, `levels` colours."""
    t = np.clip(np.nan_to_num(grid) / vmax, -1, 1)
    idx = np.round((t + 1) / 2 * (levels - 1)).astype(np.uint8)
    idx[np.isnan(grid)] = levels  # one extra palette entry for the gaps
    colours = diverging_rgb(np.linspace(-1, 1, levels)[None, :], 1.0)[0]
    palette = np.vstack([colours, GAP_RGB]).astype(np.uint8)
    img = Image.fromarray(idx, mode="P")
    img.putpalette(palette.ravel().tolist())
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def tile_grid(W: np.ndarray, order: np.ndarray, cols: int, gap: int = 1) -> np.ndarray:
    """(784, H) weights -> one (rows*(28+gap)-gap, cols*(28+gap)-gap) image of 28x28 tiles, NaN between.

    The tile at grid position p (row p // cols, column p % cols) is W[:, order[p]] reshaped row-major,
    so pixel (r, c) of a tile is the weight from input r*28 + c, the way the input image is laid out.
    """
    n = len(order)
    rows = -(-n // cols)
    step = SIDE + gap
    grid = np.full((rows * step - gap, cols * step - gap), np.nan, np.float32)
    for p, j in enumerate(order):
        r, c = divmod(p, cols)
        grid[r * step:r * step + SIDE, c * step:c * step + SIDE] = W[:, j].reshape(SIDE, SIDE)
    return grid


def tile_centres(n: int, cols: int, gap: int = 1) -> np.ndarray:
    """(n, 2) x, y centre, in pixels of `tile_grid`'s image, of the tiles at grid positions 0..n-1."""
    r, c = np.divmod(np.arange(n), cols)
    return np.column_stack([c, r]) * (SIDE + gap) + (SIDE - 1) / 2


def symmetric_range(a: np.ndarray, percentile: float) -> float:
    """The `percentile`-th percentile of |a|: a colour range [-v, v] centred on zero, outliers clipped."""
    v = float(np.nanpercentile(np.abs(a), percentile))
    return v if v > 0 else max(float(np.nanmax(np.abs(a))), 1e-12)


def column_window(n_rows: int, n_cols: int, max_cells: int) -> int:
    """How many columns of an (n_rows, n_cols) matrix fit in a heatmap of at most `max_cells` cells."""
    return max(1, min(n_cols, max_cells // max(n_rows, 1)))


def histogram(a: np.ndarray, bins: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(counts (bins,), edges (bins+1,)) of every value in `a`; by default 2·sqrt(n) bins, 5 to 120."""
    a = np.asarray(a, np.float64).ravel()
    bins = bins or int(np.clip(2 * np.sqrt(a.size), 5, 120))
    return np.histogram(a, bins=bins)


def npy_bytes(a: np.ndarray) -> bytes:
    """The array as the bytes of a `.npy` file (np.load reads it back)."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(a), allow_pickle=False)
    return buf.getvalue()


def weight_tiles(grid: np.ndarray, *, vmax: float, units: np.ndarray, centres: np.ndarray,
                 hover: np.ndarray, hover_names: tuple[str, ...], title: str | None = None,
                 height: int = 470, lang: str = SOURCE) -> go.Figure:
    """The tile grid (from `weights.tile_grid`, gap 0) as one PNG image, and an invisible marker per tile.

    The markers carry the hover (unit and `hover` columns named by `hover_names`) and make a tile
    clickable: a selected marker turns into an outline around its tile. centres: (n, 2) x, y.
    Thin lines between the tiles are a vector path, so they stay visible at any zoom.
    """
    text = translate("unit %{customdata[0]}", lang) + "".join(
        f"<br>{name} = %{{customdata[{k + 1}]:.3g}}" for k, name in enumerate(hover_names))
    customdata = np.column_stack([units, np.round(hover, 4)]) if len(hover_names) else units[:, None]
    h, w = grid.shape
    path = "".join(f"M{x - 0.5},-0.5V{h - 0.5}" for x in range(SIDE, w, SIDE)) + \
        "".join(f"M-0.5,{y - 0.5}H{w - 0.5}" for y in range(SIDE, h, SIDE))
    fig = go.Figure([
        go.Image(source=palette_png(grid, vmax), hoverinfo="skip"),
        go.Scatter(x=np.round(centres[:, 0], 1), y=np.round(centres[:, 1], 1), mode="markers",
                   customdata=customdata, hovertemplate=text + "<extra></extra>",
                   marker=dict(symbol="square-open", size=16, color=ANSWER, line=dict(width=3), opacity=0),
                   selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=0)))])
    fig.add_shape(type="path", path=path, line=dict(color=GAP_COLOUR, width=0.6), layer="above")
    fig.update_xaxes(visible=False, range=[-0.5, w - 0.5], constrain="domain")
    fig.update_yaxes(visible=False, range=[h - 0.5, -0.5], scaleanchor="x", constrain="domain",
                     constraintoward="top")  # on a narrow screen the spare height goes below the grid
    fig.update_layout(clickmode="event+select", dragmode="zoom", hovermode="closest")
    return _style(fig, height, title, lang=lang)


def unit_tiles(W: np.ndarray, order: np.ndarray, *, vmax: float, hover: dict[str, np.ndarray],
               title: str | None = None, cols: int = GRID_COLS, height: int = 470, lang: str = SOURCE) -> go.Figure:
    """(784, n) incoming weights as `weight_tiles`, `cols` tiles to a row: unit order[p] at grid place p.

    hover: a name -> (n,) values per unit (in unit order, not grid order), each shown in the unit's hover."""
    return weight_tiles(tile_grid(W, order, cols, gap=0), vmax=vmax, units=order,
                        centres=tile_centres(len(order), cols, gap=0),
                        hover=np.column_stack([v[order] for v in hover.values()]), hover_names=tuple(hover),
                        title=title, height=height, lang=lang)


def field_pictures(W: np.ndarray, units, *, vmax: float, scale: int = 3) -> list[np.ndarray]:
    """(784, n) incoming weights -> the receptive fields of `units` as 28x28 RGB pictures (each pixel a
    scale x scale block), on the diverging scale over [-vmax, vmax]."""
    return [diverging_rgb(W[:, j].reshape(SIDE, SIDE), vmax, scale=scale) for j in units]


PHONE_COLS = 12  # tiles to a row on a phone: 390 px wide, a tile is about 28 px (32 to a row: 10.7 px)
PHONE_TILE_PX = 29  # a phone grid's row height, so that its chart ends just below the grid


def phone_tiles_height(n_tiles: int) -> int:
    """The height of a phone's tile chart of `n_tiles` (PHONE_COLS to a row): the rows and 64 px of title and
    margins."""
    return -(-n_tiles // PHONE_COLS) * PHONE_TILE_PX + 64


def one_grid_css(wide: str, phone: str) -> str:
    """A <style> that shows the element `wide` (the tile chart, GRID_COLS to a row) on a screen wider than a phone
    and the element `phone` (PHONE_COLS to a row) on a phone, whose tiles would be 10 px in the wide one."""
    return (f"<style>{key_selector(phone)} {{ display: none; }} @media (max-width: 640px) {{ "
            f"{key_selector(wide)} {{ display: none; }} {key_selector(phone)} {{ display: block; }} }}</style>")


def field_heatmap(img: np.ndarray, *, vmax: float, name: str, title: str | None = None,
                  height: int = 340, lang: str = SOURCE) -> go.Figure:
    """One 28x28 image of weights (a receptive field or a template); hover names pixel, input and value."""
    inputs = np.arange(SIDE * SIDE).reshape(SIDE, SIDE)
    fig = go.Figure(go.Heatmap(
        z=np.asarray(img, np.float32), customdata=inputs, colorscale=DIVERGING, zmid=0, zmin=-vmax, zmax=vmax,
        colorbar=dict(thickness=10),
        hovertemplate=translate("pixel (%{y}, %{x}) · input %{customdata}", lang) + f"<br>{name} = %{{z:{HOVER_FMT}}}<extra></extra>"))
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain", constraintoward="top")
    return _style(fig, height, title, lang=lang)


def digit_bars(values: np.ndarray, *, name: str, title: str | None = None, height: int = 240,
               lang: str = SOURCE) -> go.Figure:
    """Ten values, one per digit (a row of W2, or b2), orange when positive and purple when negative."""
    colours = _signed_colours(values)
    fig = go.Figure(go.Bar(x=DIGITS, y=np.round(values, 4), marker_color=colours,
                           hovertemplate=translate("digit %{x}", lang) + f"<br>{name} = %{{y:{HOVER_FMT}}}<extra></extra>"))
    fig.update_xaxes(type="category", title=translate("digit", lang), tickmode="array", tickvals=DIGITS)
    fig.update_yaxes(zeroline=True, title=name)
    return _style(fig, height, title, lang=lang)


def class_heatmap(W_last: np.ndarray, *, vmax: float, name: str = "W2", height: int = 300,
                  lang: str = SOURCE) -> go.Figure:
    """(H, 10) last weight matrix drawn with the digits as rows: cell (k, j) is W[j, k]."""
    fig = go.Figure(go.Heatmap(
        z=np.asarray(W_last.T, np.float32), x=np.arange(W_last.shape[0]), y=DIGITS, colorscale=DIVERGING,
        zmid=0, zmin=-vmax, zmax=vmax, colorbar=dict(thickness=10),
        hovertemplate=translate("hidden unit %{x}<br>digit %{y}", lang) + f"<br>{name}[j, k] = %{{z:{HOVER_FMT}}}<extra></extra>"))
    fig.update_yaxes(type="category", autorange="reversed", title=translate("digit k", lang))
    fig.update_xaxes(title=translate("hidden unit j", lang))
    return _style(fig, height, lang=lang)


def vote_bars(pros: np.ndarray, cons: np.ndarray, column: np.ndarray, *, digit: int, name: str = "W2",
              height: int = 360, lang: str = SOURCE) -> go.Figure:
    """Horizontal bars of the units that vote hardest for (orange, on top) and against (purple) `digit`.

    pros and cons are unit indices, strongest first; column is W[:, digit] of the last matrix.
    """
    units = np.concatenate([pros, cons[::-1]])  # strongest for on top, strongest against at the bottom
    weights = column[units]
    colours = _signed_colours(weights)
    fig = go.Figure(go.Bar(
        x=np.round(weights, 4), y=[translate("unit {j}", lang).format(j=u) for u in units], orientation="h", marker_color=colours,
        hovertemplate=f"%{{y}}<br>{name}[j, {digit}] = %{{x:{HOVER_FMT}}}<extra></extra>"))
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_xaxes(title=f"{name}[j, {digit}]", zeroline=True)
    return _style(fig, height, lang=lang)


def bias_bars(b: np.ndarray, *, layer: int, last: bool, lang: str = SOURCE) -> go.Figure:
    """b{layer + 1}: one bar per digit when it is the `last` layer's (`digit_bars`), else one per unit (`unit_bars`)."""
    name = f"b{layer + 1}"
    if last:
        return digit_bars(b, name=name, title=translate("{name}: one bias per digit", lang).format(name=name), lang=lang)
    return unit_bars(b, name=name, title=translate("{name}: one bias per unit of layer {l}", lang).format(name=name, l=layer + 1),
                     lang=lang)


def unit_bars(values: np.ndarray, *, name: str, title: str | None = None, height: int = 240,
              lang: str = SOURCE) -> go.Figure:
    """One value per unit (a bias vector such as b1) as thin bars; hover names the unit."""
    colours = _signed_colours(values)
    fig = go.Figure(go.Bar(x=np.arange(len(values)), y=np.round(values, 4), marker_color=colours,
                           marker_line_width=0,
                           hovertemplate=translate("unit %{x}", lang) + f"<br>{name}[j] = %{{y:{HOVER_FMT}}}<extra></extra>"))
    fig.update_xaxes(title=translate("unit j", lang))
    fig.update_yaxes(title=name)
    fig.update_layout(bargap=0)
    return _style(fig, height, title, lang=lang)


def value_histogram(counts: np.ndarray, edges: np.ndarray, *, name: str, height: int = 240,
                    lang: str = SOURCE) -> go.Figure:
    """A histogram from precomputed (counts, edges): the bins travel, not the 400k values."""
    centres = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure(go.Bar(x=np.round(centres, 5), y=counts, width=float(edges[1] - edges[0]),
                           marker_color=MUTED, marker_line_width=0,
                           customdata=np.column_stack([edges[:-1], edges[1:]]).round(5),
                           hovertemplate=translate("%{customdata[0]:.3g} to %{customdata[1]:.3g}: %{y} values", lang)
                           + "<extra></extra>"))
    fig.update_xaxes(title=name)
    fig.update_yaxes(title=translate("count", lang))
    n = int(counts.sum())
    return _style(fig, height, translate("{name}: {n} values", lang).format(name=name, n=number(n, lang, 0)),
                  lang=lang)
