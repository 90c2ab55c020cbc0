"""The sidebar every page shows: the model in use with its test accuracy, its input scaling, an upload box
for a visitor's own model, and the way back to the shipped one."""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from typing import NamedTuple

import streamlit as st

from mnistapp.sandbox import MAX_HIDDEN_LAYERS, MAX_SERVED_PARAMS, load_params_isolated
from mnistcore import ModelFileError, Params
from mnistcore.preprocess import MNIST_SCALING, UNIT_SCALING, Scaling, card_scaling

from .i18n import N_, _, ngettext, number, percent, shown_error
from .keep import keep_model, keep_scaling, keep_shipped
from .keep_sidebar import kept_sidebar
from .model import current_scaling, shipped_model, test_accuracy
from .runtime import forget_uploads, still_uploaded
from .session import (
    COMPARE,
    UPLOAD,
    UPLOAD_ERROR,
    UPLOAD_NOTE,
    UPLOAD_ROUND,
    UPLOADS,
    USER_MODEL,
    USER_MODEL_NAME,
    USER_SCALING,
)

SCALINGS = {MNIST_SCALING: N_("MNIST's mean/std: (pixel − 0.1307) / 0.3081"), UNIT_SCALING: N_("pixels as they are, 0..1")}


class Found(NamedTuple):
    """What one drop's files held: each model card's input scaling or why not, the model or why not, and
    the names of the other models dropped with it (read one at a time)."""
    cards: list[tuple[str, Scaling | Exception]]
    model: tuple[str, Params | ModelFileError] | None
    not_read: list[str]


class Uploads:
    """A session's uploads: the files being read, one reading at a time in the order they were asked for,
    and what each found until a run takes it into the session."""

    def __init__(self) -> None:
        self.started: set[str] = set()  # file ids being read or waiting for their turn
        self.found: list[Found] = []
        self.taking = threading.Lock()
        self._changed = threading.Condition()
        self._asked = self._done = 0

    @contextmanager
    def turn(self):
        """Wait until every turn asked for before this one has ended."""
        with self._changed:
            mine, self._asked = self._asked, self._asked + 1
            self._changed.wait_for(lambda: self._done == mine)
        try:
            yield
        finally:
            with self._changed:
                self._done += 1
                self._changed.notify_all()


def _on_upload(key: str) -> None:
    """Read the files uploaded in uploader `key`, and replace the uploader by an empty one, so a refused file
    never sits beside the model in use.

    A file dropped while the one before it is being read lands on the old uploader (`key`, the round has
    moved on), and Streamlit starts a new run without waiting for this one: that run's call gets both files,
    passes over the one being read, and reads the newer one after it."""
    uploads = st.session_state.setdefault(UPLOADS, Uploads())
    files = [f for f in still_uploaded(st.session_state.get(key)) if f.file_id not in uploads.started]
    if files:
        st.session_state[UPLOAD_ROUND] = st.session_state.get(UPLOAD_ROUND, 0) + 1
        _read(uploads, files)
    _take_found(uploads)


def _take_readings() -> None:
    """Wait for the readings under way, and take what they found: a run that Streamlit stopped for a newer one
    (any click) reads its file to the end but cannot write the session; the run after it does."""
    uploads = st.session_state.get(UPLOADS)
    if uploads is not None:
        with uploads.turn():
            pass
        _take_found(uploads)


def _read(uploads: Uploads, files) -> None:
    """Read one drop's files after the readings before it, into uploads.found: model cards (.json) and the
    model, loaded in a child process with memory and time limits (mnistapp.sandbox), since one server serves
    every session and nothing in a file may crash it, hang it or exhaust its memory. Then their bytes are
    dropped (forget_uploads). Nothing here touches st.session_state: a run that a newer one stopped raises
    there, and its reading must still count."""
    uploads.started.update(f.file_id for f in files)
    try:
        cards = [f for f in files if f.name.lower().endswith(".json")]
        models = [f for f in files if f not in cards]
        with uploads.turn():
            uploads.found.append(Found([(c.name, _card_scaling(c)) for c in cards],
                                       (models[0].name, _load(models[0])) if models else None,
                                       [m.name for m in models[1:]]))
    finally:
        forget_uploads(files)
        uploads.started.difference_update(f.file_id for f in files)


def _card_scaling(card) -> Scaling | Exception:
    try:
        return card_scaling(json.loads(card.getvalue()[:100_000].decode("utf-8")))
    except (ModelFileError, ValueError) as e:  # ValueError: not JSON, or not UTF-8
        return e


def _load(file) -> Params | ModelFileError:
    try:
        return load_params_isolated(file.getvalue())
    except ModelFileError as e:
        return e


def _take_found(uploads: Uploads) -> None:
    """Put what the readings found into the session, oldest first, and say what was read and what was not."""
    with uploads.taking:
        if not uploads.found:
            return
        errors, notes = [], []
        while uploads.found:
            _take(uploads.found[0], errors, notes)
            uploads.found.pop(0)  # only once taken: a stopped run leaves it to the next
        for k, texts, sep in ((UPLOAD_ERROR, errors, "\n\n"), (UPLOAD_NOTE, notes, " ")):
            st.session_state.pop(k, None)
            if texts:
                st.session_state[k] = sep.join(texts)


def _take(found: Found, errors: list[str], notes: list[str]) -> None:
    mine = len(errors)
    for name, scaling in found.cards:
        if isinstance(scaling, Exception):
            why = shown_error(scaling) if isinstance(scaling, ModelFileError) else _("It is not a JSON file.")
            errors.append(_("{name} was not read. {why}").format(name=name, why=why))
        else:
            st.session_state[USER_SCALING] = scaling
            notes.append(_("Model card {name}: input scaled as {scaling}.").format(
                name=name, scaling=_scaling_name(scaling)))
    if found.model is not None:
        name, params = found.model
        if isinstance(params, ModelFileError):
            errors.append(_("{name} was not loaded. {why} Still in use: {in_use}.").format(
                name=name, why=shown_error(params), in_use=_in_use()))
        else:
            st.session_state[USER_MODEL] = params
            st.session_state[USER_MODEL_NAME] = name
            st.session_state.setdefault(USER_SCALING, MNIST_SCALING)  # no card yet: the user picks; the app's own
            keep_model(params, name, "uploaded", st.session_state[USER_SCALING])
            notes.append(_("{name} is now in use.").format(name=name))
    if found.not_read:
        errors.append(_("Upload one model at a time (and its model card, if it has one); {not_read}.").format(
            not_read=ngettext("{names} was not read", "{names} were not read", len(found.not_read)).format(
                names=", ".join(found.not_read))))
    if found.cards and USER_MODEL not in st.session_state and len(errors) == mine:
        notes.append(_("It applies to the model you upload next."))


def _in_use() -> str:
    if USER_MODEL in st.session_state:
        return _("your model {name}").format(name=st.session_state[USER_MODEL_NAME])
    return _("the shipped model")


def _scaling_name(s: Scaling) -> str:
    return _(SCALINGS[s]) if s in SCALINGS else _("(pixel − {mean}) / {std}, from the model card").format(
        mean=f"{s.mean:g}", std=f"{s.std:g}")


def _keep_scaling() -> None:
    # a rerun that set off before "Back to the shipped model" had removed the radio still carries its value
    if USER_SCALING in st.session_state:
        keep_scaling(st.session_state[USER_SCALING])


def _back_to_shipped() -> None:
    for key in (USER_MODEL, USER_MODEL_NAME, UPLOAD_ERROR, UPLOAD_NOTE, USER_SCALING, COMPARE):
        st.session_state.pop(key, None)
    keep_shipped()


def model_sidebar() -> None:
    """The model in use (with its test accuracy), an upload box, and a way back to the shipped one."""
    _take_readings()
    params, card = shipped_model()
    with st.sidebar:
        st.subheader(_("Model"))
        user = st.session_state.get(USER_MODEL)
        if user is None:
            acc = card.get("test_accuracy")
            st.markdown(_("**Shipped model** · {sizes}").format(sizes="–".join(map(str, params.sizes))) + "  \n"
                        + (_("{p} on the 10,000 MNIST test images").format(p=percent(acc)) if acc is not None else ""))
        else:
            st.markdown(_("**Your model** `{name}` · {sizes}").format(name=st.session_state[USER_MODEL_NAME],
                                                                     sizes="–".join(map(str, user.sizes))))
            choices = list(SCALINGS) + [s for s in [st.session_state.get(USER_SCALING)] if s and s not in SCALINGS]
            st.radio(_("Input scaling"), choices, key=USER_SCALING, format_func=_scaling_name,
                     on_change=_keep_scaling,
                     help=_("How the pixels (0..1, ink = 1) were scaled when the model was trained. A model card "
                            "(.json, uploaded with the model) sets it; the accuracy below shows at once if it is right."))
            acc = test_accuracy(user.digest, user, current_scaling())
            st.markdown(_("{p} on the 10,000 MNIST test images").format(p=percent(acc)))
            st.button(_("Back to the shipped model"), on_click=_back_to_shipped)
        key = f"{UPLOAD}.{st.session_state.get(UPLOAD_ROUND, 0)}"
        st.file_uploader(_("Try your own model"), type=["pth", "pt", "safetensors", "npz", "json"],
                         accept_multiple_files=True, key=key, on_change=_on_upload, args=(key,),
                         help=_("A PyTorch state_dict of Linear layers (and ReLUs), 784 inputs and 10 outputs "
                                "(torch.save(model.state_dict(), 'model.pth')), .safetensors or .npz; at most "
                                "{params} parameters and {layers} hidden layers. Add its model card (.json with an "
                                "input_scaling) to say how it scales its input.").format(
                             params=number(MAX_SERVED_PARAMS, 0), layers=MAX_HIDDEN_LAYERS))
        if UPLOAD_NOTE in st.session_state:  # what was read, then what was not: one drop can bring both
            st.success(st.session_state[UPLOAD_NOTE])
        if UPLOAD_ERROR in st.session_state:
            st.error(st.session_state[UPLOAD_ERROR])
        kept_sidebar()
