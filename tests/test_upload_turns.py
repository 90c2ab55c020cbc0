"""sidebar.Uploads.turn: a session's uploads are read one at a time, in the order they came."""
import threading
import time

import pytest

from mnistapp.sidebar import Uploads


def test_turns_never_overlap_and_come_in_the_order_asked():
    uploads, order, inside, overlap = Uploads(), [], [0], []
    first_in, let_go = threading.Event(), threading.Event()

    def read(name: str, hold: bool = False) -> None:
        with uploads.turn():
            inside[0] += 1
            overlap.append(inside[0] > 1)
            order.append(name)
            if hold:
                first_in.set()
                let_go.wait(60)
            inside[0] -= 1

    threads = [threading.Thread(target=read, args=("first", True))]
    threads[0].start()
    assert first_in.wait(60)
    for name in ("second", "third", "fourth"):  # each asks while the first still reads
        threads.append(threading.Thread(target=read, args=(name,)))
        threads[-1].start()
        while uploads._asked < len(threads):  # it has asked for its turn
            time.sleep(0.01)
    let_go.set()
    for t in threads:
        t.join(60)
    assert order == ["first", "second", "third", "fourth"]
    assert not any(overlap)


def test_a_turn_that_raises_lets_the_next_one_go():
    uploads, order = Uploads(), []
    with pytest.raises(ValueError):
        with uploads.turn():
            raise ValueError("the reading failed")

    def next_turn() -> None:
        with uploads.turn():
            order.append("next")

    t = threading.Thread(target=next_turn, daemon=True)  # would wait for ever if the failed turn had not ended
    t.start()
    t.join(10)
    assert order == ["next"]
