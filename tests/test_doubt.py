"""The "not sure" score (issue 15): its threshold is set per model on held-out training digits, it flags
far more non-digits than drawn digits, and its parts do what they say. The full measurement, with the
issue's bars, is benchmarks/not_sure.py; this runs a small sample of it."""
import numpy as np
import pytest

from mnistcore import forward, load_mnist, load_params, scale_input
from mnistcore.data import SHIPPED_MODEL
from mnistcore.doubt import FLAG_RATE, N_HELD, calibrate, doubt_scores, not_sure, reference_images, two_most_likely
from mnistcore.preprocess import scale_uint8
from nondigits import KINDS, digit_drawings, nondigit_drawings
from reference import random_params


@pytest.fixture(scope="module")
def refs():
    return reference_images()


@pytest.fixture(scope="module")
def shipped(refs):
    params = load_params(SHIPPED_MODEL)
    return params, calibrate(params, *refs)


def test_the_references_are_training_digits_and_the_held_out_ones_are_the_last_5000(refs):
    images, labels = load_mnist("train")
    ref_images, ref_labels, held = refs
    assert len(held) == 2 * N_HELD
    np.testing.assert_array_equal(held[:N_HELD], images[-N_HELD:])  # the scans; their drawings follow
    assert not any((held[:N_HELD] == r).all() for r in ref_images[:50])
    scans = ref_images[:len(ref_images) - 10000]
    np.testing.assert_array_equal(scans, images[:55000:5])
    np.testing.assert_array_equal(ref_labels[:len(scans)], labels[:55000:5])


def test_at_most_the_flag_rate_of_held_out_digits_is_flagged(refs, shipped):
    params, doubt = shipped
    _, _, held = refs
    flagged = doubt_scores(doubt, forward(params, scale_uint8(held))) > doubt.threshold
    assert flagged.mean() <= FLAG_RATE
    assert doubt.held_flagged == pytest.approx(flagged.mean())


def test_each_model_gets_its_own_threshold(refs):
    a = calibrate(random_params((784, 64, 10), rng=1), *refs)
    b = calibrate(random_params((784, 32, 16, 10), rng=2), *refs)
    assert a.threshold != b.threshold
    assert a.refs[0].shape[1] == 64 and b.refs[0].shape[1] == 16  # the last hidden layer's width
    assert a.held_flagged <= FLAG_RATE and b.held_flagged <= FLAG_RATE


def test_non_digits_are_flagged_far_more_often_than_drawn_digits(shipped):
    params, doubt = shipped
    nd, kinds = nondigit_drawings(120, seed=5)
    images, _ = load_mnist("test")
    dd, _ = digit_drawings(images[1000:1200], seed=6)
    nd_flag = doubt_scores(doubt, forward(params, scale_input(nd))) > doubt.threshold
    dd_flag = doubt_scores(doubt, forward(params, scale_input(dd))) > doubt.threshold
    assert set(kinds) == set(KINDS)
    # The bars are 80 % and 3 %; the score reaches about 72 % and 3 % (benchmarks/not_sure.py).
    # This small sample checks that it separates the two clearly.
    assert nd_flag.mean() >= 0.6, nd_flag.mean()
    assert dd_flag.mean() <= 0.06, dd_flag.mean()


def test_not_sure_agrees_with_the_batch_scores(shipped):
    params, doubt = shipped
    nd, _ = nondigit_drawings(8, seed=7)
    fwd = forward(params, scale_input(nd))
    batch = doubt_scores(doubt, fwd) > doubt.threshold
    assert [not_sure(doubt, forward(params, scale_input(nd[i:i + 1]))) for i in range(len(nd))] == list(batch)


def test_two_most_likely_orders_by_probability():
    probs = np.array([0.05, 0.1, 0.02, 0.5, 0.03, 0.2, 0.04, 0.03, 0.02, 0.01])
    assert two_most_likely(probs) == (3, 5)


def test_the_page_sets_each_models_threshold_once_in_the_background_and_never_waits_for_it(refs):
    import time

    from views import why
    params = random_params((784, 16, 10), rng=3)
    assert why.model_doubt(params) is None        # not set yet: the caller gets no flag instead of waiting
    assert why.model_doubt(params) is None        # ...and a second call starts no second calibration
    assert sum(t.name == "not-sure-calibration" for t in __import__("threading").enumerate()) <= 1
    deadline = time.monotonic() + 120
    while (doubt := why.model_doubt(params)) is None:
        assert time.monotonic() < deadline, "the calibration thread never finished"
        time.sleep(0.1)
    assert why.model_doubt(params) is doubt        # kept: the same object from then on
    assert doubt.threshold == calibrate(params, *refs).threshold
