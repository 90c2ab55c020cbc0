"""What the browser store keeps and for how long (mnistapp/keep_rules.py), on a clock the test sets."""
import math

import pytest

from mnistapp.keep_rules import (
    EXPIRY_S,
    MAX_MODEL_BYTES,
    MAX_MODELS,
    MAX_STROKE_NUMBERS,
    SKEW_S,
    ModelCard,
    drawing,
    fresh,
    model_card,
    model_id,
    to_delete,
)

NOW = 1_800_000_000.0


def card(i: int, saved: float, size: int = 1_000_000) -> ModelCard:
    return ModelCard(f"{i:032x}", f"model {i}", "uploaded", 0.1307, 0.3081, size, saved)


def a_drawing(**changes) -> dict:
    return {"png": "data:image/png;base64,AAAA", "strokes": [[18, 10, 10, 20, 20]], "width": 18, "source": "draw",
            "test_index": 0, "saved": NOW, **changes}


def test_a_value_is_fresh_for_a_day_and_then_expires():
    assert fresh(NOW - EXPIRY_S, NOW)
    assert not fresh(NOW - EXPIRY_S - 1, NOW)
    assert fresh(NOW + SKEW_S, NOW) and not fresh(NOW + SKEW_S + 1, NOW)  # a clock a little ahead, not a year
    assert not fresh(float("nan"), NOW) and not fresh("yesterday", NOW) and not fresh(True, NOW)


def test_expired_models_are_deleted_whatever_the_room():
    cards = [card(1, NOW - EXPIRY_S - 1), card(2, NOW - 10)]
    assert to_delete(cards, NOW) == [cards[0].id]
    assert to_delete(cards, NOW + EXPIRY_S) == [c.id for c in cards]  # the same cards a day later


def test_over_the_count_the_oldest_go_first():
    cards = [card(i, NOW - 100 * i) for i in range(MAX_MODELS + 2)]  # card 0 is the newest
    assert sorted(to_delete(cards, NOW)) == sorted(c.id for c in cards[MAX_MODELS:])


def test_over_the_bytes_the_oldest_go_first_even_under_the_count():
    big = MAX_MODEL_BYTES // 2
    cards = [card(1, NOW - 30, big), card(2, NOW - 20, big), card(3, NOW - 10, big)]
    assert to_delete(cards, NOW) == [cards[0].id]
    assert to_delete(cards, NOW, max_bytes=big) == [cards[1].id, cards[0].id]


def test_a_card_read_back_must_be_a_card():
    good = {"id": "ab" * 16, "name": "tiny.pth", "kind": "uploaded", "mean": 0.1307, "std": 0.3081, "size": 1000,
            "saved": NOW}
    assert model_card(good) == ModelCard("ab" * 16, "tiny.pth", "uploaded", 0.1307, 0.3081, 1000, NOW)
    for bad in ({"id": "../../etc"}, {"name": ""}, {"name": "x" * 201}, {"kind": "pickle"}, {"std": 0},
                {"mean": math.inf}, {"size": MAX_MODEL_BYTES + 1}, {"size": "1000"}, {"saved": None}):
        assert model_card({**good, **bad}) is None, bad
    assert model_card([good]) is None and model_card("garbage") is None


def test_a_drawing_read_back_must_be_a_drawing():
    assert drawing(a_drawing()) == a_drawing()
    too_many = [[18] + [1.0] * (MAX_STROKE_NUMBERS // 2)] * 3
    for bad in ({"strokes": "x"}, {"strokes": [[18, 1]]}, {"strokes": too_many}, {"strokes": [[18, 1, "a"]]},
                {"strokes": [[18, 1, 1e9]]}, {"png": 5}, {"png": "x" * 500_000}, {"width": 400}, {"source": "disk"},
                {"test_index": 10_000}, {"saved": "now"}):
        assert drawing(a_drawing(**bad)) is None, list(bad)
    assert drawing(None) is None


@pytest.mark.parametrize("value, expected", [({"id": "cd" * 16}, "cd" * 16), ({"id": None}, None),
                                             ({"id": "CD" * 16}, None), ("cd" * 16, None)])
def test_the_model_in_use_is_named_by_an_id_or_by_nothing(value, expected):
    assert model_id(value) == expected
