"""The training loop: a run learns, pauses, gives its slot back, stops with its session; fine-tuning
teaches one drawing without forgetting; the worked backprop step and its gradient check."""
import threading
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistapp.training_thread import SlotQueue, Training
from mnistcore import backward, forward, load_mnist, load_params
from mnistcore.explain.backprop import default_picks, gradient_check, worked_step
from mnistcore.preprocess import scale_uint8
from mnistcore.train_loop import Settings, accuracy, fine_tune


@pytest.fixture(scope="module")
def mnist():
    images, labels = load_mnist("train", DATA_DIR)
    test = load_mnist("test", DATA_DIR)
    return {"train": (images[:3000], labels[:3000]), "heldout": (images[-500:], labels[-500:]), "test": test}


def wait(condition, timeout=60.0):
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.02)


def test_a_small_run_learns_and_reports_every_step(mnist):
    slots = SlotQueue(1)
    run = Training(Settings(hidden=(32,), epochs=2, batch=100), mnist, slots).start()
    run.join(120)
    p = run.snapshot()
    assert p.state == "done" and p.step == p.steps_total == 60 and len(p.batch_losses) == 60
    assert len(p.epoch_losses) == 2 and p.epoch_losses[1] < p.epoch_losses[0]
    assert p.test_acc == accuracy(p.params, *mnist["test"]) and p.test_acc > 0.8
    assert slots.running == 0 and slots.acquire("another", timeout=0), "the slot was given back"


def test_the_same_seed_gives_the_same_network(mnist):
    runs = [Training(Settings(hidden=(16,), epochs=1, batch=200, seed=3), mnist, SlotQueue(1)).start()
            for _ in range(2)]
    for run in runs:
        run.join(120)
    assert runs[0].snapshot().params.digest == runs[1].snapshot().params.digest


def test_pause_stops_the_steps_and_frees_the_slot_and_continue_resumes(mnist):
    slots = SlotQueue(1)
    run = Training(Settings(hidden=(32,), epochs=20, batch=50), mnist, slots).start()
    wait(lambda: run.snapshot().step > 3)
    run.pause()
    wait(lambda: run.snapshot().state == "paused", timeout=1.0)  # within a second
    at = run.snapshot().step
    time.sleep(0.3)
    assert run.snapshot().step == at
    assert slots.acquire("another", timeout=0), "a paused run holds no slot"
    slots.release("another")
    run.resume()
    wait(lambda: run.snapshot().step > at)
    run.stop()
    run.join(5)
    assert run.snapshot().state == "stopped" and slots.running == slots.waiting == 0


def test_a_run_waits_for_a_slot_and_stops_when_its_session_goes(mnist):
    slots = SlotQueue(1)
    slots.acquire("another")  # another session's training holds the only slot
    alive = threading.Event()
    alive.set()
    run = Training(Settings(hidden=(32,), epochs=20, batch=50), mnist, slots, alive=alive.is_set).start()
    wait(lambda: run.ahead == 0)
    assert run.snapshot().state == "waiting" and run.snapshot().step == 0
    slots.release("another")
    wait(lambda: run.snapshot().step > 0)
    alive.clear()  # the browser session went away
    run.join(5)
    assert run.snapshot().state == "stopped" and slots.running == slots.waiting == 0


def test_trainings_that_wait_start_in_the_order_they_asked_and_one_that_leaves_frees_its_place(mnist):
    slots = SlotQueue(1)
    slots.acquire("another")
    alive = [threading.Event() for _ in range(3)]
    runs = []
    for i, a in enumerate(alive):
        a.set()
        runs.append(Training(Settings(hidden=(16,), epochs=20, batch=50, seed=i), mnist, slots, alive=a.is_set).start())
        wait(lambda i=i: runs[-1].ahead == i)  # each queues behind the ones before it
    alive[1].clear()  # the second one's session goes away while it waits
    wait(lambda: runs[1].finished and runs[2].ahead == 1)
    assert runs[1].snapshot().state == "stopped" and runs[1].ahead is None
    slots.release("another")
    wait(lambda: runs[0].snapshot().step > 0)
    assert runs[2].snapshot().state == "waiting" and runs[2].ahead == 0
    runs[0].stop()
    wait(lambda: runs[2].snapshot().step > 0)
    runs[2].stop()
    for run in runs:
        run.join(5)
    assert slots.running == slots.waiting == 0


@pytest.mark.slow  # three epochs of 784-512-10
def test_the_default_settings_reach_97_percent_on_the_test_set_in_3_epochs():
    """The Learn page's promise, on the full split it trains on: 55,000 images, 5,000 held out, the test set."""
    images, labels = load_mnist("train", DATA_DIR)
    data = {"train": (images[:-5000], labels[:-5000]), "heldout": (images[-5000:], labels[-5000:]),
            "test": load_mnist("test", DATA_DIR)}
    with threadpool_limits(1, user_api="blas"):  # as the app runs it (app.py); two threads only contend here
        run = Training(Settings(), data, SlotQueue(1)).start()
        run.join(1800)
    p = run.snapshot()
    assert p.state == "done" and p.epoch == Settings().epochs == 3
    assert p.test_acc >= 0.97, p.test_acc


def test_fine_tuning_teaches_a_misread_image_and_keeps_the_rest():
    params = load_params(SHIPPED_MODEL)
    images, labels = load_mnist("test", DATA_DIR)
    train_images, train_labels = load_mnist("train", DATA_DIR)
    wrong = np.flatnonzero(forward(params, scale_uint8(images)).logits.argmax(1) != labels)[:3]
    before = accuracy(params, images, labels)
    for i in wrong:
        x = scale_uint8(images[i:i + 1])
        tuned = fine_tune(params, x, int(labels[i]), train_images, train_labels, np.random.default_rng(int(i)))
        assert forward(tuned, x).logits.argmax() == labels[i]
        assert accuracy(tuned, images, labels) > before - 0.01


def test_the_worked_step_is_backward_written_out_and_the_check_agrees():
    params = load_params(SHIPPED_MODEL)
    images, labels = load_mnist("test", DATA_DIR)
    x, t = scale_uint8(images[8:9]), 3  # test image 8 is a 5: a label it gets wrong gives large gradients
    s = worked_step(params, x, t, lr=0.01)
    grads = backward(params, forward(params, x), np.array([t]))
    np.testing.assert_array_equal(s.dz1 @ params.Ws[0].T, grads.dx)  # dz1 is what backward carries to x
    np.testing.assert_allclose(s.dW2, s.a1.T @ s.dz2, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(s.dW1, s.x.T @ s.dz1, rtol=1e-5, atol=1e-7)
    assert s.L_after < s.L
    for check in gradient_check(params, x, t, default_picks(s, t)):
        assert check.rel_error < 1e-6, check
