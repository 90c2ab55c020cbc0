"""MNIST-style preprocessing of canvas drawings: crop, 20 px box, aspect ratio, centre of mass."""
import json
import math
import re

import numpy as np
import pytest

from mnistapp.paths import DATA_DIR
from mnistcore import ModelFileError
from mnistcore.preprocess import (
    BOX,
    EMPTY,
    INK_LEVEL,
    MNIST_MEAN,
    MNIST_SCALING,
    MNIST_STD,
    SIDE,
    STEPS,
    STRAY_DOT,
    UNIT_SCALING,
    Scaling,
    canvas_ink,
    card_scaling,
    center_digit,
    digit_steps,
    ink_box,
    is_stray_dot,
    plain_resize,
    preprocess_canvas,
    read_canvas,
    scale_input,
    scale_uint8,
)


def canvas(shapes, size=280, background_alpha=255):
    """RGBA canvas, black ground, with white filled rectangles (top, bottom, left, right)."""
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[..., 3] = background_alpha
    for top, bottom, left, right in shapes:
        rgba[top:bottom, left:right] = 255
    return rgba


def ink_extent(img):
    rows = np.flatnonzero((img > 0.05).any(1))
    cols = np.flatnonzero((img > 0.05).any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def centre_of_mass(img):
    r, c = np.indices(img.shape)
    return (r * img).sum() / img.sum(), (c * img).sum() / img.sum()


@pytest.mark.parametrize("name, box, expect_hw", [
    ("tall thin stroke", (40, 240, 135, 145), (20, 1)),
    ("wide bar", (130, 180, 40, 240), (5, 20)),
    ("tall block", (20, 260, 100, 160), (20, 5)),
    ("square", (100, 180, 100, 180), (20, 20)),
    ("very small square", (10, 22, 250, 262), (20, 20)),
    ("full canvas", (0, 280, 0, 280), (20, 20)),
])
def test_longer_side_becomes_20px_keeping_the_aspect_ratio_and_the_mass_is_centred(name, box, expect_hw):
    img = center_digit(canvas_ink(canvas([box])))  # the geometry alone: a tiny square is a stray dot to read_canvas
    assert img.shape == (SIDE, SIDE) and img.dtype == np.float32
    assert 0 <= img.min() and img.max() <= 1
    h, w = ink_extent(img)
    assert (h, w) == pytest.approx(expect_hw, abs=1)
    assert max(h, w) == BOX
    cy, cx = centre_of_mass(img)
    assert abs(cy - 13.5) <= 0.5 + 1e-4 and abs(cx - 13.5) <= 0.5 + 1e-4


def test_the_same_drawing_anywhere_on_the_canvas_gives_the_same_image():
    shape = [(0, 60, 0, 15), (45, 60, 0, 40)]  # an "L"
    at = lambda dy, dx: [(t + dy, b + dy, l + dx, r + dx) for t, b, l, r in shape]
    ref = preprocess_canvas(canvas(at(10, 10)))
    np.testing.assert_array_equal(preprocess_canvas(canvas(at(200, 210))), ref)
    np.testing.assert_array_equal(preprocess_canvas(canvas(at(90, 30))), ref)


def test_an_off_centre_mass_is_moved_to_the_centre_not_the_box():
    # a heavy vertical bar on the left joined to a thin top line: the box centre is not the mass centre
    img = preprocess_canvas(canvas([(40, 240, 40, 80), (40, 70, 80, 240)]))
    cy, cx = centre_of_mass(img)
    assert abs(cy - 13.5) <= 0.5 + 1e-4 and abs(cx - 13.5) <= 0.5 + 1e-4
    cols = np.flatnonzero((img > 0.05).any(0))
    assert cols[0] + cols[-1] > 27  # the box sits right of centre so that the heavy left side is centred


def test_empty_and_transparent_canvases_give_none():
    assert preprocess_canvas(canvas([])) is None
    assert preprocess_canvas(np.zeros((280, 280, 4), np.uint8)) is None  # transparent ground
    faint = canvas([])
    faint[100:150, 100:150, :3] = 10  # below the ink level: noise, not a drawing
    assert preprocess_canvas(faint) is None


def test_read_canvas_says_why_there_is_no_digit_and_otherwise_centres_the_ink():
    assert read_canvas(canvas([])) == (None, EMPTY)
    assert read_canvas(canvas([(100, 106, 100, 106)])) == (None, STRAY_DOT)
    assert preprocess_canvas(canvas([(100, 106, 100, 106)])) is None  # the public path applies the rule too
    drawing = canvas([(40, 240, 40, 80), (40, 70, 80, 240)])
    digit, why_none = read_canvas(drawing)
    assert why_none is None
    np.testing.assert_array_equal(digit, center_digit(canvas_ink(drawing)))
    np.testing.assert_array_equal(preprocess_canvas(drawing), digit)


@pytest.mark.parametrize("n_in", [40, 30, 23])
def test_the_resize_averages_each_output_pixels_share_of_the_input(n_in):
    """Area averaging, checked against an independent computation: upsample by 20 (each input pixel
    becomes 20 equal sub-pixels), then average blocks of n_in sub-pixels, one block per output pixel."""
    rng = np.random.default_rng(n_in)
    ink = rng.uniform(0.2, 0.9, (n_in, n_in)).astype(np.float32)  # all above the ink level: nothing is cropped
    fine = np.kron(ink.astype(np.float64), np.ones((BOX, BOX)))    # (20 n_in, 20 n_in)
    expected = fine.reshape(BOX, n_in, BOX, n_in).mean(axis=(1, 3))  # (20, 20)
    out = center_digit(ink)
    rows, cols = np.flatnonzero(out.any(1)), np.flatnonzero(out.any(0))
    placed = out[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    np.testing.assert_allclose(placed, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("turns", [0, 1, 2, 3], ids=["left", "bottom", "right", "top"])
def test_a_lopsided_digit_is_shifted_only_as_far_as_the_field_allows(turns):
    # A heavy bar along one side and a thin line across: a "Γ" whose mass sits far to one side of its box,
    # so centring the mass would push the 20 px box past the opposite edge. Turned to each side in turn.
    ink = np.zeros((40, 40), np.float32)
    ink[:, :2] = 1.0
    ink[0, :] = 1.0
    ink = np.rot90(ink, turns)
    out = center_digit(ink)
    assert out.shape == (SIDE, SIDE)
    rows, cols = np.flatnonzero((out > 0).any(1)), np.flatnonzero((out > 0).any(0))
    heavy_side = ["left", "bottom", "right", "top"][turns]
    if heavy_side in ("left", "right"):  # the box touches the far edge, all of it inside
        assert (cols[0], cols[-1]) == ((SIDE - BOX, SIDE - 1) if heavy_side == "left" else (0, BOX - 1))
    else:
        assert (rows[0], rows[-1]) == ((0, BOX - 1) if heavy_side == "bottom" else (SIDE - BOX, SIDE - 1))
    np.testing.assert_allclose(out.sum(), ink.mean() * BOX * BOX, rtol=1e-5)  # no ink lost at the edge


@pytest.mark.parametrize("shape", [(1, 200), (200, 1)], ids=["flat", "tall"])
def test_a_one_pixel_line_stays_one_pixel_thin(shape):
    out = center_digit(np.ones(shape, np.float32))
    extent = ink_extent(out)
    assert sorted(extent) == [1, BOX]


def test_canvas_ink_reads_rgb_and_rgba_and_refuses_other_shapes():
    rgb = np.zeros((10, 10, 3), np.uint8)
    rgb[2:4, 2:4] = 255
    ink = canvas_ink(rgb)  # no alpha channel: fully opaque
    assert ink.dtype == np.float32 and ink[3, 3] == 1 and ink[0, 0] == 0
    rgba = np.dstack([rgb, np.full((10, 10), 51, np.uint8)])  # 20 % opaque
    np.testing.assert_allclose(canvas_ink(rgba)[3, 3], 0.2, rtol=1e-6)
    assert canvas_ink(rgba).dtype == np.float32
    for bad in [np.zeros((10, 10)), np.zeros((10, 10, 2)), np.zeros((2, 10, 10, 4))]:
        with pytest.raises(ValueError, match=r"RGBA image, got shape"):
            canvas_ink(bad)


@pytest.mark.parametrize("channels", [3, 4])
def test_canvas_ink_is_the_mean_of_the_colour_channels_times_the_opacity(channels):
    """Against the definition in float64 on random colours (not only white ink): any channel weighted
    wrongly, or the opacity left out, is off by far more than float32's rounding."""
    rgba = np.random.default_rng(channels).integers(0, 256, (40, 30, channels), dtype=np.uint8)
    expected = rgba[..., :3].astype(np.float64).mean(axis=2) / 255
    if channels == 4:
        expected *= rgba[..., 3] / 255
    np.testing.assert_allclose(canvas_ink(rgba), expected, rtol=1e-6, atol=1e-7)


def test_ink_must_be_above_the_ink_level_not_at_it():
    at_level = np.full((5, 5), INK_LEVEL, np.float64)
    assert ink_box(at_level) is None
    assert ink_box(np.nextafter(at_level, 1)) == (0, 5, 0, 5)


def test_a_pixel_at_the_ink_level_widens_the_box_in_neither_direction():
    ink = np.zeros((20, 20))
    ink[5:10, 5:10] = 1
    ink[15, 15] = INK_LEVEL  # below and right of the stroke, at the level exactly
    assert ink_box(ink) == (5, 10, 5, 10)


def test_a_stray_dot_is_smaller_than_twelve_percent_of_the_canvas_and_not_equal():
    ink = np.zeros((250, 250), np.float32)  # 12 % of 250 is exactly 30 px
    ink[100:130, 100:130] = 1
    assert not is_stray_dot(ink)
    ink[129, :] = 0
    ink[:, 129] = 0
    assert is_stray_dot(ink)


def test_ink_is_brightness_times_alpha():
    rgba = canvas([(10, 20, 10, 20)], background_alpha=0)
    ink = canvas_ink(rgba)
    assert ink[15, 15] == 1 and ink[0, 0] == 0
    rgba[15, 15, 3] = 0  # a white pixel that is fully transparent is no ink
    assert canvas_ink(rgba)[15, 15] == 0


def test_a_stray_dot_is_told_apart_from_a_small_digit():
    assert is_stray_dot(canvas_ink(canvas([(100, 106, 100, 106)])))
    assert not is_stray_dot(canvas_ink(canvas([(100, 140, 100, 104)])))
    assert not is_stray_dot(canvas_ink(canvas([])))


def test_center_digit_matches_mnist_digits_already_centred():
    from mnistcore import load_mnist
    images, _ = load_mnist("test", DATA_DIR)
    for img in images[:50]:
        x = img / np.float32(255)
        out = center_digit(x)
        # MNIST digits already fill a 20 px box around their centre of mass: re-centring moves them little
        assert max(ink_extent(out)) == BOX
        assert np.abs(np.array(centre_of_mass(out)) - 13.5).max() <= 0.5 + 1e-4


def test_scale_input_is_the_training_normalisation():
    x = np.array([[0.0, 1.0]], np.float32)
    out = scale_input(np.tile(x, (1, 392)))
    assert out.shape == (1, 784) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :2], [-MNIST_MEAN / MNIST_STD, (1 - MNIST_MEAN) / MNIST_STD], rtol=1e-6, atol=0)


# ---------------------------------------------------------------- the steps, each of which can be switched off


def lopsided_ink():
    """An "L" on a 90x120 canvas with a margin round it: a heavy upright and a thin foot, so the ink's
    centre of mass sits well away from the middle of its box, both ways."""
    ink = np.zeros((90, 120), np.float32)
    ink[20:70, 30:42] = 1.0  # the upright, 12 px wide
    ink[62:70, 30:80] = 1.0  # the foot, 8 px high
    return ink


def ink_inside(img):
    """The part of an image inside the box round its ink."""
    top, bottom, left, right = ink_box(img)
    return img[top:bottom, left:right]


def test_digit_steps_are_the_canvas_then_each_step_in_order_the_last_one_the_network_input():
    ink = lopsided_ink()
    steps = digit_steps(ink)
    assert tuple(step.name for step in steps) == ("canvas", *STEPS)
    np.testing.assert_array_equal(steps[0].image, ink)
    centred, x = steps[-2].image, steps[-1].image
    assert centred.shape == x.shape == (SIDE, SIDE) and x.dtype == np.float32
    cy, cx = centre_of_mass(centred)
    assert abs(cy - 13.5) <= 0.5 + 1e-4 and abs(cx - 13.5) <= 0.5 + 1e-4
    np.testing.assert_allclose(x, (centred - MNIST_MEAN) / MNIST_STD, rtol=1e-6, atol=1e-6)


def test_digit_steps_has_nothing_to_show_for_a_canvas_without_ink():
    assert digit_steps(np.zeros((50, 50), np.float32)) is None
    assert digit_steps(np.zeros((50, 50), np.float32), frozenset(STEPS)) is None
    assert center_digit(np.zeros((50, 50), np.float32)) is None


def test_the_crop_holds_all_the_ink_and_touches_it_on_every_side():
    ink = lopsided_ink()
    crop = digit_steps(ink)[1].image
    assert crop.sum() == ink.sum()
    for edge in (crop[0], crop[-1], crop[:, 0], crop[:, -1]):
        assert edge.max() > INK_LEVEL


def test_with_the_crop_off_the_whole_canvas_is_fitted_into_the_box():
    ink = lopsided_ink()  # 90x120: the longer side is the canvas's width
    steps = digit_steps(ink, frozenset({"crop"}))
    np.testing.assert_array_equal(steps[1].image, ink)
    assert steps[2].image.shape == (round(90 * BOX / 120), BOX)


@pytest.mark.parametrize("h, w", [(50, 50), (50, 12), (12, 50), (33, 80)])
def test_the_fit_makes_the_longer_side_20_px_keeping_the_aspect_and_the_mean_ink(h, w):
    rng = np.random.default_rng(h * w)
    ink = np.zeros((h + 20, w + 20), np.float32)
    ink[10:10 + h, 10:10 + w] = rng.uniform(0.2, 1.0, (h, w))  # all above the ink level: the crop is this block
    crop, small = (step.image for step in digit_steps(ink)[1:3])
    assert crop.shape == (h, w) and max(small.shape) == BOX
    # each side within half a pixel of the exact scaled length
    np.testing.assert_allclose(np.array(small.shape), np.array((h, w)) * BOX / max(h, w), rtol=0, atol=0.5)
    np.testing.assert_allclose(small.mean(), crop.mean(), rtol=1e-5, atol=0)


def test_with_the_fit_off_the_crop_is_stretched_plainly_over_the_whole_field():
    steps = digit_steps(lopsided_ink(), frozenset({"fit"}))
    assert steps[2].image.shape == (SIDE, SIDE)
    np.testing.assert_allclose(steps[3].image, plain_resize(steps[1].image), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
def test_with_the_centring_off_the_box_sits_in_the_middle_not_the_mass(turns):
    ink = np.rot90(lopsided_ink(), turns)
    on, off = (digit_steps(ink, o)[3].image for o in (frozenset(), frozenset({"centre"})))
    np.testing.assert_array_equal(ink_inside(off), ink_inside(on))  # the same picture, placed elsewhere
    top, bottom, left, right = ink_box(off)
    assert abs(top - (SIDE - bottom)) <= 1 and abs(left - (SIDE - right)) <= 1
    cy, cx = centre_of_mass(off)
    assert abs(cy - 13.5) > 1 and abs(cx - 13.5) > 1  # so centring by mass would have moved it


@pytest.mark.parametrize("h, w", [(20, 7), (7, 20), (20, 20)])
def test_a_digit_whose_mass_is_the_middle_of_its_box_lands_alike_with_the_centring_on_or_off(h, w):
    # An even bar already 20 px long, so the fit leaves it exactly as it is: its centre of mass is
    # exactly the middle of its box, and both ways of placing it must round that to the same pixel.
    ink = np.zeros((40, 40), np.float32)
    ink[5:5 + h, 9:9 + w] = 1.0
    on, off = (digit_steps(ink, o)[3].image for o in (frozenset(), frozenset({"centre"})))
    np.testing.assert_array_equal(off, on)


def test_with_the_scaling_off_the_network_reads_the_centred_ink_as_it_is():
    steps = digit_steps(lopsided_ink(), frozenset({"scale"}))
    np.testing.assert_array_equal(steps[-1].image, steps[-2].image)
    np.testing.assert_array_equal(steps[-2].image, center_digit(lopsided_ink()))


@pytest.mark.parametrize("turns", [0, 1])
def test_with_every_step_off_the_network_reads_the_canvas_plainly_resized(turns):
    ink = np.rot90(lopsided_ink(), turns)
    steps = digit_steps(ink, frozenset(STEPS))
    assert tuple(step.name for step in steps) == ("canvas", *STEPS)
    np.testing.assert_allclose(steps[-1].image, plain_resize(ink), rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- the plain resize


def test_plain_resize_leaves_a_28_by_28_image_as_it_is():
    img = np.random.default_rng(28).uniform(0, 1, (SIDE, SIDE)).astype(np.float32)
    out = plain_resize(img)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, img, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("h, w", [(280, 280), (90, 120), (13, 200), (5, 5)])
def test_plain_resize_gives_28_by_28_with_the_same_mean_ink(h, w):
    img = np.random.default_rng(h + w).uniform(0, 1, (h, w)).astype(np.float32)
    out = plain_resize(img)
    assert out.shape == (SIDE, SIDE) and out.dtype == np.float32
    np.testing.assert_allclose(out.mean(), img.mean(), rtol=1e-5, atol=0)


def test_plain_resize_keeps_full_ink_at_most_1_where_float32_weights_round_it_up():
    # The area weights are float32, so for some sizes (39 and 45 among these) ones average to 1 + 1 ulp.
    for n in range(1, 61):
        out = plain_resize(np.ones((n, n), np.float32))
        assert out.max() <= 1, n
        np.testing.assert_allclose(out, 1, rtol=0, atol=1e-6)


# ---------------------------------------------------------------- the model card's input scaling


@pytest.mark.parametrize("word, scaling", [
    ("mnist", MNIST_SCALING), (" MNIST\n", MNIST_SCALING), ("Mnist", MNIST_SCALING),
    ("0..1", UNIT_SCALING), ("0-1", UNIT_SCALING), ("unit", UNIT_SCALING), (" Unit ", UNIT_SCALING),
])
def test_a_card_can_name_its_scaling_in_a_word_in_any_case(word, scaling):
    assert card_scaling({"input_scaling": word, "epochs": 3}) == scaling


@pytest.mark.parametrize("mean, std", [(0.1307, 0.3081), (0, 1), (0.5, 2), (-1, 1e-3)])
def test_a_card_can_give_its_mean_and_std_and_they_come_back_as_floats(mean, std):
    scaling = card_scaling({"input_scaling": {"mean": mean, "std": std}})
    assert scaling == Scaling(mean, std) and all(type(v) is float for v in scaling)


@pytest.mark.parametrize("card", [
    None, [], "mnist", {}, {"scaling": "mnist"}, {"input_scaling": None}, {"input_scaling": "z-score"},
    {"input_scaling": "mnist 0..1"}, {"input_scaling": 1}, {"input_scaling": [0.1307, 0.3081]},
    {"input_scaling": {"mean": 0.1307}}, {"input_scaling": {"std": 0.3081}},
    {"input_scaling": {"mean": "0.1307", "std": 0.3081}}, {"input_scaling": {"mean": 0.1307, "std": "0.3081"}},
    {"input_scaling": {"mean": True, "std": 1}}, {"input_scaling": {"mean": 0, "std": True}},
    {"input_scaling": {"mean": math.nan, "std": 1}}, {"input_scaling": {"mean": 0, "std": math.inf}},
    {"input_scaling": {"mean": -math.inf, "std": 1}},
    {"input_scaling": {"mean": 0, "std": 0}}, {"input_scaling": {"mean": 0, "std": -0.3081}},
], ids=repr)
def test_a_card_that_does_not_say_how_to_scale_is_refused(card):
    with pytest.raises(ModelFileError):
        card_scaling(card)


def test_the_refusal_says_what_is_missing_and_offers_settings_that_are_accepted():
    with pytest.raises(ModelFileError) as e:
        card_scaling({})
    message = str(e.value)
    assert message.startswith("This model card does not say how the model scales its input. ")
    offer = re.search(r"""Give it an "(\w+)" of (\{.*?\}) \(MNIST's\), (\{.*?\}) \(pixels 0\.\.1\), or (.*)$""", message)
    assert offer, message
    key, mnist, unit, otherwise = offer.groups()
    assert card_scaling({key: json.loads(mnist)}) == MNIST_SCALING
    assert card_scaling({key: json.loads(unit)}) == UNIT_SCALING
    assert otherwise == "pick the scaling in the sidebar."


@pytest.mark.parametrize("dtype", [np.float64, np.float16])
def test_scale_input_gives_float32_whatever_it_is_given(dtype):
    images = np.random.default_rng(16).uniform(0, 1, (3, 28, 28)).astype(dtype)
    x = scale_input(images)
    assert x.shape == (3, 784) and x.dtype == np.float32
    np.testing.assert_allclose(x, (images.reshape(3, 784).astype(np.float64) - MNIST_MEAN) / MNIST_STD, rtol=1e-5, atol=1e-5)


def test_scale_uint8_maps_0_and_255_to_the_ends_of_the_scaling_it_is_given():
    images = np.array([[0, 255] * 392], np.uint8)
    np.testing.assert_allclose(scale_uint8(images, UNIT_SCALING)[0, :2], [0, 1], rtol=0, atol=1e-7)
    np.testing.assert_allclose(scale_uint8(images)[0, :2], [-MNIST_MEAN / MNIST_STD, (1 - MNIST_MEAN) / MNIST_STD],
                               rtol=1e-6, atol=1e-6)
