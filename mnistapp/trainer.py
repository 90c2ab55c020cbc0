"""The session's own training: the server's pool of training slots, the data, start / pause / stop.

Each browser session trains its own `training_thread.Training`, kept in its session state and
run on a daemon thread the session owns. The server lets at most MAX_TRAININGS of them run at once
(environment variable LEARN_MAX_TRAININGS, default 1: a second one at once lifts a class's peak past a
free-tier server's 690 MB, docs/performance.md); the others wait in one queue, first come first served,
and the page shows each its place in it. A training stops by itself
(and leaves the queue) once Streamlit no longer counts its session as active (the tab was closed or
lost its connection), and a reset stops it at once.
"""
from __future__ import annotations

import os

import streamlit as st

from mnistapp.paths import DATA_DIR
from mnistcore import Params, Settings, load_mnist
from mnistcore.preprocess import MNIST_SCALING

from .figures.style import plural
from .i18n import N_, _, ngettext
from .keep import keep_model
from .runtime import session_alive
from .session import LEARN_TRAINING, USER_MODEL, USER_MODEL_NAME, USER_SCALING
from .training_thread import SlotQueue, Training

MAX_TRAININGS = int(os.environ.get("LEARN_MAX_TRAININGS", "1"))
N_HELDOUT = 5000  # the last 5,000 training images, as train.py holds them out


@st.cache_resource
def training_slots() -> SlotQueue:
    """The server's slots, one per training allowed to run at once, and the queue for them: shared by every session."""
    return SlotQueue(MAX_TRAININGS)


@st.cache_resource(show_spinner=False)  # the Learn page shows its spinner, in the visitor's language
def training_data() -> dict:
    """train (55,000), heldout (the last 5,000 training images) and test (10,000): uint8 images, labels."""
    images, labels = load_mnist("train", DATA_DIR)
    return {"train": (images[:-N_HELDOUT], labels[:-N_HELDOUT]),
            "heldout": (images[-N_HELDOUT:], labels[-N_HELDOUT:]), "test": load_mnist("test", DATA_DIR)}


def session_training() -> Training | None:
    return st.session_state.get(LEARN_TRAINING)


def start_training(settings: Settings) -> Training:
    """Stop the session's old training, if any, and start a new one (it may first wait for a slot)."""
    stop_training()
    training = Training(settings, training_data(), training_slots(), alive=session_alive()).start()
    st.session_state[LEARN_TRAINING] = training
    return training


def stop_training() -> None:
    training = st.session_state.pop(LEARN_TRAINING, None)
    if training is not None:
        training.stop()


def running_elsewhere() -> int:
    """How many trainings run right now (any session's): for the 'waiting' message."""
    return training_slots().running


def waiting_text(ahead: int) -> str:
    """A waiting training's place in the queue, as the Learn page says it."""
    if ahead == 0:
        return _("Waiting: yours is next.")
    return ngettext("Waiting: {n} training ahead of yours.", "Waiting: {n} trainings ahead of yours.", ahead).format(n=ahead)


def use_as_model(params: Params, name: str, kind: str = "trained") -> None:
    """Make `params` the session's model: the Draw, Weights and Test set pages and the sidebar use it; and keep
    it in the visitor's browser (kind: "trained" here, "taught" on the Draw page)."""
    st.session_state[USER_MODEL] = params
    st.session_state[USER_MODEL_NAME] = name
    keep_model(params, name, kind, st.session_state.get(USER_SCALING, MNIST_SCALING))


OPTIMIZERS = {"sgd": "SGD", "momentum": N_("SGD with momentum"), "adam": "Adam"}  # keys: the names mnistcore.optim knows
LR_CHOICES = [1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.05, 0.1, 0.3]
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.05, "adam": 1e-3}


def parse_hidden(text: str) -> tuple[int, ...] | None:
    """'512' or '256, 128' -> (512,) or (256, 128); None unless every width is a whole number 1..4096."""
    try:
        sizes = tuple(int(s) for s in text.replace(",", " ").split())
    except ValueError:
        return None
    return sizes if sizes and all(1 <= s <= 4096 for s in sizes) else None


def model_name(settings: Settings, epochs_done: float) -> str:
    """How the sidebar names a model trained here: its sizes, optimiser, rate and epochs."""
    sizes = "–".join(map(str, settings.sizes))
    return f"trained here: {sizes}, {settings.optimizer} lr {settings.lr:g}, {plural(epochs_done, '{n} epoch', '{n} epochs')}"
