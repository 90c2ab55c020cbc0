"""The session: its keys, the shipped model, the model in use, the upload, and the page guard.

Every session-state key the app reads or writes is named once here, grouped by page; pages and tests
import them. (Chart keys that hold no state, such as "weights.heatmap", stay with their charts.)
The shipped model and the test set are loaded once per server under `st.cache_resource` and never
changed; a visitor's own model lives in `st.session_state` and `current_params()` returns it.
"""
from __future__ import annotations

import json
import threading

import streamlit as st
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.uploaded_file_manager import DeletedFile

from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistapp.sandbox import MAX_HIDDEN_LAYERS, MAX_SERVED_PARAMS, LoadStopped, load_params_isolated
from mnistcore import ModelFileError, Params, load_mnist, load_params
from mnistcore.evaluate import Evaluation, evaluate, format_percent
from mnistcore.preprocess import MNIST_SCALING, UNIT_SCALING, Scaling, card_scaling

EVALUATING = threading.Lock()  # one test-set evaluation at a time per server: 20 sessions uploading at once
# (each session's script runs in its own thread) would otherwise hold 20 sets of activations
SCALINGS = {MNIST_SCALING: "MNIST's mean/std: (pixel − 0.1307) / 0.3081", UNIT_SCALING: "pixels as they are, 0..1"}

# --- session-state keys --------------------------------------------------------------------------
# the model, on every page
USER_MODEL = "model.user_params"     # Params of an uploaded model, or absent
USER_MODEL_NAME = "model.user_name"  # its file name
UPLOAD = "model.upload"              # the sidebar's file uploader
UPLOAD_ERROR = "model.upload_error"  # why the last upload was refused
# Draw
DRAW_LIVE = "draw.live"              # the live canvas (mnistapp/live_canvas.py)
DRAW_SAVED = "draw.saved"            # its last drawing, kept while the visitor is on other pages
DRAW_CANVAS = "draw.canvas"          # the classic canvas (streamlit-drawable-canvas)
DRAW_CLASSIC = "draw.classic"        # True: draw on the classic canvas
DRAW_STROKE_WIDTH = "draw.stroke_width"
DRAW_LABEL = "draw.label"            # the digit the visitor meant, for the loss
# Weights
WEIGHTS_TAB = "weights.tab"
WEIGHTS_CLIP = "weights.clip"
WEIGHTS_LAYER = "weights.layer"
WEIGHTS_FIRST_COL = "weights.first_col"
WEIGHTS_ORDER = "weights.order"
WEIGHTS_DIGIT = "weights.digit"
WEIGHTS_UNIT = "weights.unit"
WEIGHTS_TILES = "weights.tiles"      # the tile grid's selection: a click picks WEIGHTS_UNIT
WEIGHTS_NPY = "weights.npy."         # + the matrix's name: its download button
WEIGHTS_SCROLL = "weights.scroll"    # set by a tile click: bring the unit's details into view
# Test set
TESTSET_TRUE = "testset.true"
TESTSET_PREDICTED = "testset.predicted"
TESTSET_OUTCOME = "testset.outcome"
TESTSET_ORDER = "testset.order"
TESTSET_PAGE = "testset.page"
TESTSET_CONFUSION = "testset.confusion"  # the confusion matrix's selection: a click sets the filters
TESTSET_NORMALISE = "testset.normalise"
TESTSET_OPEN = "testset.open."           # + the image's index: its caption button
TESTSET_SCROLL = "testset.scroll"        # set by a confusion-cell click: bring the gallery into view
# Learn
LEARN_TRAINING = "learn.training"        # the session's Training (mnistcore.train_loop), or absent
LEARN_HIDDEN = "learn.hidden"
LEARN_OPTIMIZER = "learn.optimizer"
LEARN_LR = "learn.lr"
LEARN_BATCH = "learn.batch"
LEARN_EPOCHS = "learn.epochs"
LEARN_SEED = "learn.seed"
LEARN_SOURCE = "learn.source"            # the worked step's input: a test image or the drawing
LEARN_IMAGE = "learn.image"              # the test image's index
LEARN_LABEL = "learn.label"              # the drawing's true digit
LEARN_CHECK = "learn.check"              # (the input, the weights the gradient check perturbs for it)
LEARN_DRAWING = "learn.drawing"          # the Draw page's current 28x28 digit, for the worked step
LEARN_TEACH_LABEL = "learn.teach_label"  # Draw page: the digit the drawing really was
LEARN_TEACH_RESULT = "learn.teach_result"  # Draw page: the last fine-tuning's before/after
LEARN_TEACH_BACK = "learn.teach_back"    # Draw page: its "Back to the shipped model" button
LEARN_DOWNLOAD = "learn.download."       # + the format (pth, safetensors, npz): its download button
# Why this digit: suffixes after the page's own prefix ("draw", "testset.detail")
WHY_ATTRIBUTION = ".why.attribution"  # the expanders: open or closed
WHY_FOOL = ".why.fool"
WHY_UNITS = ".why.units"
WHY_STEPS = ".why.steps"
MAP_OPEN = ".map_open"                # the hidden map's expander
WHY_DIGIT = ".why.digit"              # the digit whose pixel shares are shown
WHY_OTHER = ".why.other"              # ...and the one it is compared with
WHY_FOOL_TARGET = ".why.fool_target"  # "make it say" this digit
WHY_FOOL_FOR = ".why.fool_for"        # the drawing that pick was made for (a new one clears it)
WHY_UNITS_OFF = ".why.units_off"      # the hidden units switched off
WHY_STEPS_OFF = ".why.steps_off"      # the preprocessing steps switched off
# Ways in and ways to share: the Draw page's input source, and the shareable link
DRAW_SOURCE = "draw.source"              # "draw", "photo" or "test": where the Draw page's digit comes from
DRAW_PHOTO = "draw.photo"                # the photo uploader
DRAW_TEST_INDEX = "draw.test_index"      # the test image shown when the source is "test"
LINK_WRITTEN = "link.written"            # the query parameters this session last put in the URL
# Any model: the upload's rounds, its input scaling, two models compared
UPLOAD_ROUND = "model.upload_round"      # counts finished uploads: each gets a fresh, empty uploader (UPLOAD + round)
UPLOAD_NOTE = "model.upload_note"        # what the last upload did read (beside any refusal)
UPLOAD_STARTED = "model.upload_started"  # file ids whose reading has begun (a newer drop can stop it)
UPLOAD_CALLS = "model.upload_calls"      # [number of upload calls so far]: an older call still reading stops
USER_SCALING = "model.user_scaling"      # the input Scaling of the session's own model (radio or model card)
COMPARE = "model.compare"                # Draw: show the shipped model's bars beside the session's model
WEIGHTS_UNITS_LAYER = "weights.units_layer"  # the units tab of a deeper model: which hidden layer's units
WEIGHTS_INPUT_IMAGE = "weights.input_image"  # its input when nothing is drawn: a test image's index


def route_through_app() -> None:
    """Call first in every page: make sure the page runs inside app.py's router.

    Streamlit 1.67 treats a folder named `pages/` as a legacy multipage app until app.py's
    st.navigation has run once on the server, so the first visitor of a fresh server who opens
    /weights directly would get that page alone, without the sidebar or the layout. Rerun through
    app.py instead. tests/test_routing_browser.py pins this: it opens /weights and /testset first.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


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


def _on_upload(key: str) -> None:
    """Read the files uploaded in uploader `key`: model cards (.json) first, then the model, loaded in a
    child process with memory and time limits (mnistapp.sandbox): one server serves every session, so
    nothing in a file may crash it, hang it or exhaust its memory. The uploader is then replaced by an
    empty one, so a refused file never sits beside the model in use, and the file's bytes are dropped
    (_forget).

    A file dropped while the one before it is being read lands on the old uploader (`key`, the round has
    moved on), and Streamlit starts a new run without waiting for this one. That run's call gets both files:
    it reads the newer one and passes over the other, whose call here stops reading and writes nothing."""
    files = [f for f in st.session_state.get(key) or [] if not isinstance(f, DeletedFile)]  # deleted: forgotten
    started = st.session_state.setdefault(UPLOAD_STARTED, set())
    stopped = [f for f in files if f.file_id in started]
    files = [f for f in files if f not in stopped]
    started.update(f.file_id for f in files)
    _forget(stopped)
    if not files:
        return
    calls = st.session_state.setdefault(UPLOAD_CALLS, [0])  # one list, seen by an older call still reading
    calls[0] += 1
    mine = calls[0]
    st.session_state[UPLOAD_ROUND] = st.session_state.get(UPLOAD_ROUND, 0) + 1
    for k in (UPLOAD_ERROR, UPLOAD_NOTE):
        st.session_state.pop(k, None)
    errors = []
    notes = [f"{_not_read(stopped)}: {files[0].name} came while it was being read."] if stopped else []
    cards = [f for f in files if f.name.lower().endswith(".json")]
    models = [f for f in files if f not in cards]
    for card in cards:
        try:
            st.session_state[USER_SCALING] = card_scaling(json.loads(card.getvalue()[:100_000].decode("utf-8")))
            notes.append(f"Model card {card.name}: input scaled as {_scaling_name(st.session_state[USER_SCALING])}.")
        except (ModelFileError, ValueError) as e:  # ValueError: not JSON, or not UTF-8
            why = str(e) if isinstance(e, ModelFileError) else "It is not a JSON file."
            errors.append(f"{card.name} was not read. {why}")
    for file in models[:1]:
        in_use = _in_use()
        try:
            params = load_params_isolated(file.getvalue(), stop=lambda: calls[0] != mine)
        except LoadStopped:  # a newer call reads a newer file: this one leaves the session to it
            return
        except ModelFileError as e:
            errors.append(f"{file.name} was not loaded. {e} Still in use: {in_use}.")
        else:
            st.session_state[USER_MODEL] = params
            st.session_state[USER_MODEL_NAME] = file.name
            st.session_state.setdefault(USER_SCALING, MNIST_SCALING)  # no card yet: the user picks; the app's own
            notes.append(f"{file.name} is now in use.")
    _forget(files)
    started.difference_update(f.file_id for f in files)  # what is left there was stopped by a newer drop
    if len(models) > 1:
        errors.append(f"Upload one model at a time (and its model card, if it has one); {_not_read(models[1:])}.")
    if cards and USER_MODEL not in st.session_state and not errors:
        notes.append("It applies to the model you upload next.")
    if errors:
        st.session_state[UPLOAD_ERROR] = "\n\n".join(errors)
    if notes:
        st.session_state[UPLOAD_NOTE] = " ".join(notes)


def _not_read(files) -> str:
    return f"{', '.join(f.name for f in files)} {'was' if len(files) == 1 else 'were'} not read"


def _forget(files) -> None:
    """Drop the files' bytes from Streamlit's upload store, as st.chat_input does: otherwise each upload
    stays in the server's memory until the session ends (the fresh uploader never asks to delete it)."""
    ctx = get_script_run_ctx()
    if ctx is not None and isinstance(ctx.uploaded_file_mgr, MemoryUploadedFileManager):
        for f in files:
            ctx.uploaded_file_mgr.remove_file(session_id=ctx.session_id, file_id=f.file_id)


def _in_use() -> str:
    if USER_MODEL in st.session_state:
        return f"your model {st.session_state[USER_MODEL_NAME]}"
    return "the shipped model"


def _scaling_name(s: Scaling) -> str:
    return SCALINGS.get(s, f"(pixel − {s.mean:g}) / {s.std:g}, from the model card")


def _back_to_shipped() -> None:
    for key in (USER_MODEL, USER_MODEL_NAME, UPLOAD_ERROR, UPLOAD_NOTE, USER_SCALING, COMPARE):
        st.session_state.pop(key, None)


def model_sidebar() -> None:
    """The model in use (with its test accuracy), an upload box, and a way back to the shipped one."""
    params, card = shipped_model()
    with st.sidebar:
        st.subheader("Model")
        user = st.session_state.get(USER_MODEL)
        if user is None:
            acc = card.get("test_accuracy")
            st.markdown(f"**Shipped model** · {'–'.join(map(str, params.sizes))}  \n"
                        + (f"{acc:.2%} on the 10,000 MNIST test images" if acc is not None else ""))
        else:
            st.markdown(f"**Your model** `{st.session_state[USER_MODEL_NAME]}` · {'–'.join(map(str, user.sizes))}")
            choices = list(SCALINGS) + [s for s in [st.session_state.get(USER_SCALING)] if s and s not in SCALINGS]
            st.radio("Input scaling", choices, key=USER_SCALING, format_func=_scaling_name,
                     help="How the pixels (0..1, ink = 1) were scaled when the model was trained. A model card "
                          "(.json, uploaded with the model) sets it; the accuracy below shows at once if it is right.")
            acc = test_accuracy(user.digest, user, current_scaling())
            st.markdown(f"{format_percent(acc)} on the 10,000 MNIST test images")
            st.button("Back to the shipped model", on_click=_back_to_shipped)
        key = f"{UPLOAD}.{st.session_state.get(UPLOAD_ROUND, 0)}"
        st.file_uploader("Try your own model", type=["pth", "pt", "safetensors", "npz", "json"],
                         accept_multiple_files=True, key=key, on_change=_on_upload, args=(key,),
                         help="A PyTorch state_dict of Linear layers (and ReLUs), 784 inputs and 10 outputs "
                              "(torch.save(model.state_dict(), 'model.pth')), .safetensors or .npz; at most "
                              f"{MAX_SERVED_PARAMS:,} parameters and {MAX_HIDDEN_LAYERS} hidden layers. "
                              "Add its model card (.json with an input_scaling) to say how it scales its input.")
        if UPLOAD_NOTE in st.session_state:  # what was read, then what was not: one drop can bring both
            st.success(st.session_state[UPLOAD_NOTE])
        if UPLOAD_ERROR in st.session_state:
            st.error(st.session_state[UPLOAD_ERROR])
