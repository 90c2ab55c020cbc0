"""The Weights, Test set and Learn pages' text alternatives and chart words: in English as they always read,
in German with German words and numbers."""
from __future__ import annotations

import re

import numpy as np

from mnistapp.catalogue import translate
from mnistapp.figures import alt_text, learn, testset, weights
from mnistapp.figures import alt_text_pages as pages
from mnistcore.evaluate import reliability

RNG = np.random.default_rng(0)
W = RNG.normal(size=(784, 32)).astype(np.float32)
CONFUSION = np.diag(np.full(10, 90)) + RNG.integers(0, 5, size=(10, 10))
CONFIDENCE = RNG.uniform(0.1, 1, 500)
CORRECT = RNG.uniform(size=500) < CONFIDENCE


def german(text: str) -> str:
    return translate(text, "de")


def sentences(tr) -> list[str]:
    counts, edges = np.histogram(W, bins=20)
    rel = reliability(CONFIDENCE, CORRECT)
    return [pages.matrix_text(W, "W1", tr=tr), pages.image_text(W[:, 3].reshape(28, 28), "W1[i, 3]", tr=tr),
            pages.per_item_text(W[0, :10], "b2", tr=tr), pages.per_item_text(W[1], "b1", "unit", tr=tr),
            pages.votes_text(np.array([1, 2, 3]), np.array([4, 5, 6]), W[0], 7, tr=tr),
            pages.histogram_text(counts, edges, "W1", tr=tr), pages.confusion_text(CONFUSION, tr=tr),
            pages.accuracy_text(CONFUSION.diagonal() / CONFUSION.sum(1), tr=tr),
            pages.reliability_text(rel.confidence, rel.accuracy, rel.counts, tr=tr),
            pages.confidence_text(CONFIDENCE, CORRECT, tr=tr), pages.tiles_text(W, 12, tr=tr),
            pages.curve_text([(1, 2.3), (2, 1.25)], "Loss per batch", "step", tr=tr),
            pages.curve_text([], "Loss per batch", "step", tr=tr)]


def test_in_english_each_sentence_reads_as_its_alt_text_namesake():
    counts, edges = np.histogram(W, bins=20)
    rel = reliability(CONFIDENCE, CORRECT)
    assert sentences(pages.same) == [
        alt_text.matrix_text(W, "W1"), alt_text.image_text(W[:, 3].reshape(28, 28), "W1[i, 3]"),
        alt_text.per_item_text(W[0, :10], "b2"), alt_text.per_item_text(W[1], "b1", "unit"),
        alt_text.votes_text(np.array([1, 2, 3]), np.array([4, 5, 6]), W[0], 7),
        alt_text.histogram_text(counts, edges, "W1"), alt_text.confusion_text(CONFUSION),
        alt_text.accuracy_text(CONFUSION.diagonal() / CONFUSION.sum(1)),
        alt_text.reliability_text(rel.confidence, rel.accuracy, rel.counts),
        alt_text.confidence_text(CONFIDENCE, CORRECT), alt_text.tiles_text(W, 12),
        alt_text.curve_text([(1, 2.3), (2, 1.25)], "Loss per batch", "step"),
        alt_text.curve_text([], "Loss per batch", "step")]
    assert pages.confusion_text(np.diag(np.full(10, 5))) == "No mistakes."


def test_in_german_each_sentence_is_german_with_decimal_commas():
    de = sentences(german)
    assert all(a != b for a, b in zip(de, sentences(pages.same)))
    assert not any(re.search(r"(?<![\d.])0\.\d", s) for s in de), de  # 0,123, never 0.123
    assert pages.pct(0.991, german) == "99,1\u00a0%" and pages.share(0.997, german) == "99,7\u00a0%"
    assert pages.num(12345.5, ",.1f", german) == "12.345,5"
    assert de[6].startswith("Häufigste Fehler:") and "Neuron" in de[4]


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
