"""The test-set evaluation against torch and hand counts; calibration; the gallery helpers; the figures."""
import re
import time

import numpy as np
import pytest
import torch

from mnistapp.figures.images import thumbnail
from mnistapp.figures.style import WRONG_RGB, percent
from mnistapp.figures.testset import (
    ORDERS,
    confidence_histograms,
    confusion_heatmap,
    describe,
    n_pages,
    page_of,
    reliability_diagram,
    select,
)
from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistcore import ModelFileError, Params, forward, load_mnist, load_params
from mnistcore.evaluate import (
    Evaluation,
    disagreements,
    evaluate,
    evaluate_model,
    expected_calibration_error,
    format_percent,
    format_report,
    reliability,
)
from mnistcore.preprocess import MNIST_MEAN, MNIST_STD, UNIT_SCALING, scale_uint8
from reference import random_params, torch_logits

CAPTION = re.compile(r"#(\d+) · label (\d) · predicted (\d) · ([<>]?[\d.]+%)")


def torch_reference(params: Params, images: np.ndarray, labels: np.ndarray):
    """Logits and per-image losses of the same weights, computed by torch from the raw uint8 pixels."""
    x = (torch.tensor(images, dtype=torch.float32).reshape(len(images), -1) / 255 - MNIST_MEAN) / MNIST_STD
    logits = torch_logits(params.Ws, params.bs, x)
    y = torch.tensor(labels, dtype=torch.int64)
    return logits.numpy(), torch.nn.functional.cross_entropy(logits, y, reduction="none").numpy()


def synthetic(probs, labels) -> Evaluation:
    """An Evaluation built from given probabilities, as evaluate() would build it from logits."""
    probs, labels = np.asarray(probs, np.float32), np.asarray(labels)
    return Evaluation(labels=labels, predictions=probs.argmax(1), probs=probs,
                      losses=-np.log(probs[np.arange(len(labels)), labels]))


@pytest.fixture(scope="module")
def shipped():
    """The shipped model on the real test set: (params, images, labels, Evaluation)."""
    params = load_params(SHIPPED_MODEL)
    images, labels = load_mnist("test", DATA_DIR)
    return params, images, labels, evaluate(params, images, labels)


# --- evaluate() against independent computations ------------------------------------------------

@pytest.mark.parametrize("sizes", [(784, 32, 10), (784, 64, 48, 10)], ids=lambda s: "-".join(map(str, s)))
def test_evaluate_matches_torch_and_hand_counts_on_random_networks(sizes):
    rng = np.random.default_rng(sum(sizes))
    params = random_params(sizes, rng)
    images = rng.integers(0, 256, (300, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 300).astype(np.uint8)
    ev = evaluate(params, images, labels)
    ref_logits, ref_losses = torch_reference(params, images, labels)

    np.testing.assert_array_equal(ev.predictions, ref_logits.argmax(1))
    np.testing.assert_allclose(ev.probs, torch.softmax(torch.tensor(ref_logits), 1).numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ev.losses, ref_losses, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ev.mean_loss, ref_losses.mean(), rtol=1e-5, atol=1e-6)
    right = [int(p == y) for p, y in zip(ref_logits.argmax(1), labels)]
    assert ev.accuracy == sum(right) / len(right)
    confusion = np.zeros((10, 10), int)
    for y, p in zip(labels, ref_logits.argmax(1)):
        confusion[y, p] += 1
    np.testing.assert_array_equal(ev.confusion, confusion)
    for d in range(10):
        mine = [r for r, y in zip(right, labels) if y == d]
        assert ev.per_class_accuracy[d] == pytest.approx(sum(mine) / len(mine), abs=1e-12)


def test_shipped_model_on_the_test_set_matches_torch(shipped):
    params, images, labels, ev = shipped
    ref_logits, ref_losses = torch_reference(params, images, labels)
    assert ev.n == 10_000
    np.testing.assert_array_equal(ev.predictions, ref_logits.argmax(1))
    assert ev.accuracy == np.mean(ref_logits.argmax(1) == labels)
    np.testing.assert_allclose(ev.mean_loss, ref_losses.mean(), rtol=1e-4, atol=1e-6)
    assert ev.confusion.sum() == 10_000
    np.testing.assert_array_equal(ev.confusion.sum(axis=1), np.bincount(labels, minlength=10))
    np.testing.assert_array_equal(np.diag(ev.confusion), np.bincount(labels[ev.correct], minlength=10))
    assert ev.accuracy > 0.9, "the shipped model should read digits"


def test_loss_is_finite_when_the_network_is_sure_and_wrong():
    params = Params(Ws=(np.zeros((784, 10)),), bs=(np.array([1e4] + [0.0] * 9),))  # always "0", by a mile
    ev = evaluate(params, np.zeros((2, 28, 28), np.uint8), np.array([0, 3]))
    assert np.isfinite(ev.losses).all()
    np.testing.assert_allclose(ev.losses, [0.0, 1e4], rtol=1e-6, atol=1e-6)


def test_evaluate_model_refuses_missing_files_and_networks_that_do_not_fit_mnist(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        evaluate_model(tmp_path / "nowhere.pth", DATA_DIR)
    with pytest.raises(ModelFileError, match="10 outputs"):
        evaluate_model(random_params((784, 8, 5), np.random.default_rng(0)), DATA_DIR)
    with pytest.raises(ModelFileError, match="maps 784 inputs to 7 outputs"):  # a hidden layer of 10 is fine
        evaluate_model(random_params((784, 10, 7), np.random.default_rng(0)), DATA_DIR)
    with pytest.raises(ModelFileError, match="maps 100 inputs"):
        evaluate_model(random_params((100, 10), np.random.default_rng(0)), DATA_DIR)
    with pytest.raises(ModelFileError, match=r"is a folder\. Pass the path of a model file"):
        evaluate_model(tmp_path, DATA_DIR)
    with pytest.raises(ModelFileError, match=r"nowhere.pth does not exist\. Pass the path"):
        evaluate_model(tmp_path / "nowhere.pth", DATA_DIR)


def test_evaluate_model_names_its_source(tmp_path):
    params = random_params((784, 8, 10), np.random.default_rng(1))
    assert evaluate_model(params, DATA_DIR).source == "model"
    path = tmp_path / "mine.npz"
    np.savez(path, W1=params.Ws[0], b1=params.bs[0], W2=params.Ws[1], b2=params.bs[1])
    ev = evaluate_model(path, DATA_DIR)
    assert ev.source == "mine.npz" and ev.n == 10_000
    np.testing.assert_array_equal(ev.predictions, evaluate_model(params, DATA_DIR).predictions)


def test_evaluate_scales_the_images_as_the_model_wants():
    rng = np.random.default_rng(12)
    params = random_params((784, 16, 10), rng)
    images = rng.integers(0, 256, (50, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 50)
    ev = evaluate(params, images, labels, scaling=UNIT_SCALING)
    fwd = forward(params, scale_uint8(images, UNIT_SCALING))
    np.testing.assert_allclose(ev.probs, fwd.probs, rtol=1e-6, atol=1e-7)
    assert not np.allclose(ev.probs, evaluate(params, images, labels).probs, rtol=1e-3, atol=1e-4)


def test_evaluate_reports_the_time_its_forward_passes_took():
    params = random_params((784, 16, 10), np.random.default_rng(13))
    images, labels = np.zeros((3000, 28, 28), np.uint8), np.zeros(3000, int)  # two batches
    before = time.perf_counter()
    ev = evaluate(params, images, labels)
    assert 0 < ev.seconds <= time.perf_counter() - before


def test_an_evaluation_given_no_source_names_none_in_its_report():
    params = random_params((784, 16, 10), np.random.default_rng(17))
    ev = evaluate(params, np.zeros((5, 28, 28), np.uint8), np.zeros(5, int))
    assert ev.source == "" and format_report(ev).startswith("the 5 MNIST test images")


def test_a_network_that_does_not_fit_mnist_is_told_what_mnist_needs():
    with pytest.raises(ModelFileError) as e:
        evaluate_model(random_params((784, 8, 5), np.random.default_rng(0)), DATA_DIR)
    assert str(e.value) == ("This network maps 784 inputs to 5 outputs; "
                            "MNIST needs 784 inputs (28x28 pixels) and 10 outputs (the digits).")


def test_disagreements_are_the_images_the_two_models_answer_differently_worst_loss_first():
    rng = np.random.default_rng(14)
    n = 200
    labels = rng.integers(0, 10, n)
    a = synthetic(rng.dirichlet(np.ones(10), n), labels)
    b = synthetic(rng.dirichlet(np.ones(10), n), labels)
    found = disagreements(a, b)
    np.testing.assert_array_equal(np.sort(found), np.flatnonzero(a.predictions != b.predictions))
    worst = np.maximum(a.losses, b.losses)[found]
    assert np.all(np.diff(worst) <= 0)
    assert disagreements(a, a).size == 0


def test_disagreements_with_equal_losses_keep_the_images_in_order():
    # Two levels of loss, many images at each: within a level the images keep their index order, so a
    # gallery of them does not shuffle between runs (NumPy's default sort does not keep it).
    n = 60
    sure = np.where(np.arange(n) % 2 == 0, 0.55, 0.3)  # b's loss is larger on the even images
    probs_a = np.repeat(((1 - sure) / 9)[:, None], 10, axis=1)
    probs_a[:, 0] = sure
    probs_b = probs_a[:, ::-1].copy()  # says 9 where a says 0
    probs_b[::3] = probs_a[::3]        # and agrees on every third image
    a, b = synthetic(probs_a, np.zeros(n, int)), synthetic(probs_b, np.zeros(n, int))
    expected = [i for i in range(n) if i % 3 and i % 2 == 0] + [i for i in range(n) if i % 3 and i % 2]
    np.testing.assert_array_equal(disagreements(a, b), expected)


def test_disagreements_are_only_between_evaluations_of_the_same_images():
    probs = np.random.default_rng(15).dirichlet(np.ones(10), 3)
    a, b = synthetic(probs, [1, 2, 3]), synthetic(probs, [1, 2, 4])
    with pytest.raises(AssertionError) as e:
        disagreements(a, b)
    assert str(e.value) == "two evaluations of the same images"


# --- calibration ---------------------------------------------------------------------------------

def test_every_bin_is_there_even_when_only_low_confidences_occur():
    rel = reliability([0.1, 0.2, 0.2], [True, False, True])
    assert len(rel.counts) == len(rel.confidence) == len(rel.accuracy) == 15
    assert rel.counts.sum() == 3 and np.isnan(rel.accuracy[-1])


def test_a_confidence_a_rounding_above_one_goes_to_the_last_bin():
    rel = reliability(np.array([1.0000001, 0.99], np.float64), [True, True])
    assert len(rel.counts) == 15 and rel.counts[-1] == 2


def test_empty_bins_raise_no_warning():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rel = reliability([0.5], [True])
    assert np.isnan(rel.confidence[0])


def test_ece_uses_the_bins_it_is_given():
    confidence, correct = [0.3, 0.45], [True, False]
    # one bin: |mean acc 0.5 - mean conf 0.375| = 0.125; 15 bins: each image alone, (0.7 + 0.45) / 2 = 0.575
    assert expected_calibration_error(confidence, correct, n_bins=1) == pytest.approx(0.125, abs=1e-12)
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.575, abs=1e-12)


def test_ece_of_a_hand_computed_example():
    # 15 bins of width 1/15: 0.95 -> (14/15, 1], 0.65 -> (9/15, 10/15], 0.25 -> (3/15, 4/15]
    confidence = [0.95, 0.95, 0.65, 0.65, 0.65, 0.25]
    correct = [True, False, True, True, False, False]
    # |0.5 - 0.95| * 2/6 + |2/3 - 0.65| * 3/6 + |0 - 0.25| * 1/6 = (0.9 + 0.05 + 0.25) / 6
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.2, abs=1e-12)
    rel = reliability(confidence, correct)
    assert rel.counts[[3, 9, 14]].tolist() == [1, 3, 2] and rel.counts.sum() == 6
    np.testing.assert_allclose(rel.accuracy[[3, 9, 14]], [0, 2 / 3, 0.5], rtol=0, atol=1e-12)
    assert np.isnan(rel.accuracy[0]), "an empty bin has no accuracy"


def test_bins_are_closed_on_the_right():
    edges = np.linspace(0, 1, 16)
    rel = reliability([edges[10], edges[10] + 1e-9, 1.0, 0.0], [True] * 4)
    assert rel.counts[9] == 1 and rel.counts[10] == 1 and rel.counts[14] == 1 and rel.counts[0] == 1


def test_a_perfectly_calibrated_set_has_ece_near_zero_and_an_overconfident_one_does_not():
    rng = np.random.default_rng(3)
    confidence = rng.uniform(0.1, 1.0, 200_000)
    correct = rng.random(200_000) < confidence  # right exactly as often as it claims
    assert expected_calibration_error(confidence, correct) < 0.01
    assert expected_calibration_error(np.full(1000, 0.99), np.arange(1000) < 600) == pytest.approx(0.39, abs=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_ece_lies_between_zero_and_the_mean_gap_of_single_images(seed):
    rng = np.random.default_rng(seed)
    confidence, correct = rng.random(500), rng.random(500) < 0.7
    ece = expected_calibration_error(confidence, correct)
    assert 0 <= ece <= np.abs(confidence - correct).mean() + 1e-12  # binning only averages gaps away
    rel = reliability(confidence, correct)
    filled = rel.counts > 0
    assert rel.counts.sum() == 500
    assert (rel.confidence[filled] > rel.edges[:-1][filled]).all() and (rel.confidence[filled] <= rel.edges[1:][filled]).all()


# --- the gallery ---------------------------------------------------------------------------------

def test_filters_return_only_matching_images_and_all_of_them(shipped):
    *_, ev = shipped
    for true, predicted in [(4, 9), (7, 2), (3, 3), (None, 8), (1, None)]:
        for outcome in ("all", "right", "wrong"):
            idx = select(ev, true=true, predicted=predicted, outcome=outcome, order="index")
            want = np.ones(ev.n, bool)
            if true is not None:
                want &= ev.labels == true
            if predicted is not None:
                want &= ev.predictions == predicted
            if outcome != "all":
                want &= ev.correct == (outcome == "right")
            np.testing.assert_array_equal(idx, np.flatnonzero(want))
    assert len(select(ev, true=4, predicted=9)) == ev.confusion[4, 9]
    assert len(select(ev, true=5, predicted=5, outcome="wrong")) == 0


def test_sort_by_loss_puts_the_most_confidently_wrong_first():
    ev = synthetic([[0.98, 0.01, 0.01],   # right, sure
                    [0.01, 0.98, 0.01],   # wrong (true 0), sure: the worst
                    [0.40, 0.55, 0.05],   # wrong (true 0), unsure
                    [0.50, 0.30, 0.20]],  # right, unsure
                   [0, 0, 0, 0])
    assert select(ev, order="loss").tolist() == [1, 2, 3, 0]
    assert select(ev, order="confidence").tolist() == [3, 2, 0, 1]
    assert select(ev, order="index").tolist() == [0, 1, 2, 3]
    assert select(ev, outcome="wrong", order="loss").tolist() == [1, 2]


def test_sort_orders_on_the_real_test_set(shipped):
    *_, ev = shipped
    by_loss = select(ev, order="loss")
    assert (np.diff(ev.losses[by_loss]) <= 0).all()
    assert not ev.correct[by_loss[0]] and ev.confidence[by_loss[0]] > 0.5
    assert (np.diff(ev.confidence[select(ev, order="confidence")]) >= 0).all()
    with pytest.raises(ValueError):
        select(ev, order="random")
    assert set(ORDERS) == {"loss", "confidence", "index"}


@pytest.mark.parametrize("n_items, pages", [(0, 1), (1, 1), (24, 1), (25, 2), (111, 5)])
def test_pages_cover_every_item_once(n_items, pages):
    indices = np.arange(100, 100 + n_items)
    assert n_pages(n_items) == pages
    shown = [page_of(indices, p) for p in range(1, pages + 1)]
    assert all(len(s) <= 24 for s in shown)
    np.testing.assert_array_equal(np.concatenate(shown), indices)
    np.testing.assert_array_equal(page_of(indices, pages + 3), shown[-1])


def test_captions_name_the_index_label_prediction_and_confidence(shipped):
    *_, ev = shipped
    i = int(select(ev, outcome="wrong")[0])
    m = CAPTION.fullmatch(describe(ev, i))
    assert m, describe(ev, i)
    assert [int(g) for g in m.groups()[:3]] == [i, ev.labels[i], ev.predictions[i]]
    assert m.group(4) == percent(ev.confidence[i])


def test_caption_writes_the_confidence_as_the_dialog_does_to_one_decimal():
    probs = np.full((2, 10), 0.014, np.float32)
    probs[0, 3], probs[1, 7] = 0.874, 0.997
    ev = synthetic(probs, [3, 1])
    assert describe(ev, 0) == "#0 · label 3 · predicted 3 · 87.4%"
    assert describe(ev, 1) == "#1 · label 1 · predicted 7 · 99.7%"  # not "100%"


# --- the report ----------------------------------------------------------------------------------

def test_report_prints_the_accuracy_loss_and_every_digit(shipped):
    *_, ev = shipped
    report = format_report(ev)
    assert format_percent(0.98885) == "98.89%" and format_percent(1.0) == "100.00%"
    assert re.search(r"^accuracy +(\d+\.\d\d%)", report, re.M).group(1) == format_percent(ev.accuracy)
    assert float(re.search(r"^mean cross-entropy +([\d.]+)", report, re.M).group(1)) == pytest.approx(ev.mean_loss,
                                                                                                      abs=5e-5)
    assert report.startswith(f"the {ev.n:,} MNIST test images (NumPy engine, one forward pass in ")
    assert re.search(r"^calibration \(ECE\) +(\d+\.\d\d%)  \(15 confidence bins\)$", report, re.M)
    assert re.search(r"^accuracy +\d+\.\d\d%  \([\d,]+ of 10,000\)$", report, re.M)
    assert "\nper-class accuracy\n" in report
    named = format_report(Evaluation(**{**ev.__dict__, "source": "m.pth"}))
    assert named.startswith("m.pth on the 10,000 MNIST test images")
    per_class = re.findall(r"^  (\d)  (\d+\.\d\d%)", report, re.M)
    assert [int(d) for d, _ in per_class] == list(range(10))
    assert [p for _, p in per_class] == [format_percent(a) for a in ev.per_class_accuracy]


# --- the figures ---------------------------------------------------------------------------------

def test_confusion_heatmap_shows_counts_or_row_shares_and_has_a_clickable_marker_per_cell():
    confusion = np.diag(np.full(10, 90))
    confusion[4, 9], confusion[4, 4] = 10, 80
    fig = confusion_heatmap(confusion)
    diag, off, cells = fig.data
    assert np.asarray(diag.z).shape == np.asarray(off.z).shape == (10, 10)
    assert off.text[4][9] == "10" and diag.text[4][4] == "80" and off.text[3][9] == ""
    assert np.isnan(np.asarray(off.z, float)[4, 4]) and np.isnan(np.asarray(diag.z, float)[4, 9])
    k = 4 * 10 + 9
    assert (cells.y[k], cells.x[k]) == ("4", "9") and list(cells.customdata[k][:3]) == [4, 9, 10]
    assert not fig.layout.shapes
    outline = confusion_heatmap(confusion, selected=(4, 9)).layout.shapes[0]
    assert (outline.x0, outline.x1, outline.y0, outline.y1) == (8.5, 9.5, 3.5, 4.5)
    shares = confusion_heatmap(confusion, normalise=True).data[1]
    assert shares.text[4][9] == "11.1%" and np.asarray(shares.z, float)[4, 9] == pytest.approx(10 / 90, abs=1e-4)


def test_reliability_diagram_draws_one_bar_per_filled_bin():
    rel = reliability([0.95, 0.95, 0.65, 0.25], [True, False, True, False])
    bars = next(t for t in reliability_diagram(rel).data if t.type == "bar")
    assert len(bars.y) == 3
    np.testing.assert_allclose(bars.y, [0.0, 1.0, 0.5], rtol=0, atol=1e-4)


def test_confidence_histograms_are_shares_of_each_group():
    rng = np.random.default_rng(1)
    confidence, correct = rng.uniform(0.1, 1, 1000), rng.random(1000) < 0.9
    right, wrong = confidence_histograms(confidence, correct).data
    assert sum(right.customdata) == correct.sum() and sum(wrong.customdata) == (~correct).sum()
    assert sum(right.y) == pytest.approx(1, abs=1e-3) and sum(wrong.y) == pytest.approx(1, abs=1e-3)


def test_thumbnail_frames_wrong_answers_in_red_and_keeps_the_digit():
    img = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    plain, framed = thumbnail(img, scale=3), thumbnail(img, wrong=True, scale=3)
    assert plain.shape == framed.shape == (84, 84, 3) and plain.dtype == np.uint8
    np.testing.assert_array_equal(plain[::3, ::3, 0], img)
    np.testing.assert_array_equal(framed[2:-2, 2:-2], plain[2:-2, 2:-2])
    assert (framed[0] == WRONG_RGB).all() and (framed[:, -1] == WRONG_RGB).all()  # the colour of mistakes
