"""The Draw page's ways in: draw on the canvas, upload a photo of a handwritten digit, or pick a test image.

`read_input` shows the small source control and returns the (28, 28) digit the page reads, the same
way for every source, so the prediction and layer views below it do not know where the digit came
from. A photo is read once per file (cached by its bytes) and each step of the reading is shown.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore import ImageFileError, Params, forward
from mnistcore.photo import PhotoSteps, read_photo
from mnistcore.preprocess import scale_uint8

from .figures.images import gray_image
from .figures.pictures import pictures_html
from .i18n import N_, _, shown_error
from .links import write_link
from .model import current_params, test_set
from .session import DRAW_LABEL, DRAW_PHOTO, DRAW_SOURCE, DRAW_TEST_INDEX

DRAW, PHOTO, TEST = "draw", "photo", "test"
SOURCES = {DRAW: N_("Draw"), PHOTO: N_("Photo"), TEST: N_("Test image")}
NO_PHOTO, NO_INK, BAD_FILE = "no photo", "no ink", "bad file"


def input_source() -> str:
    """The source control (Draw / Photo / Test image); returns the chosen source's key."""
    if st.session_state.get(DRAW_SOURCE) not in SOURCES:
        st.session_state[DRAW_SOURCE] = DRAW
    st.segmented_control(_("Input"), list(SOURCES), format_func=lambda k: _(SOURCES[k]), key=DRAW_SOURCE, required=True,
                         label_visibility="collapsed")
    return st.session_state[DRAW_SOURCE]


@st.cache_data(max_entries=16, show_spinner=False)  # the caller's spinner speaks the visitor's language
def cached_photo(data: bytes) -> PhotoSteps | str:
    """Every step of reading the photo, or the message saying why the file cannot be read."""
    try:
        return read_photo(data)
    except ImageFileError as e:
        return str(e)


def photo_input() -> tuple[np.ndarray | None, str | None]:
    """The uploader and the reading's steps as small images; returns (digit or None, why none)."""
    file = st.file_uploader(_("A photo of one handwritten digit (PNG or JPEG)"), type=["png", "jpg", "jpeg"],
                            key=DRAW_PHOTO, help=_("Dark ink on light paper or chalk on a board. The photo stays on "
                                                   "the server for this session only and never goes in the link."))
    if file is None:
        st.caption(_("Take a photo of a digit on paper, as big as you like; the app finds the digit on the page."))
        return None, NO_PHOTO
    with st.spinner(_("Reading the photo…")):
        steps = cached_photo(file.getvalue())
    if isinstance(steps, str):
        st.error(shown_error(steps))
        return None, BAD_FILE
    ink = _("3 ink (dark ink on light paper)") if steps.dark_ink else _("3 ink (light chalk on a dark board)")
    pictures = [gray_image(steps.grey), gray_image(steps.level), gray_image(steps.ink), gray_image(steps.kept)]
    captions = [_("1 the photo, grey"), _("2 the paper's light"), ink, _("4 the digit's ink")]
    alts = [_("The uploaded photo in shades of grey"), _("The paper's brightness across the photo, which the ink is "
            "measured against"), _("The ink alone, white where the photo differs from the paper"), _("The ink that "
            "belongs to the digit, with specks and lines cleared")]
    if steps.digit is not None:
        pictures.append(gray_image(steps.digit, scale=4))
        captions.append(_("5 28×28, centred"))
        alts.append(_("The digit as the network gets it: 28×28 grey pixels, centred, white ink on black"))
    st.html(pictures_html(pictures, alts, captions, width=96))
    if steps.digit is None:
        st.info(_("No ink found in this photo. Photograph the digit closer, in even light, with dark ink."))
        return None, NO_INK
    return steps.digit, None


@st.cache_data(max_entries=4, show_spinner=False)  # the caller's spinner speaks the visitor's language
def test_mistakes(digest: str, _params: Params) -> np.ndarray:
    """Indices of the test images this model gets wrong (one batched pass per model)."""
    images, labels = test_set()
    predictions = forward(_params, scale_uint8(images)).probs.argmax(axis=1)
    return np.flatnonzero(predictions != labels)


def _mistakes(params: Params) -> np.ndarray:
    with st.spinner(_("Finding the model's mistakes…")):
        return test_mistakes(params.digest, params)


def _pick(indices: np.ndarray) -> None:
    if len(indices):
        st.session_state[DRAW_TEST_INDEX] = int(np.random.default_rng().choice(indices))


def test_input() -> tuple[np.ndarray, None]:
    """A test image by index, a random one or a random mistake; sets the loss's label to its label."""
    images, labels = test_set()
    index = st.session_state.get(DRAW_TEST_INDEX)
    if not isinstance(index, int) or not 0 <= index < len(images):
        st.session_state[DRAW_TEST_INDEX] = 0
    i = st.number_input(_("Test image"), 0, len(images) - 1, step=1, key=DRAW_TEST_INDEX)
    c2, c3 = st.columns(2)
    c2.button(_("Random"), on_click=_pick, args=(np.arange(len(images)),), help=_("Any test image"), width="stretch")
    params = current_params()
    c3.button(_("A random mistake"), width="stretch", on_click=lambda: _pick(_mistakes(params)),
              help=_("A random test image this model gets wrong"))
    st.session_state[DRAW_LABEL] = int(labels[i])  # the loss below is for the image's own label
    st.caption(_("Test image #{i}, labelled {label}.").format(i=i, label=labels[i]))
    return images[i] / np.float32(255), None


def read_input(digit: np.ndarray | None, why_none: str | None, source: str) -> tuple[np.ndarray | None, str | None]:
    """The digit of the chosen source: the canvas's (passed in) when drawing, else the photo's or the test image's.

    Also keeps the link current: a choice here reruns only the Draw page's fragment, not app.py.
    """
    if source == PHOTO:
        digit, why_none = photo_input()
    elif source == TEST:
        digit, why_none = test_input()
    write_link("")
    return digit, why_none
