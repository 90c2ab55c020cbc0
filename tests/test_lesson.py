"""The lesson without a browser: its checks on the real network and test set, its progress in the URL,
and the page itself under AppTest (every step opens with its task and maths)."""
from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnistapp import lesson_checks as check
from mnistapp.lesson_progress import N_STEPS, Progress, format_done, kept_progress, parse_done, parse_step
from mnistapp.lesson_steps import STEPS
from mnistapp.paths import DATA_DIR, ROOT, SHIPPED_MODEL
from mnistapp.session import LESSON_DONE, LESSON_STEP
from mnistcore import forward, load_mnist, load_params
from mnistcore.preprocess import scale_uint8


@pytest.fixture(scope="module")
def shipped():
    images, labels = load_mnist("test", DATA_DIR)
    params = load_params(SHIPPED_MODEL)
    return params, images, labels


def test_a_step_and_the_steps_done_read_from_the_url_and_back():
    assert parse_step("3") == 3 and parse_step(str(N_STEPS)) == N_STEPS
    assert [parse_step(t) for t in ("0", "7", "x", "", "-1", "2.0")] == [None] * 6
    assert parse_done("5,1,x,9,1,3") == (1, 3, 5)
    assert parse_done("") is None and parse_done("0,7") is None
    assert parse_done(format_done((1, 2, 6))) == (1, 2, 6)


def test_progress_read_back_from_the_browser_store_is_checked():
    assert kept_progress({"step": 3, "done": [2, 1, 2]}) == Progress(3, (1, 2))
    assert kept_progress({"step": 4, "done": []}) == Progress(4, ())
    assert kept_progress({"step": 2, "done": [1, "x", {}, 9]}) == Progress(2, (1,))  # the bad steps dropped
    for edited in (None, "3", [3], {"step": 0, "done": []}, {"step": 7, "done": []}, {"step": 3}, {"step": 3, "done": "1"}):
        assert kept_progress(edited) is None, edited


def test_reads_right_is_the_networks_answer_against_the_digit_meant():
    probs = np.array([0.1, 0.7, 0.2])
    assert check.reads_right(probs, 1)
    assert not check.reads_right(probs, 2)
    assert not check.reads_right(probs, None) and not check.reads_right(None, 1)


def test_small_and_off_centre_needs_both():
    ink = np.zeros((280, 280), np.float32)
    ink[20:120, 30:100] = 1  # 100 px high, centred at (70, 65): a corner
    assert check.small_and_off_centre(ink)
    centred = np.roll(ink, (70, 75), axis=(0, 1))  # the same size in the middle
    assert not check.small_and_off_centre(centred)
    big = np.zeros_like(ink)
    big[0:200, 0:150] = 1  # in a corner, but bigger than half the box
    assert not check.small_and_off_centre(big)
    assert not check.small_and_off_centre(np.zeros_like(ink)) and not check.small_and_off_centre(None)


def test_the_units_offered_are_the_top_pushes_and_the_bottom_ones(shipped):
    params, images, _ = shipped
    fwd = forward(params, scale_uint8(images[:1]))
    k = int(fwd.probs[0].argmax())
    top, bottom = check.unit_choices(params, fwd, k)
    push = fwd.activations[-1][0] * params.Ws[-1][:, k]
    assert len(top) == check.N_TOP and not set(top) & set(bottom)
    assert min(push[top]) > 0 and min(push[top]) >= np.sort(push)[-check.N_TOP]
    assert max(push[bottom]) <= np.sort(push)[check.N_TOP - 1]
    assert sorted(check.shuffled(top + bottom, 3)) == sorted(top + bottom)
    assert check.shuffled(top + bottom, 3) == check.shuffled(top + bottom, 3)


def test_the_runner_up_is_the_second_highest_score():
    assert check.runner_up(np.array([0.5, 3.0, -1.0, 2.9])) == 3


def test_the_gallery_holds_the_models_mistakes_it_was_asked_for(shipped):
    params, images, labels = shipped
    predictions = forward(params, scale_uint8(images)).probs.argmax(1)
    wrong = np.flatnonzero(predictions != labels)
    picked = check.gallery(wrong, len(labels), np.random.default_rng(0))
    assert len(picked) == len(set(picked)) == 8
    assert sum(i in set(wrong) for i in picked) == 2


def test_the_trained_accuracy_is_the_best_held_out_or_test_figure():
    assert check.trained_accuracy([], None) is None
    assert check.trained_accuracy([(100, 0.91), (200, 0.96), (300, 0.95)], None) == 0.96
    assert check.trained_accuracy([(100, 0.91)], 0.97) == 0.97


def lesson() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/lesson.py").run()
    assert not at.exception, at.exception
    return at


def test_every_step_opens_with_its_task_hint_and_maths():
    at = lesson()
    for n, step in enumerate(STEPS, start=1):
        assert at.header[0].value == f"{n}. {step.title}"
        assert any(step.task in m.value for m in at.markdown)
        assert len(at.latex) == len(step.maths)
        if n < N_STEPS:
            next(b for b in at.button if b.label == "Next step").click().run()
            assert not at.exception, at.exception
    assert at.session_state[LESSON_STEP] == N_STEPS
    assert at.session_state[LESSON_DONE] == ()
