"""The confusion matrix's and the digit map's colours, told apart with red-green colour blindness.

Each colour is passed through Machado, Oliveira and Fernandes' (2009) simulation of protanopia and
deuteranopia (severity 1, applied to linear RGB), and the CIEDE2000 difference between simulated colours
must stay at 10 or more: clearly different at a glance (2.3 is a just-noticeable difference).
"""
import itertools

import numpy as np
import pytest
from skimage.color import deltaE_ciede2000, rgb2lab

from mnistapp.figures.draw import DIGIT_COLOURS
from mnistapp.figures.style import ANSWER, RIGHT_SCALE, WRONG_SCALE

MACHADO = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
}
PAGES = {"light": "#ffffff", "dark": "#171614"}  # Streamlit 1.67's light and dark backgrounds
MIN_DIFFERENCE = 10.0


def rgb(colour: str) -> np.ndarray:
    return np.array([int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)]) / 255


def seen(colour: np.ndarray, vision: str) -> np.ndarray:
    """sRGB in [0, 1] as someone with `vision` sees it (Machado's matrix on linear RGB), back in sRGB."""
    linear = np.where(colour <= 0.04045, colour / 12.92, ((colour + 0.055) / 1.055) ** 2.4)
    out = np.clip(MACHADO[vision] @ linear, 0, 1)
    return np.where(out <= 0.0031308, 12.92 * out, 1.055 * out ** (1 / 2.4) - 0.055)


def difference(a: np.ndarray, b: np.ndarray, vision: str) -> float:
    lab = rgb2lab(np.stack([seen(a, vision), seen(b, vision)])[None])[0]
    return float(deltaE_ciede2000(lab[0], lab[1]))


def test_the_simulation_turns_red_and_green_alike_and_leaves_grey_alone():
    red, green, grey = rgb("#e41a1c"), rgb("#4daf4a"), rgb("#808080")
    assert difference(red, green, "normal") > 40
    assert difference(red, green, "deuteranopia") < 10  # the confusion the palettes must avoid
    for vision in MACHADO:
        np.testing.assert_allclose(seen(grey, vision), grey, rtol=0, atol=2e-3)


@pytest.mark.parametrize("vision", list(MACHADO))
def test_any_two_digit_map_colours_differ_clearly(vision):
    worst = min((difference(rgb(a), rgb(b), vision), a, b) for a, b in itertools.combinations(DIGIT_COLOURS, 2))
    assert worst[0] >= MIN_DIFFERENCE, worst


@pytest.mark.parametrize("vision", list(MACHADO))
@pytest.mark.parametrize("page", list(PAGES))
def test_every_digit_map_colour_and_the_lightest_confusion_cells_stand_out_from_the_page(vision, page):
    colours = DIGIT_COLOURS + [RIGHT_SCALE[0][1], WRONG_SCALE[0][1]]
    worst = min((difference(rgb(c), rgb(PAGES[page]), vision), c) for c in colours)
    assert worst[0] >= MIN_DIFFERENCE, worst


@pytest.mark.parametrize("vision", list(MACHADO))
def test_right_and_wrong_cells_differ_clearly_at_every_shade(vision):
    (_, right_light), (_, right_dark) = RIGHT_SCALE
    (_, wrong_light), (_, wrong_dark) = WRONG_SCALE
    wrong_mid = (rgb(wrong_light) + rgb(wrong_dark)) / 2
    pairs = [(rgb(right_light), rgb(wrong_light)), (rgb(right_dark), rgb(wrong_dark)),
             (rgb(right_dark), rgb(wrong_light)), (rgb(right_dark), wrong_mid)]
    assert min(difference(a, b, vision) for a, b in pairs) >= MIN_DIFFERENCE


def test_the_theme_s_primary_colour_is_the_answer_blue_and_never_red():
    import tomllib

    from mnistapp.paths import ROOT
    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
    assert theme["light"]["primaryColor"].lower() == ANSWER.lower()
    for mode in ("light", "dark"):
        r, g, b = rgb(theme[mode]["primaryColor"])
        assert b > r and b > g, (mode, theme[mode]["primaryColor"])  # a blue: red marks mistakes only
