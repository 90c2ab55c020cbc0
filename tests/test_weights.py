"""The Weights page's maths and figures without a browser: the pictures show the numbers they claim to."""
import io
import re

import numpy as np
import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

from harness.server import data_url_image
from mnistapp.figures import weights as wf
from mnistapp.figures.images import diverging_rgb
from mnistapp.figures.weights import column_window, histogram, npy_bytes, symmetric_range, tile_centres, tile_grid
from mnistapp.paths import ROOT
from mnistapp.session import USER_MODEL, USER_MODEL_NAME, WEIGHTS_CLIP, WEIGHTS_FIRST_COL, WEIGHTS_LAYER, WEIGHTS_TAB, WEIGHTS_UNIT
from mnistcore import forward, scale_input
from mnistcore.explain.units import influence, templates, unit_norms, unit_order, unit_stats, votes
from mnistcore.params import SIDE
from reference import random_params


def random_images(n, seed=0) -> np.ndarray:
    """(n, 28, 28) uint8 'digits': a bright blob on a dark field at a random place, like MNIST's ink."""
    rng = np.random.default_rng(seed)
    rr, cc = np.mgrid[:SIDE, :SIDE]
    centres = rng.uniform(8, 20, (n, 2))
    blobs = np.exp(-((rr - centres[:, :1, None]) ** 2 + (cc - centres[:, 1:, None]) ** 2) / 18)
    return (255 * blobs).astype(np.uint8)


def hover_text(template: str, **fields) -> str:
    """Fill a Plotly hovertemplate the way plotly.js does for the few forms used here:
    %{x}, %{y}, %{z:.3g}, %{customdata}, %{customdata[k]:.3g}."""
    def one(m):
        name, index, fmt = m.group(1), m.group(2), m.group(3)
        value = fields[name]
        if index is not None:
            value = value[int(index)]
        return format(value, fmt) if fmt else str(value)
    return re.sub(r"%\{(\w+)(?:\[(\d+)\])?(?::([^}]*))?\}", one, template).replace("<extra></extra>", "")


def number_after(label: str, text: str) -> float:
    return float(re.search(re.escape(label) + r"\s*=?\s*(-?[\d.e+-]+)", text).group(1))


# --- tiles: the orientation of every picture of W1 -------------------------------------------------

@pytest.mark.parametrize("gap", [0, 1])
def test_tile_of_unit_j_is_its_incoming_weights_reshaped_row_major(gap):
    W = random_params((784, 37, 10)).Ws[0]
    order = np.random.default_rng(1).permutation(37)
    cols = 8
    grid = tile_grid(W, order, cols, gap=gap)
    step = SIDE + gap
    assert grid.shape == (5 * step - gap, cols * step - gap)
    for p, j in enumerate(order):
        r0, c0 = divmod(p, cols)
        tile = grid[r0 * step:r0 * step + SIDE, c0 * step:c0 * step + SIDE]
        np.testing.assert_array_equal(tile, W[:, j].reshape(SIDE, SIDE))
        for r, c in [(0, 27), (5, 3), (27, 0)]:  # pixel (r, c) of the tile is input r*28 + c
            assert tile[r, c] == W[r * SIDE + c, j]
    # the three tiles that would come after the last unit stay empty
    assert np.isnan(grid[4 * step:, 5 * step:]).all()


def test_each_tile_centre_lies_inside_its_own_tile():
    order = np.arange(37)
    marks = np.repeat(order[None, :].astype(float), 784, axis=0)  # every pixel of tile p holds p
    for gap in (0, 1):
        grid = tile_grid(marks, order, 8, gap=gap)
        centres = tile_centres(37, 8, gap=gap)
        for p, (x, y) in enumerate(centres):
            assert grid[int(round(y)), int(round(x))] == p


def test_tile_png_shows_each_unit_in_the_input_orientation():
    W = random_params((784, 12, 10), 3).Ws[0]
    order = np.arange(12)[::-1]
    vmax = symmetric_range(W, 99)
    grid = tile_grid(W, order, 4, gap=0)
    fig = wf.weight_tiles(grid, vmax=vmax, units=order, centres=tile_centres(12, 4, gap=0),
                          hover=unit_norms(random_params((784, 12, 10), 3))[order, None], hover_names=("norm",))
    source = fig.data[0].source
    png = data_url_image(source).convert("RGB")
    rgb = np.asarray(png).astype(int)
    assert rgb.shape == (3 * SIDE, 4 * SIDE, 3)
    # tile at grid position 5 (row 1, column 1) is unit order[5]; colours within one palette step
    expected = diverging_rgb(W[:, order[5]].reshape(SIDE, SIDE), vmax).astype(int)
    assert np.abs(rgb[SIDE:2 * SIDE, SIDE:2 * SIDE] - expected).max() <= 256 // wf.PALETTE_LEVELS
    # a tile's transpose would not pass: the test can tell rows from columns
    assert np.abs(rgb[SIDE:2 * SIDE, SIDE:2 * SIDE] - expected.transpose(1, 0, 2)).max() > 8
    marker = fig.data[1]
    assert list(np.asarray(marker.customdata)[:, 0].astype(int)) == list(order)


# --- heatmap hover: the value named is the value stored at that row and column ------------------------

def heatmap_label(fig, values: np.ndarray, row: int, col: int) -> str:
    """The hover label heatmap_hover.js writes for the cell at (row, col) of the image: the image trace's
    wording filled in, the value from `hover_values`' bytes, read back."""
    meta = fig.data[0].meta
    r, c = divmod(row, SIDE)
    return "<br>".join([meta["row"].format(r=r, c=c, i=row), meta["col"].format(j=meta["x0"] + col),
                        meta["value"].format(v=format(float(values[row, col]), f".{meta['digits']}g"))])


def image_of(fig) -> np.ndarray:
    """The heatmap's picture as (h, w, 3) uint8."""
    return np.asarray(data_url_image(fig.data[0].source).convert("RGB"))


def test_w1_heatmap_hover_names_pixel_unit_and_the_weight_at_that_cell():
    W1 = random_params((784, 64, 10), 2).Ws[0]
    fig = wf.weight_heatmap(W1, vmax=symmetric_range(W1, 99.5))
    values = wf.read_hover_values(wf.hover_values(W1))
    assert values.shape == (784, 64) and values.dtype == np.float32
    assert image_of(fig).shape == (784, 64, 3)  # one pixel per weight, row i of the picture is input i
    assert fig.data[0].x0 == 0 and fig.data[0].y0 == 0 and fig.data[0].dx == 1 and fig.data[0].dy == 1
    for i, j in [(0, 0), (300, 17), (783, 63), (29, 40)]:
        text = heatmap_label(fig, values, i, j)
        r, c = divmod(i, SIDE)
        assert f"pixel ({r}, {c})" in text and f"input {i}" in text
        assert f"hidden unit {j}" in text
        assert number_after("W1[i, j]", text) == pytest.approx(W1[i, j], rel=5e-3, abs=1e-9)


def test_heatmap_window_names_units_by_their_place_in_the_whole_matrix():
    W = random_params((784, 300, 10), 4).Ws[0]
    fig = wf.weight_heatmap(W[:, 100:200], vmax=1.0, col_offset=100)
    assert fig.data[0].x0 == 100 and list(fig.layout.xaxis.range) == [99.5, 199.5]  # the axis counts in the whole
    text = heatmap_label(fig, wf.read_hover_values(wf.hover_values(W[:, 100:200])), 7, 5)
    assert "hidden unit 105" in text
    assert number_after("W1[i, j]", text) == pytest.approx(W[7, 105], rel=5e-3)


@pytest.mark.parametrize("layer, rows, cols", [(0, "pixel (0, 5) · input 5", "hidden unit"),
                                               (1, "unit of layer 1 5", "hidden unit"), (2, "unit of layer 2 5", "digit")])
def test_each_matrix_heatmap_names_its_rows_and_columns_after_its_place_in_the_network(layer, rows, cols):
    params = random_params((784, 64, 32, 10), 8)
    W = params.Ws[layer]
    fig = wf.matrix_heatmap(W, layer=layer, last=layer == 2, vmax=symmetric_range(W, 99), start=3, width=4)
    assert fig.layout.title.text == f"W{layer + 1}: {W.shape[0]} inputs × {W.shape[1]} outputs"
    assert image_of(fig).shape == (W.shape[0], 4, 3) and fig.data[0].x0 == 3  # the window, named in the whole
    assert fig.data[0].meta["shape"] == [W.shape[0], 4]
    text = heatmap_label(fig, wf.read_hover_values(wf.hover_values(W[:, 3:7])), 5, 2)
    assert text.startswith(f"{rows}<br>{cols} 5<br>")
    assert number_after(f"W{layer + 1}[i, j]", text) == pytest.approx(W[5, 5], rel=5e-3)


def test_heatmap_hover_draws_no_label_of_its_own_and_its_axes_name_image_rows():
    W1 = random_params((784, 16, 10), 3).Ws[0]
    fig = wf.weight_heatmap(W1, vmax=1.0)
    assert fig.data[0].hoverinfo == "none"  # Plotly sends the events; heatmap_hover.js writes the label
    assert list(fig.layout.yaxis.tickvals) == list(range(0, 784, 4 * SIDE))
    assert list(fig.layout.yaxis.ticktext) == [f"row {r}" for r in range(0, SIDE, 4)]
    assert fig.layout.yaxis.autorange == "reversed" and fig.layout.yaxis.scaleanchor is False

def test_w2_heatmap_puts_digits_on_rows_and_names_the_right_weight():
    W2 = random_params((784, 50, 10), 5).Ws[1]
    hm = wf.class_heatmap(W2, vmax=symmetric_range(W2, 99)).data[0]
    z = np.asarray(hm.z)
    assert z.shape == (10, 50) and list(hm.y) == [str(d) for d in range(10)]
    for k, j in [(0, 0), (3, 41), (9, 49)]:
        text = hover_text(hm.hovertemplate, x=hm.x[j], y=hm.y[k], z=z[k, j])
        assert f"hidden unit {j}" in text and f"digit {k}" in text
        assert number_after("W2[j, k]", text) == pytest.approx(W2[j, k], rel=5e-3)


def test_receptive_field_hover_names_pixel_input_and_weight():
    W1 = random_params((784, 20, 10), 6).Ws[0]
    j = 13
    hm = wf.field_heatmap(W1[:, j].reshape(SIDE, SIDE), vmax=0.3, name=f"W1[i, {j}]").data[0]
    for r, c in [(0, 0), (4, 11), (27, 3)]:
        i = r * SIDE + c
        text = hover_text(hm.hovertemplate, x=c, y=r, z=np.asarray(hm.z)[r, c], customdata=np.asarray(hm.customdata)[r, c])
        assert f"pixel ({r}, {c}) · input {i}" in text
        assert number_after(f"W1[i, {j}]", text) == pytest.approx(W1[i, j], rel=5e-3)


def test_diverging_colour_range_is_symmetric_about_zero():
    W = random_params((784, 30, 10), 7).Ws[0] + 0.05  # skewed: a range from the data would not be symmetric
    v = symmetric_range(W, 99)
    bar = wf.weight_heatmap(W, vmax=v).data[1].marker
    assert bar.cmin == -v and bar.cmax == v and bar.showscale
    hm = wf.field_heatmap(W[:, 0].reshape(SIDE, SIDE), vmax=v, name="w").data[0]
    assert hm.zmin == -v and hm.zmax == v and hm.zmid == 0


def test_heatmap_picture_colours_each_weight_on_the_diverging_scale_clipped_at_the_range():
    W = np.zeros((784, 8), np.float32)
    W[0, 0], W[1, 1], W[2, 2], W[3, 3] = 5.0, -5.0, 0.5, -0.25  # beyond the range, inside it, and 0 elsewhere
    img = image_of(wf.weight_heatmap(W, vmax=1.0)).astype(int)

    def level(x: float) -> float:  # the palette's colour nearest x on [-1, 1]
        return np.round((x + 1) / 2 * (wf.HEATMAP_LEVELS - 1)) / (wf.HEATMAP_LEVELS - 1) * 2 - 1
    expected = {(0, 0): 1.0, (1, 1): -1.0, (2, 2): level(0.5), (3, 3): level(-0.25), (5, 6): level(0.0)}
    for (i, j), t in expected.items():
        np.testing.assert_array_equal(img[i, j], diverging_rgb(np.array([[t]]), 1.0)[0, 0], err_msg=str((i, j)))


def test_symmetric_range_clips_at_the_percentile_of_absolute_values():
    a = np.concatenate([np.linspace(-1, 1, 1001), [50.0]])  # one outlier
    assert symmetric_range(a, 100) == 50.0
    assert symmetric_range(a, 99) == pytest.approx(np.percentile(np.abs(a), 99))
    assert symmetric_range(a, 99) < 1.0
    assert symmetric_range(np.zeros(10), 99) > 0  # a colour range must never be empty


# --- what the tiles are ordered by ------------------------------------------------------------------

def test_unit_stats_agree_with_a_forward_pass():
    params = random_params((784, 40, 10), 8)
    images = random_images(200)
    stats = unit_stats(params, images, k=5)
    fwd = forward(params, scale_input(images / np.float32(255)))
    z1, a1 = fwd.zs[0], fwd.activations[1]
    np.testing.assert_allclose(stats.firing_rate, (z1 > 0).mean(axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(stats.mean_activation, a1.mean(axis=0), rtol=1e-5, atol=1e-6)
    for j in range(40):
        best = np.sort(z1[:, j])[::-1][:5]
        np.testing.assert_allclose(stats.top_z[j], best, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(z1[stats.top_images[j], j], stats.top_z[j], rtol=1e-6, atol=1e-6)


def test_each_order_sorts_units_by_its_key_largest_first():
    params = random_params((784, 40, 10), 9)
    images = random_images(300, seed=1)
    stats = unit_stats(params, images)
    assert list(unit_order(params, "index")) == list(range(40))
    norms = np.linalg.norm(params.Ws[0], axis=0)
    assert np.all(np.diff(norms[unit_order(params, "norm")]) <= 0)
    assert np.all(np.diff(stats.firing_rate[unit_order(params, "firing", stats)]) <= 0)
    # influence on digit 3 = mean over the images of a1[j] * W2[j, 3], computed here the long way
    a1 = forward(params, scale_input(images / np.float32(255))).activations[1]
    push = (a1 * params.Ws[1][:, 3]).mean(axis=0)
    np.testing.assert_allclose(influence(params, stats, 3), push, rtol=1e-4, atol=1e-7)
    assert np.all(np.diff(push[unit_order(params, "influence", stats, digit=3)]) <= 1e-7)
    with pytest.raises(ValueError):
        unit_order(params, "colour")


def test_templates_are_the_linear_part_of_the_network_as_images():
    params = random_params((784, 30, 10), 10)
    T = templates(params)
    assert T.shape == (10, SIDE, SIDE)
    x = np.random.default_rng(0).normal(size=784)
    for k in (0, 7):
        # x @ W1 @ W2[:, k] == sum over pixels of template_k * image: the template is in the input's layout
        assert (T[k] * x.reshape(SIDE, SIDE)).sum() == pytest.approx(x @ params.Ws[0] @ params.Ws[1][:, k], rel=1e-4)
    assert T[2][4, 11] == pytest.approx(params.Ws[0][4 * SIDE + 11] @ params.Ws[1][:, 2], rel=1e-5)
    with pytest.raises(ValueError):
        templates(random_params((784, 20, 16, 10)))


def test_votes_are_the_largest_and_smallest_weights_of_the_digit_column():
    W2 = random_params((784, 50, 10), 11).Ws[1]
    pros, cons = votes(W2, 4, n=5)
    col = W2[:, 4]
    assert list(pros) == list(np.argsort(col)[::-1][:5])
    assert list(cons) == list(np.argsort(col)[:5])


# --- downloads, histograms, sizes -------------------------------------------------------------------

def test_npy_bytes_load_back_bit_for_bit():
    W = random_params((784, 16, 10)).Ws[0]
    back = np.load(io.BytesIO(npy_bytes(W)), allow_pickle=False)
    assert back.dtype == np.float32 and back.shape == (784, 16)
    np.testing.assert_array_equal(back, W)


def test_histogram_counts_every_value_once():
    a = np.random.default_rng(0).normal(size=(784, 64)).astype(np.float32)
    counts, edges = histogram(a)
    assert counts.sum() == a.size and len(edges) == len(counts) + 1
    assert edges[0] == pytest.approx(a.min()) and edges[-1] == pytest.approx(a.max())
    assert 5 <= len(histogram(np.arange(10.0))[0]) <= 10  # ten biases get a few bins, not a hundred


def test_column_window_keeps_a_heatmap_under_its_cell_budget():
    assert column_window(784, 512, 784 * 512) == 512
    assert column_window(784, 2048, 784 * 512) == 512
    assert column_window(512, 10, 784 * 512) == 10


def test_big_figures_stay_small_on_the_wire():
    """Bytes for the two heavy figures of a 784-512-10 network (PNGs of 128 and 64 colours) and for the
    heatmap's hover values: a heatmap of float32 cells (2.1 MB) or an RGB tile image would fail this."""
    params = random_params((784, 512, 10), 12)
    W1 = params.Ws[0]
    heat = len(pio.to_json(wf.weight_heatmap(W1, vmax=symmetric_range(W1, 99.5)), validate=False))
    hover = len(wf.hover_values(W1))
    order = unit_order(params, "norm")
    tiles = wf.weight_tiles(tile_grid(W1, order, 32, gap=0), vmax=symmetric_range(W1, 99.5), units=order,
                            centres=tile_centres(512, 32, gap=0), hover=unit_norms(params)[order, None],
                            hover_names=("norm",))
    tiles_size = len(pio.to_json(tiles, validate=False))
    assert heat < 0.6e6, heat
    assert hover < 0.8e6, hover  # 2 bytes a weight, deflated
    assert tiles_size < 0.6e6, tiles_size


def test_hover_values_name_every_weight_as_it_reads_to_three_digits():
    W1 = random_params((784, 512, 10), 13).Ws[0]
    values = wf.read_hover_values(wf.hover_values(W1))
    shown = np.vectorize(lambda v: format(float(v), wf.HOVER_FMT))
    np.testing.assert_array_equal(shown(values), shown(W1))  # every hover label names the stored weight
    assert np.abs(values - W1).max() <= 5e-3 * np.abs(W1).max()
    assert len(wf.hover_values(W1)) < 0.5 * W1.nbytes  # an index of 2 bytes a cell, deflated


def test_hover_values_keep_every_value_when_there_are_more_than_65536_of_them():
    rng = np.random.default_rng(5)
    W = (rng.choice([-1, 1], (600, 400)) * 10.0 ** rng.uniform(-30, 30, (600, 400))).astype(np.float32)
    W[0, :3] = [0.0, 3.4e38, -1.5e-38]  # zero, near float32's largest and a tiny value keep their digits too
    assert len(np.unique(wf.round_significant(W))) > 1 << 16  # indices of 4 bytes
    values = wf.read_hover_values(wf.hover_values(W))
    shown = np.vectorize(lambda v: format(float(v), wf.HOVER_FMT))
    np.testing.assert_array_equal(shown(values), shown(W))


# --- the page itself, without a browser ------------------------------------------------------------

TABS = ["W1 heatmap", "W1 as images", "W2 and templates", "Biases and histograms"]


@pytest.mark.parametrize("sizes", [(784, 512, 10), (784, 64, 32, 10), (784, 10), (784, 1100, 10)],
                         ids=lambda s: "-".join(map(str, s)))
def test_every_tab_renders_for_models_of_any_depth(sizes):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/weights.py")
    if sizes != (784, 512, 10):
        at.session_state[USER_MODEL] = random_params(sizes, 13)
        at.session_state[USER_MODEL_NAME] = "other.pth"
    at.session_state[WEIGHTS_UNIT] = 600      # beyond some models' width: the page must clamp it
    wide = sizes[1] > 512
    at.session_state[WEIGHTS_LAYER] = 0 if wide else len(sizes) - 2  # W1 in windows, or the last matrix
    shown = {}
    for tab in TABS:
        at.session_state[WEIGHTS_TAB] = tab
        at.run()
        assert not at.exception, (tab, at.exception)
        shown[tab] = (len(at.get("plotly_chart")), " ".join(i.value for i in at.info))
        if tab == "W1 heatmap" and wide:  # 784 x 1100 is too many cells: a window of 512 columns and a slider
            assert at.slider(key=WEIGHTS_FIRST_COL).max == 1100 - 512
        if tab == "W1 as images":
            assert at.number_input(key=WEIGHTS_UNIT).value == min(600, sizes[1] - 1)
    assert at.title[0].value == "Weights"
    assert shown["W1 heatmap"][0] == 1 and shown["W1 as images"][0] >= 2  # the lazy tabs draw only their own
    assert shown["Biases and histograms"][0] == 3 * (len(sizes) - 1)  # per layer: b, and histograms of W and b
    if len(sizes) == 2:
        assert "no hidden layer" in shown["W2 and templates"][1]
    elif len(sizes) > 3:
        assert "template W1 @ W2[:, k] is a picture of the network only when there is one" in shown["W2 and templates"][1]


def test_the_colour_range_slider_shows_only_where_it_sets_colours_and_keeps_its_value():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page("pages/weights.py")
    at.session_state[WEIGHTS_TAB] = TABS[0]
    at.run()
    at.slider(key=WEIGHTS_CLIP).set_value(95.0).run()
    sliders = {}
    for tab in (*TABS, TABS[1]):
        at.session_state[WEIGHTS_TAB] = tab
        at.run()
        assert not at.exception, (tab, at.exception)
        sliders[tab] = [s.value for s in at.slider if s.key == WEIGHTS_CLIP]
    assert sliders["Biases and histograms"] == []  # the biases' bars and the histograms have no colour range
    assert sliders["W1 heatmap"] == sliders["W1 as images"] == sliders["W2 and templates"] == [95.0]  # kept across
