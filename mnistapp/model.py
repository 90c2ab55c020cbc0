"""The model a page works with, and the test set it is measured on.

The shipped model and the MNIST test set are loaded once per server under `st.cache_resource` and never
changed; a visitor's own model (uploaded, trained or fine-tuned) lives in `st.session_state` under
USER_MODEL, and `current_params()` returns it, else the shipped one. The test set's evaluation is cached
per model (by its sha256 digest) and input scaling.
"""
from __future__ import annotations

import json
import threading

import streamlit as st

from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistcore import ModelFileError, Params, load_mnist, load_params
from mnistcore.evaluate import Evaluation, evaluate
from mnistcore.preprocess import MNIST_SCALING, Scaling, card_scaling

from .session import USER_MODEL, USER_SCALING

EVALUATING = threading.Lock()  # one test-set evaluation at a time per server: 20 sessions uploading at once
# (each session's script runs in its own thread) would otherwise hold 20 sets of activations


@st.cache_resource(show_spinner="Loading the model…")
def shipped_model() -> tuple[Params, dict]:
    """The shipped model and its model card, loaded once per server and never changed."""
    card_path = SHIPPED_MODEL.with_suffix(".json")
    card = json.loads(card_path.read_text()) if card_path.exists() else {}
    return load_params(SHIPPED_MODEL), card


@st.cache_resource(show_spinner="Reading the MNIST test set…")
def test_set():
    """(images (10000, 28, 28) uint8, labels (10000,) uint8), read and verified once per server."""
    return load_mnist("test", DATA_DIR)


def current_params() -> Params:
    """The session's own model (uploaded, trained or fine-tuned), else the shipped model."""
    return st.session_state.get(USER_MODEL) or shipped_model()[0]


def current_scaling() -> Scaling:
    """How current_params() wants its input: the session's choice for its own model, else the shipped card's."""
    if USER_MODEL in st.session_state:
        return st.session_state.get(USER_SCALING, MNIST_SCALING)
    return shipped_scaling()


def shipped_scaling() -> Scaling:
    try:
        return card_scaling(shipped_model()[1])
    except ModelFileError:  # a card without it: the app's own scaling, which train.py uses
        return MNIST_SCALING


@st.cache_data(show_spinner="Running the network on the 10,000 test images…", max_entries=8)
def test_evaluation(digest: str, _params: Params, scaling: Scaling) -> Evaluation:
    """The model on the test set, once per model and scaling (keyed by its sha256 digest), in batches."""
    images, labels = test_set()
    with EVALUATING:
        return evaluate(_params, images, labels, scaling=scaling)


@st.cache_data(max_entries=1024, show_spinner=False)  # a float each: every session's model keeps its entry
def test_accuracy(digest: str, _params: Params, scaling: Scaling) -> float:
    return test_evaluation(digest, _params, scaling).accuracy
