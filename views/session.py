"""The session: its keys, the shipped model, the model in use, the upload, and the page guard.

Every session-state key the app reads or writes is named once here, grouped by page; pages and tests
import them. (Chart keys that hold no state, such as "weights.heatmap", stay with their charts.)
The shipped model and the test set are loaded once per server under `st.cache_resource` and never
changed; a visitor's own model lives in `st.session_state` and `current_params()` returns it.
"""
from __future__ import annotations

import json

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from mnistcore import ModelFileError, Params, load_mnist, load_params
from mnistcore.data import SHIPPED_MODEL
from mnistcore.isolate import load_params_isolated

# --- session-state keys --------------------------------------------------------------------------
# the model, on every page
USER_MODEL = "model.user_params"     # Params of an uploaded model, or absent
USER_MODEL_NAME = "model.user_name"  # its file name
UPLOAD = "model.upload"              # the sidebar's file uploader
UPLOAD_ERROR = "model.upload_error"  # why the last upload was refused
# Draw
DRAW_LIVE = "draw.live"              # the live canvas (views/live_canvas.py)
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
# Learn (issue 14)
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
# Why this digit (issue 15): suffixes after the page's own prefix ("draw", "testset.detail")
WHY_ATTRIBUTION = ".why.attribution"  # the expanders: open or closed
WHY_FOOL = ".why.fool"
WHY_UNITS = ".why.units"
WHY_STEPS = ".why.steps"
WHY_DIGIT = ".why.digit"              # the digit whose pixel shares are shown
WHY_OTHER = ".why.other"              # ...and the one it is compared with
WHY_FOOL_TARGET = ".why.fool_target"  # "make it say" this digit
WHY_FOOL_FOR = ".why.fool_for"        # the drawing that pick was made for (a new one clears it)
WHY_UNITS_OFF = ".why.units_off"      # the hidden units switched off
WHY_STEPS_OFF = ".why.steps_off"      # the preprocessing steps switched off
# Ways in and ways to share (issue 16): the Draw page's input source, and the shareable link
DRAW_SOURCE = "draw.source"              # "draw", "photo" or "test": where the Draw page's digit comes from
DRAW_PHOTO = "draw.photo"                # the photo uploader
DRAW_TEST_INDEX = "draw.test_index"      # the test image shown when the source is "test"
LINK_WRITTEN = "link.written"            # the query parameters this session last put in the URL


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
    return load_mnist("test")


def current_params() -> Params:
    """The session's own model (uploaded, trained or fine-tuned), else the shipped model."""
    return st.session_state.get(USER_MODEL) or shipped_model()[0]


def _on_upload() -> None:
    """Load the uploaded file in a child process with memory and time limits (mnistcore.isolate): one
    server serves every session, so nothing in a file may crash it, hang it or exhaust its memory."""
    file = st.session_state.get(UPLOAD)
    st.session_state.pop(UPLOAD_ERROR, None)
    if file is None:  # the visitor removed the file: the model in use stays, the old refusal goes
        return
    try:
        st.session_state[USER_MODEL] = load_params_isolated(file.getvalue())
        st.session_state[USER_MODEL_NAME] = file.name
    except ModelFileError as e:
        in_use = (f"your model {st.session_state[USER_MODEL_NAME]}" if USER_MODEL in st.session_state
                  else "the shipped model")
        st.session_state[UPLOAD_ERROR] = f"{file.name} was not loaded. {e} Still in use: {in_use}."


def model_sidebar() -> None:
    """Which model is loaded (with its test accuracy), an upload box, and a way back to the shipped one."""
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
            if st.button("Back to the shipped model"):
                for key in (USER_MODEL, USER_MODEL_NAME, UPLOAD_ERROR):
                    st.session_state.pop(key, None)
                st.rerun()
        st.file_uploader("Try your own model", type=["pth", "pt", "safetensors", "npz"], key=UPLOAD,
                         on_change=_on_upload,
                         help="A PyTorch state_dict of Linear layers, 784 inputs and 10 outputs "
                              "(torch.save(model.state_dict(), 'model.pth')), .safetensors or .npz.")
        if UPLOAD_ERROR in st.session_state:
            st.error(st.session_state[UPLOAD_ERROR])
