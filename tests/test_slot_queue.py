"""The server's queue for training slots: at most n at once, the rest first come first served, each
knowing its place, and one that leaves (a closed tab) frees its slot or its place."""
import threading

import pytest

from mnistapp.trainer import waiting_text
from mnistapp.training_thread import SlotQueue


def test_at_most_n_hold_a_slot_and_the_rest_queue_in_the_order_they_asked():
    q = SlotQueue(2)
    assert q.acquire("a", timeout=0) and q.acquire("b", timeout=0)
    assert not q.acquire("c", timeout=0) and not q.acquire("d", timeout=0) and not q.acquire("e", timeout=0)
    assert (q.running, q.waiting) == (2, 3)
    assert [q.ahead(t) for t in "abcde"] == [None, None, 0, 1, 2]
    assert not q.acquire("d", timeout=0)  # asking again keeps its place
    assert [q.ahead(t) for t in "cde"] == [0, 1, 2]
    q.release("a")
    assert not q.acquire("d", timeout=0), "d may not jump the queue"
    assert q.acquire("c", timeout=0) and q.ahead("d") == 0 and q.running == 2


def test_a_ticket_that_leaves_the_queue_moves_the_ones_behind_it_up():
    q = SlotQueue(1)
    q.acquire("a")
    for t in "bcd":
        q.acquire(t, timeout=0)
    q.leave("c")
    assert [q.ahead(t) for t in "bcd"] == [0, None, 1]
    q.leave("a")  # a holder that leaves frees its slot
    assert q.running == 0 and q.acquire("b", timeout=0) and q.ahead("d") == 0
    q.leave("nobody")  # neither holding nor waiting: nothing happens
    assert (q.running, q.waiting) == (1, 1)


def test_holding_a_slot_and_asking_again_takes_no_second_one():
    q = SlotQueue(2)
    assert q.acquire("a", timeout=0) and q.acquire("a", timeout=0)
    assert q.running == 1
    q.release("a")
    assert q.running == 0


def test_waiting_threads_get_the_slot_in_their_order():
    q = SlotQueue(1)
    q.acquire("first")
    order, threads = [], []
    for name in ("b", "c", "d"):
        t = threading.Thread(target=lambda n=name: (q.acquire(n), order.append(n), q.release(n)))
        t.start()
        threads.append(t)
        while q.ahead(name) is None:  # queued before the next one starts
            threading.Event().wait(0.01)
    q.release("first")
    for t in threads:
        t.join(10)
    assert order == ["b", "c", "d"] and q.running == q.waiting == 0


def test_a_queue_needs_a_slot():
    with pytest.raises(ValueError, match="at least one slot"):
        SlotQueue(0)


def test_the_page_says_how_many_wait_in_front():
    assert waiting_text(0) == "Waiting: yours is next."
    assert waiting_text(1) == "Waiting: 1 training ahead of yours."
    assert waiting_text(3) == "Waiting: 3 trainings ahead of yours."
