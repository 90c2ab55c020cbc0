"""Ways in and ways to share, without a browser: the figures' text alternatives say what the figures show,
and a link's values are checked (anything invalid is ignored, never raised)."""
import ast
import re

import numpy as np
import pytest

from mnistapp.figures import alt_text
from mnistapp.links import LINKED, WEIGHTS_TABS, parse_views
from mnistapp.paths import ROOT


def test_the_bars_text_names_the_top_three_digits_and_their_probabilities():
    rng = np.random.default_rng(0)
    for _ in range(20):
        z = rng.normal(0, 3, 10)
        probs = np.exp(z) / np.exp(z).sum()
        said = re.findall(r"(\d) \((\d+\.\d)%\)", alt_text.bars_text(probs))
        assert [int(d) for d, _ in said] == list(np.argsort(-probs)[:3])
        np.testing.assert_allclose([float(p) / 100 for _, p in said], np.sort(probs)[::-1][:3], rtol=0, atol=5e-4)


def test_the_hidden_text_counts_the_active_units_and_names_the_strongest():
    a = np.zeros(512, np.float32)
    a[[3, 100, 7]] = [1.0, 5.0, 2.0]
    assert alt_text.hidden_text(a) == "a1: 3 of 512 units active; strongest: unit 100 (5.00), unit 7 (2.00), unit 3 (1.00)."


def test_the_map_text_names_where_the_star_lands_and_its_neighbours_commonest_digit():
    text = alt_text.map_text(np.array([1.26, -3.0]), np.array([3, 3, 5, 3, 8, 3, 3, 5]))
    assert text == ("Map: your input lands at (1.3, -3.0); 5 of its 8 nearest test images are 3s "
                    "(their labels: 3, 3, 5, 3, 8, 3, 3, 5).")


def test_the_confusion_text_names_the_most_common_mistakes():
    c = np.diag(np.full(10, 900))
    c[4, 9], c[7, 2], c[3, 5] = 12, 9, 7
    assert alt_text.confusion_text(c) == "Most common mistakes: 4 read as 9 (12), 7 read as 2 (9), 3 read as 5 (7)."


@pytest.mark.parametrize("page, name, text, want", [
    ("", "source", "test", "test"), ("", "source", "canvas", None), ("", "image", "1234", 1234),
    ("", "image", "10000", None), ("", "image", "-1", None), ("", "image", "1e3", None),
    ("", "canvas", "classic", True), ("", "canvas", "live", False), ("", "canvas", "True", None),
    ("weights", "tab", "W1 as images", "W1 as images"), ("weights", "tab", "<script>", None),
    ("weights", "digit", "9", 9), ("weights", "digit", "10", None), ("weights", "unit", "x", None),
    ("testset", "digit", "any", "any"), ("testset", "digit", "3", 3), ("testset", "answers", "maybe", None),
])
def test_link_values_are_checked_and_invalid_ones_ignored(page, name, text, want):
    _, parse = LINKED[page][name]
    assert parse(text) == want


@pytest.mark.parametrize("text, want", [("why", ("why",)), ("steps,why,steps", ("why", "steps")),
                                        ("map,nothing", ("map",)), ("", None), ("<script>,1", None)])
def test_a_links_open_views_are_the_known_names_in_order_and_nothing_else(text, want):
    assert parse_views(text) == want


def test_the_links_tab_names_are_the_weights_pages_tabs():
    tree = ast.parse((ROOT / "pages" / "weights.py").read_text())
    listed = next(n.value for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", None) == "TABS")
    tabs = [ast.literal_eval(e.args[0] if isinstance(e, ast.Call) else e) for e in listed.elts]  # N_("...") marks each
    assert tabs == WEIGHTS_TABS
