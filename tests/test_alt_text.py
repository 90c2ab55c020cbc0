"""The figures' text alternatives (mnistapp/figures/alt_text.py) and the Weights, Test set and Learn pages' chart
words: in English, what each sentence says of a small array read by eye; in German, German words and numbers."""
from __future__ import annotations

import re

import numpy as np

from mnistapp.figures import alt_text, learn, testset, weights
from mnistcore.evaluate import reliability

RNG = np.random.default_rng(0)
W = RNG.normal(size=(784, 32)).astype(np.float32)
CONFUSION = np.diag(np.full(10, 90)) + RNG.integers(0, 5, size=(10, 10))
CONFIDENCE = RNG.uniform(0.1, 1, 500)
CORRECT = RNG.uniform(size=500) < CONFIDENCE


def sentences(lang: str) -> list[str]:
    counts, edges = np.histogram(W, bins=20)
    rel = reliability(CONFIDENCE, CORRECT)
    return [alt_text.matrix_text(W, "W1", lang), alt_text.image_text(W[:, 3].reshape(28, 28), "W1[i, 3]", lang),
            alt_text.per_item_text(W[0, :10], "b2", lang=lang), alt_text.per_item_text(W[1], "b1", "unit", lang),
            alt_text.votes_text(np.array([1, 2, 3]), np.array([4, 5, 6]), W[0], 7, lang),
            alt_text.histogram_text(counts, edges, "W1", lang), alt_text.confusion_text(CONFUSION, lang),
            alt_text.accuracy_text(CONFUSION.diagonal() / CONFUSION.sum(1), lang),
            alt_text.reliability_text(rel.confidence, rel.accuracy, rel.counts, lang),
            alt_text.confidence_text(CONFIDENCE, CORRECT, lang), alt_text.tiles_text(W, 12, lang),
            alt_text.curve_text([(1, 2.3), (2, 1.25)], "Loss per batch", "step", lang),
            alt_text.curve_text([], "Loss per batch", "step", lang)]


def test_a_weight_matrix_and_a_map_say_their_range_and_their_extremes():
    W2 = np.array([[0.5, -1.25, 0.0], [0.25, 0.75, -0.5]])
    assert alt_text.matrix_text(W2, "W2") == ("W2, 2×3: weights from -1.250 to 0.750, mean |w| 0.542; the largest in "
                                              "size is W2[0, 1] = -1.250.")
    img = np.zeros((28, 28))
    img[3, 4], img[20, 1] = 0.5, -0.25
    assert alt_text.image_text(img, "W1[i, 3]") == ("W1[i, 3] as a 28×28 image: most positive at row 3, column 4 "
                                                    "(0.500); most negative at row 20, column 1 (-0.250).")


def test_per_digit_and_per_unit_values_votes_and_a_histogram_name_their_extremes():
    v = np.array([0.1, -0.3, 0.2, 0.0])
    assert alt_text.per_item_text(v, "b2") == "b2: highest for digit 2 (0.200), lowest for digit 1 (-0.300)."
    assert alt_text.per_item_text(v, "b1", "unit") == "b1: highest for unit 2 (0.200), lowest for unit 1 (-0.300)."
    column = np.array([0.5, -0.25, 0.125, -0.5, 0.0])
    assert alt_text.votes_text(np.array([0, 2, 4]), np.array([3, 1]), column, 7) == (
        "Strongest votes for 7: unit 0 (+0.500), unit 2 (+0.125), unit 4 (+0.000); against: unit 3 (-0.500), "
        "unit 1 (-0.250).")
    assert alt_text.histogram_text(np.array([1, 5, 2]), np.array([-0.5, 0.0, 0.5, 1.0]), "W1") == (
        "W1: 8 values from -0.500 to 1.000; the most (5) between 0.000 and 0.500.")


def test_the_test_set_sentences_name_the_hardest_digits_the_calibration_and_the_confidences():
    accuracy = np.array([0.99, 0.98, 0.9, 0.95, 0.97, 0.8, 0.99, 0.96, 0.92, 0.93])
    assert alt_text.accuracy_text(accuracy) == "Hardest digits: 5 (80.0% right), 2 (90.0% right), 8 (92.0% right)."
    assert alt_text.reliability_text(np.array([0.0, 0.55, 0.95]), np.array([0.0, 0.4, 0.94]),
                                     np.array([0, 10, 90])) == (
        "90 answers are 95.0% sure on average and 94.0% right; the largest gap: 55.0% sure, 40.0% right (10 answers).")
    right = np.array([True, True, True, False, False])
    assert alt_text.confidence_text(np.array([0.9, 0.95, 0.99, 0.6, 0.5]), right) == (
        "Right answers: median confidence 95.0% (3); wrong answers: median confidence 55.0% (2).")
    assert alt_text.confidence_text(np.array([0.9, 0.95]), right[:2]) == "Right answers: median confidence 92.5% (2)."
    assert alt_text.confusion_text(np.diag(np.full(10, 5))) == "No mistakes."


def test_curves_and_tiles_are_described_in_a_sentence():
    assert alt_text.curve_text([(1, 2.3), (2, 0.9), (3, 0.4)], "Loss per batch", "step") == (
        "Loss per batch: from 2.300 at step 1 to 0.400 at step 3; lowest 0.400, highest 2.300.")
    assert alt_text.curve_text([], "Held-out accuracy", "step") == "Held-out accuracy: no points yet."
    W1 = np.zeros((784, 16), np.float32)
    W1[:, 5] = 0.1
    assert alt_text.tiles_text(W1, 12) == ("The incoming weights of hidden units 0 to 11 as 28×28 tiles; the largest "
                                           "in size are unit 5's (norm 2.80).")
    assert alt_text.order_text(np.array([5, 3, 9, 0, 1, 2, 7]), "norm") == (
        "Tiles ordered by norm: first units 5, 3, 9, 0, 1; last unit 7.")


def test_in_german_each_sentence_is_german_with_decimal_commas():
    de = sentences("de")
    assert all(a != b for a, b in zip(de, sentences("en")))
    assert not any(re.search(r"(?<![\d.])0\.\d", s) for s in de), de  # 0,123, never 0.123
    assert de[6].startswith("Häufigste Fehler:") and "Neuron" in de[4]
    assert alt_text.histogram_text(np.array([1500, 5, 2]), np.array([-0.5, 0.0, 0.5, 1.0]), "W1", "de") == (
        "W1: 1.507 Werte von -0,500 bis 1,000; die meisten (1.500) zwischen -0,500 und 0,000.")
    assert alt_text.curve_text([(0.5, 1.0), (1.5, 0.25)], "Verlust", "Epoche", "de").startswith(
        "Verlust: von 1,000 bei Epoche 0,5 bis 0,250 bei Epoche 1,5;")


def test_the_charts_take_their_words_and_decimal_mark_from_lang():
    rel = reliability(CONFIDENCE, CORRECT)
    figs = [weights.matrix_heatmap(W, layer=0, last=False, vmax=1.0, lang="de"),
            weights.value_histogram(*np.histogram(W, bins=10), name="W1", lang="de"),
            testset.reliability_diagram(rel, lang="de"), testset.confusion_heatmap(CONFUSION, lang="de"),
            learn.accuracy_curves([(1, 0.5)], [(1, 0.6)], lang="de")]
    assert all(f.layout.separators == ",." for f in figs)
    assert figs[0].layout.yaxis.title.text.startswith("Eingang (784 = 28 × 28 Pixel")
    assert figs[0].data[0].meta["decimal"] == ","
    assert figs[2].layout.xaxis.title.text == "Konfidenz (Wahrscheinlichkeit der vorhergesagten Ziffer)"
    assert [t.name for t in figs[4].data] == ["Trainingsstapel", "Validierung"]
    english = weights.matrix_heatmap(W, layer=0, last=False, vmax=1.0)
    assert english.layout.separators is None  # Plotly's own marks, 1,234.5
    assert english.layout.yaxis.title.text.startswith("input (784") and english.data[0].meta["decimal"] == "."
