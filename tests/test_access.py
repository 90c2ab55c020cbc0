"""Text alternatives without a browser: the live region's sentence, pictures' alt texts and captions, the
softmax bars' sentence, and no st.image left (it writes <img> without alt text)."""
import ast
import re

import numpy as np
import pytest

from mnistapp.access import prediction_text
from mnistapp.figures.bars import softmax_bars_html
from mnistapp.figures.panel import hidden_layer_html
from mnistapp.figures.pictures import pictures_html, thumbnail_alt
from mnistapp.paths import ROOT


def test_the_live_region_says_the_digit_and_how_sure_or_that_it_is_not_sure():
    assert prediction_text(7, 0.994, False) == "Prediction 7, 99.4% sure."
    assert prediction_text(7, 0.9996, False) == "Prediction 7, >99.9% sure."  # as the pill rounds it
    assert prediction_text(7, 0.994, True) == "Prediction 7, not sure."
    assert prediction_text(None, None, False) == "No prediction yet."


def test_pictures_get_their_own_alt_text_and_a_caption_that_says_something_else():
    digit = np.zeros((28, 28), np.uint8)
    out = pictures_html([digit, digit], ["A handwritten 3", "A handwritten 5"], ["#1", "#2"], width=56)
    assert re.findall(r'<img [^>]*alt="([^"]*)"', out) == ["A handwritten 3", "A handwritten 5"]
    assert re.findall(r"<figcaption>([^<]*)</figcaption>", out) == ["#1", "#2"]
    assert out.count('width="56"') == 2
    assert "<figcaption>" not in pictures_html([digit], ["A handwritten 3"], width=56)  # no caption asked for
    assert 'alt="a &lt;b&gt; &quot;c&quot;"' in pictures_html([digit], ['a <b> "c"'], width=28)


def test_pictures_refuse_a_missing_alt_text():
    digit = np.zeros((28, 28), np.uint8)
    with pytest.raises(ValueError, match="one alt text"):
        pictures_html([digit, digit], ["only one"], width=28)
    with pytest.raises(ValueError, match="one alt text"):
        pictures_html([digit], ["one"], ["a", "b"], width=28)
    with pytest.raises(ValueError, match="one alt text"):
        pictures_html([digit, digit], ["one", "two"], width=[28])


def test_a_thumbnail_says_its_digit_and_its_red_frame():
    assert thumbnail_alt(4, False) == "A handwritten 4"
    assert thumbnail_alt(4, True) == "A handwritten 4, framed in red: the network reads it wrong"
    assert thumbnail_alt(4, True, "your model").endswith("your model reads it wrong")


def test_where_the_visible_text_is_the_alt_text_screen_readers_skip_the_copy():
    url = "data:image/png;base64,AA=="
    layer = hidden_layer_html("Hidden layer 1", url, "a1: 3 of 512 units active", 384)
    assert 'alt="a1: 3 of 512 units active"' in layer
    assert '<figcaption aria-hidden="true">a1: 3 of 512 units active</figcaption>' in layer
    row = pictures_html([url, np.zeros((28, 28), np.uint8)], ["step 1", "step 2"], ["step 1", "the input"],
                        width=[84, 112])
    assert 'src="data:image/png;base64,AA==" width="84" alt="step 1"' in row and 'width="112" alt="step 2"' in row
    assert re.findall(r"<figcaption( aria-hidden=\"true\")?>([^<]*)<", row) == [(' aria-hidden="true"', "step 1"),
                                                                            ("", "the input")]
    bars = softmax_bars_html(np.array([0.05, 0.9] + [0.00625] * 8))
    assert 'role="img" aria-label="Top three: 1 (90.0%)' in bars
    assert '<p class="softmax-alt" aria-hidden="true">Top three: 1 (90.0%)' in bars


def test_no_page_shows_a_picture_through_st_image():
    """st.image writes <img> with no alt attribute; pictures go through mnistapp/figures/pictures.py."""
    found = []
    for path in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "mnistapp").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "image":
                found.append(f"{path.name}:{node.lineno}")
    assert found == []
