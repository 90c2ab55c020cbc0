"""One training run on a background thread: a shared queue for slots, pause, continue, stop, progress.

`Training` runs the engine's loop (`mnistcore.train_loop`) on a daemon thread that the caller owns: it
waits its turn in a shared `SlotQueue` (so a server bounds how many trainings run at once, and the others
wait in the order they asked and know their place), can be paused (it gives its slot back), continued
(it queues again) and stopped, and stops by itself when `alive()` turns False (the browser session that
started it went away), leaving the queue. Others read its progress through `snapshot()`, a consistent
copy taken under a lock. No Streamlit here: `trainer.py` ties it to a session.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np

from mnistcore.optim import optimizer
from mnistcore.params import Params
from mnistcore.preprocess import scale_uint8
from mnistcore.train_loop import Settings, accuracy, batches, init_params, train_step

EVAL_EVERY = 100  # steps between two held-out accuracies (and at every epoch's end)


class SlotQueue:
    """At most `n` holders at once; the others wait first come, first served, and can ask their place.

    Anything hashable is a ticket (a Training passes itself). A ticket queues with `acquire` and keeps its
    place across calls that time out, until it gets a slot or `leave`s; `release` gives a slot back."""

    def __init__(self, n: int):
        if n < 1:
            raise ValueError(f"a queue needs at least one slot, not {n}")
        self.n = n
        self._holders: set = set()
        self._waiting: deque = deque()
        self._changed = threading.Condition()

    def acquire(self, ticket, timeout: float | None = None) -> bool:
        """Queue `ticket` (if it is not queued yet) and wait up to `timeout` s for its slot: True once it
        holds one, False when the time is up (it stays in the queue)."""
        with self._changed:
            if ticket in self._holders:
                return True
            if ticket not in self._waiting:
                self._waiting.append(ticket)
            if self._changed.wait_for(lambda: len(self._holders) < self.n and self._waiting and self._waiting[0] == ticket, timeout):
                self._waiting.popleft()
                self._holders.add(ticket)
                self._changed.notify_all()  # the next in line may have a free slot too
                return True
            return False

    def release(self, ticket) -> None:
        """Give `ticket`'s slot back, or its place in the queue."""
        self.leave(ticket)

    def leave(self, ticket) -> None:
        """Out of the queue, and its slot freed, whichever it had (nothing if neither)."""
        with self._changed:
            self._holders.discard(ticket)
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            self._changed.notify_all()

    def ahead(self, ticket) -> int | None:
        """How many wait in front of `ticket`: 0 for the first in line, None if it is not waiting."""
        with self._changed:
            for i, t in enumerate(self._waiting):
                if t == ticket:
                    return i
            return None

    @property
    def running(self) -> int:
        with self._changed:
            return len(self._holders)

    @property
    def waiting(self) -> int:
        with self._changed:
            return len(self._waiting)


@dataclass
class Progress:
    """What a training has done so far. `Training.snapshot()` returns a copy the caller may keep."""
    state: str = "waiting"          # waiting (for a slot) | running | paused | done | stopped | failed
    epoch: int = 0                  # epochs finished
    step: int = 0                   # steps taken
    steps_total: int = 0
    batch_losses: list = field(default_factory=list)   # one per step
    epoch_losses: list = field(default_factory=list)   # mean batch loss of each finished epoch
    train_acc: list = field(default_factory=list)      # (step, accuracy on the batches since the last point)
    heldout_acc: list = field(default_factory=list)    # (step, accuracy on the held-out images)
    test_acc: float | None = None   # measured once the last epoch ends
    seconds: float = 0.0            # time spent running (waiting and pauses excluded)
    params: Params | None = None
    checkpoint: Params | None = None  # the network as the last finished epoch left it (epoch says which)
    error: str = ""

    @property
    def seconds_left(self) -> float | None:
        if self.step == 0:
            return None
        return self.seconds / self.step * (self.steps_total - self.step)


class Training:
    """One training run on its own daemon thread. Data: dict with train/heldout/test (images, labels)."""

    def __init__(self, settings: Settings, data: dict, slots: SlotQueue, alive=lambda: True):
        self.settings, self.data, self.slots, self.alive = settings, data, slots, alive
        n_train = len(data["train"][0])
        self._progress = Progress(steps_total=settings.epochs * -(-n_train // settings.batch))
        self._lock = threading.Lock()
        self._go = threading.Event()    # set: run; clear: pause
        self._stop = threading.Event()
        self._go.set()
        self._thread = threading.Thread(target=self._run, daemon=True, name="mnistcore-training")

    # --- the owner's controls ---------------------------------------------------------------------
    def start(self) -> Training:
        self._thread.start()
        return self

    def pause(self) -> None:
        self._go.clear()

    def resume(self) -> None:
        self._go.set()

    def stop(self) -> None:
        self._stop.set()
        self._go.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def paused(self) -> bool:
        """The owner asked for a pause (the thread stops before its next batch, and says so in its state)."""
        return not self._go.is_set()

    @property
    def finished(self) -> bool:
        return self._progress.state in ("done", "stopped", "failed")

    def snapshot(self) -> Progress:
        with self._lock:
            p = self._progress
            return replace(p, batch_losses=list(p.batch_losses), epoch_losses=list(p.epoch_losses),
                           train_acc=list(p.train_acc), heldout_acc=list(p.heldout_acc))

    # --- the thread -------------------------------------------------------------------------------
    def _set(self, **changes) -> None:
        with self._lock:
            for k, v in changes.items():
                setattr(self._progress, k, v)

    @property
    def ahead(self) -> int | None:
        """Trainings waiting in front of this one for a slot; None unless it waits."""
        return self.slots.ahead(self)

    def _acquire(self) -> bool:
        """Wait in the queue for a slot; False, and out of the queue, if told to stop (or the session
        left) while waiting."""
        self._set(state="waiting")
        while not self.slots.acquire(self, timeout=0.2):
            if self._stop.is_set() or not self.alive():
                self.slots.leave(self)
                return False
        return True

    def _run(self) -> None:
        try:
            self._train()
        except Exception as e:  # the page shows it; the thread must not die silently
            self._set(state="failed", error=f"{type(e).__name__}: {e}")

    def _train(self) -> None:
        s = self.settings
        rng = np.random.default_rng(s.seed)
        params = init_params(s.sizes, rng)
        opt = optimizer(s.optimizer, s.lr)
        state = opt.init(params)
        images, labels = self.data["train"]
        if not self._acquire():
            self._set(state="stopped")
            return
        self._set(state="running", params=params)
        held = True
        t0 = time.perf_counter()
        right = seen = 0
        try:
            for epoch in range(s.epochs):
                epoch_losses = []
                for idx in batches(len(images), s.batch, rng):
                    if not self._go.is_set():  # paused: give the slot back, wait, take one again
                        self._set(seconds=self._progress.seconds + time.perf_counter() - t0, state="paused")
                        self.slots.release(self)
                        held = False
                        while not self._go.wait(0.2):
                            if not self.alive():
                                self._stop.set()
                                break
                        if self._stop.is_set() or not self._acquire():
                            self._set(state="stopped")
                            return
                        held = True
                        self._set(state="running")
                        t0 = time.perf_counter()
                    if self._stop.is_set() or not self.alive():
                        self._set(state="stopped")
                        return
                    y = labels[idx]
                    params, state, loss, correct = train_step(params, opt, state, scale_uint8(images[idx]), y)
                    epoch_losses.append(loss)
                    right, seen = right + correct, seen + len(idx)
                    now = time.perf_counter()
                    with self._lock:
                        p = self._progress
                        p.step += 1
                        p.batch_losses.append(loss)
                        p.params = params
                        p.seconds += now - t0
                    t0 = now
                    if self._progress.step % EVAL_EVERY == 0:
                        self._evaluate(params, right / seen)
                        right = seen = 0  # the evaluation's time counts into the next step's
                with self._lock:
                    self._progress.epoch = epoch + 1
                    self._progress.checkpoint = params
                    self._progress.epoch_losses.append(float(np.mean(epoch_losses)))
                if seen:
                    self._evaluate(params, right / seen)
                    right = seen = 0
            test = accuracy(params, *self.data["test"])
            self._set(state="done", test_acc=test, seconds=self._progress.seconds + time.perf_counter() - t0)
        finally:
            if held:
                self.slots.release(self)

    def _evaluate(self, params: Params, train_acc: float) -> None:
        held = accuracy(params, *self.data["heldout"])
        with self._lock:
            self._progress.train_acc.append((self._progress.step, train_acc))
            self._progress.heldout_acc.append((self._progress.step, held))
