"""The Draw page's figure builders: valid Plotly, and the numbers they show are the ones they were given."""
import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.colors import hex_to_rgb, sequential

from mnistapp.figures.draw import (
    DIGIT_COLOURS,
    GRID_COLS,
    MAP_HEIGHT,
    digit_colour_key,
    hidden_grid,
    hidden_map,
    map_ranges,
    overlay_css,
    paired_bars,
    softmax_bars,
    star_overlay,
)
from mnistapp.figures.images import VIRIDIS, activation_rgb, diverging_rgb, gray_image
from mnistapp.figures.style import ANSWER, GAP_RGB, MUTED, OUTLINE


def validated(fig: go.Figure) -> go.Figure:
    """Rebuild with plotly's validation on: raises on any invalid property (the builders skip it for speed)."""
    return go.Figure(fig.to_dict())


def test_softmax_bars_show_each_probability_and_logit_and_mark_the_winner():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=10).astype(np.float32)
    probs = np.exp(logits) / np.exp(logits).sum()
    fig = validated(softmax_bars(probs, logits, winner=int(probs.argmax()), true_label=3))
    bar = fig.data[0]
    np.testing.assert_allclose(bar.y, probs, rtol=0, atol=5e-5)
    np.testing.assert_allclose(bar.customdata, logits, rtol=0, atol=5e-3)
    assert [c == ANSWER for c in bar.marker.color] == [d == probs.argmax() for d in range(10)]
    assert fig.layout.annotations[0].x == "3" and fig.layout.annotations[0].text == "true"


def test_hidden_grid_cell_hover_names_the_unit_and_its_z_and_a():
    rng = np.random.default_rng(1)
    z = rng.normal(size=512).astype(np.float32)
    a = np.maximum(z, 0)
    fig = validated(hidden_grid(z, a))
    hm = fig.data[0]
    grid, custom = np.array(hm.z, float), np.array(hm.customdata, float)
    assert grid.shape == (512 // GRID_COLS, GRID_COLS)
    for r, c in [(0, 0), (3, 17), (15, 31)]:
        unit = r * GRID_COLS + c
        assert custom[r, c, 0] == unit
        assert abs(custom[r, c, 1] - z[unit]) < 1e-3 and abs(grid[r, c] - a[unit]) < 1e-3
    assert "unit %{customdata[0]" in hm.hovertemplate


def test_hidden_grid_pads_a_layer_that_is_not_a_multiple_of_the_row_length():
    z = np.linspace(-1, 1, 100).astype(np.float32)
    fig = validated(hidden_grid(z, np.maximum(z, 0)))
    grid = np.array(fig.data[0].z, float)
    assert grid.shape == (4, GRID_COLS)
    assert np.isnan(grid.ravel()[100:]).all() and not np.isnan(grid.ravel()[:100]).any()


def test_images_keep_orientation_and_colours():
    img = np.zeros((28, 28), np.float32)
    img[2, 5] = 1.0
    big = gray_image(img, scale=3)
    assert big.shape == (84, 84) and big[6:9, 15:18].min() == 255 and big.sum() == 9 * 255
    w = np.zeros((28, 28), np.float32)
    w[0, 0], w[27, 27] = 1.0, -1.0
    rgb = diverging_rgb(w)
    assert rgb[0, 0, 0] > rgb[0, 0, 2]       # positive -> red
    assert rgb[27, 27, 2] > rgb[27, 27, 0]   # negative -> blue
    assert (rgb[10, 10] == 247).all()        # zero -> white


@pytest.mark.parametrize("shape", [(28, 28), (28, 28, 3), (1, 5), (7, 1, 3), (13, 31)])
@pytest.mark.parametrize("level", [1, 6])
def test_png_bytes_decode_to_the_same_pixels_in_pillow(shape, level):
    """Our PNG writer against an independent decoder: random pixels, so rows differ by every amount (the Up
    filter's differences wrap around 256), grey and RGB, one row or one column, both compression levels."""
    import io

    from PIL import Image

    from mnistapp.figures.images import png_bytes
    img = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    decoded = Image.open(io.BytesIO(png_bytes(img, compress_level=level)))
    assert decoded.mode == ("L" if img.ndim == 2 else "RGB")
    np.testing.assert_array_equal(np.asarray(decoded), img)


def test_png_bytes_keep_an_enlarged_picture_exact_and_small():
    import io

    from PIL import Image

    from mnistapp.figures.images import png_bytes
    rgb = diverging_rgb(np.linspace(-1, 1, 28 * 28).reshape(28, 28), scale=3)
    data = png_bytes(rgb)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(data))), rgb)
    assert len(data) < rgb.nbytes / 10  # repeated rows cost almost nothing after the Up filter


@pytest.mark.parametrize("bad", [np.zeros((4, 4), np.float32), np.zeros((4, 4, 4), np.uint8), np.zeros(4, np.uint8)])
def test_png_bytes_refuse_what_they_cannot_write(bad):
    from mnistapp.figures.images import png_bytes
    with pytest.raises(ValueError, match="uint8 image"):
        png_bytes(bad)


def test_png_data_url_holds_the_same_png():
    import base64

    from mnistapp.figures.images import png_bytes, png_data_url
    rgb = diverging_rgb(np.linspace(-1, 1, 28 * 28).reshape(28, 28), scale=3)
    head, _, payload = png_data_url(rgb, compress_level=6).partition(",")
    assert head == "data:image/png;base64" and base64.b64decode(payload) == png_bytes(rgb, compress_level=6)


def test_html_softmax_bars_draw_each_probability_the_winner_in_the_answer_colour_and_mark_the_true_digit():
    import re

    from mnistapp.figures.bars import HEIGHT, softmax_bars_html
    from mnistapp.figures.style import ANSWER, MUTED
    probs = np.array([0.01, 0.02, 0.6, 0.3, 0.0, 0.0, 0.07, 0.0, 0.0, 0.0], np.float32)
    logits = np.arange(10, dtype=np.float32) - 4.5
    page = softmax_bars_html(probs, logits, winner=2, true_label=3)
    heights = [int(h) for h in re.findall(r"height:(\d+)px", page)]
    colours = re.findall(r"background:(#[0-9a-f]{6})", page)
    assert heights == [round(float(p) * HEIGHT) for p in probs]
    assert colours == [ANSWER if d == 2 else MUTED for d in range(10)]
    assert re.findall(r'class="digit true">([^<]*)<', page) == ["3 (true)"]
    assert 'title="digit 3: p = 0.3000, logit z2 = -1.50"' in page
    assert "Top three: 2 (60.0%), 3 (30.0%), 6 (7.0%)." in page  # the text alternative, shown and as aria-label
    empty = softmax_bars_html(None)
    assert re.findall(r"height:(\d+)px", empty) == ["0"] * 10 and 'title=""' in empty


def test_activation_picture_puts_each_unit_in_its_cell_in_the_heatmaps_colours():
    a = np.zeros(100, np.float32)
    a[0], a[37], a[99] = 4.0, 2.0, 1.0
    scale, gap = 5, 1
    img = activation_rgb(a, cols=GRID_COLS, scale=scale, gap=gap)
    rows = -(-100 // GRID_COLS)
    assert img.shape == (rows * scale, GRID_COLS * scale, 3) and img.dtype == np.uint8
    cell = lambda j: img[(j // GRID_COLS) * scale + 1, (j % GRID_COLS) * scale + 1]
    viridis = [np.array(hex_to_rgb(c)) for c in sequential.Viridis]
    np.testing.assert_array_equal(cell(0), viridis[-1])   # the largest a: the scale's top (yellow)
    np.testing.assert_array_equal(cell(1), viridis[0])    # a = 0: its bottom (dark purple)
    np.testing.assert_array_equal(cell(37), VIRIDIS[128])  # half the largest: the middle of the scale
    np.testing.assert_array_equal(cell(99), VIRIDIS[64])
    assert (cell(100) == GAP_RGB).all() and (cell(rows * GRID_COLS - 1) == GAP_RGB).all()  # no unit: grey
    assert (img[scale - 1] == 255).all() and (img[:, scale - 1] == 255).all()  # the lines between cells
    assert (activation_rgb(np.zeros(512, np.float32), GRID_COLS)[1, 1] == viridis[0]).all()  # all off: no NaN


def test_paired_bars_show_each_models_probabilities_in_its_colour_and_name_it_in_the_hover():
    rng = np.random.default_rng(2)
    mine, theirs = rng.dirichlet(np.ones(10)).astype(np.float32), np.eye(10, dtype=np.float32)[3]
    fig = validated(paired_bars(mine, theirs, names=("your model (4)", "shipped model (3)"), true_label=3))
    assert fig.layout.barmode == "group" and [t.name for t in fig.data] == ["your model (4)", "shipped model (3)"]
    for trace, probs, colour in zip(fig.data, (mine, theirs), (ANSWER, MUTED)):
        assert list(trace.x) == [str(d) for d in range(10)]
        np.testing.assert_allclose(trace.y, probs, rtol=0, atol=5e-5)
        assert trace.marker.color == colour
        assert trace.hovertemplate.startswith(f"{trace.name}<br>digit %{{x}}")
    assert fig.data[1].text[3] == "100.0%" and fig.data[1].text[0] == ""  # a label only where a bar shows
    assert [(a.x, a.text) for a in fig.layout.annotations] == [("3", "true")]
    # every label one size, not shrunk to its bar's width (a tall bar beside another got a tiny "100%")
    assert fig.layout.uniformtext.mode == "show" and fig.layout.uniformtext.minsize >= 10
    assert not validated(paired_bars(mine, theirs, names=("a", "b"))).layout.annotations


def test_the_map_has_every_point_once_in_its_digits_colour_with_its_digit_and_index_and_the_star_shares_its_axes():
    rng = np.random.default_rng(0)
    points, labels = rng.normal(0, 5, (500, 2)).astype(np.float32), rng.integers(0, 10, 500)
    fig = hidden_map(points, labels)
    validated(fig)  # checked, not read: its arrays come back as base64 there
    assert len(fig.data) == 10
    index = np.concatenate([np.asarray(t.customdata) for t in fig.data])
    assert sorted(index.tolist()) == list(range(500))
    for d, trace in enumerate(fig.data):
        assert f"digit {d}" in trace.hovertemplate and "test image %{customdata}" in trace.hovertemplate
        assert trace.marker.color == DIGIT_COLOURS[d]
        assert all(labels[i] == d for i in trace.customdata)
        np.testing.assert_allclose(np.c_[trace.x, trace.y], points[list(trace.customdata)], rtol=0, atol=0.006)
    (x0, x1), (y0, y1) = map_ranges(points)
    assert x0 < points[:, 0].min() and points[:, 0].max() < x1 and y0 < points[:, 1].min() and points[:, 1].max() < y1
    star = validated(star_overlay(np.array([1.5, -2.0]), points[:8], map_ranges(points)))
    assert (star.data[1].x[0], star.data[1].y[0]) == (1.5, -2.0) and star.data[1].marker.symbol == "star"
    np.testing.assert_allclose(np.c_[star.data[0].x, star.data[0].y], points[:8], rtol=0, atol=0.006)
    assert star.data[0].marker.line.color == OUTLINE
    assert list(star.layout.xaxis.range) == list(fig.layout.xaxis.range)
    assert list(star.layout.yaxis.range) == list(fig.layout.yaxis.range)
    assert star.layout.height == fig.layout.height == MAP_HEIGHT and star.layout.margin == fig.layout.margin


def test_the_overlay_is_lifted_by_the_maps_height_and_the_colour_key_names_each_digits_colour():
    import re

    css = overlay_css("draw-map-star")
    assert re.search(rf"\.st-key-draw-map-star \{{ margin-top: -{MAP_HEIGHT + 16}px; pointer-events: none;", css)
    key = digit_colour_key()
    assert re.findall(r"color:(#[0-9A-F]{6})'>&#9679;</span>&nbsp;(\d)", key) == [(c, str(d)) for d, c in
                                                                                  enumerate(DIGIT_COLOURS)]
