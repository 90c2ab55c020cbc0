"""The sidebar every page shows: the model in use with its test accuracy, its input scaling, an upload box
for a visitor's own model, and the way back to the shipped one."""
from __future__ import annotations

import json

import streamlit as st

from mnistapp.sandbox import MAX_HIDDEN_LAYERS, MAX_SERVED_PARAMS, LoadStopped, load_params_isolated
from mnistcore import ModelFileError
from mnistcore.preprocess import MNIST_SCALING, UNIT_SCALING, Scaling, card_scaling

from .i18n import N_, _, ngettext, number, percent, shown_error
from .keep import keep_model, keep_scaling, keep_shipped
from .keep_sidebar import kept_sidebar
from .model import current_scaling, shipped_model, test_accuracy
from .runtime import forget_uploads, still_uploaded
from .session import (
    COMPARE,
    UPLOAD,
    UPLOAD_CALLS,
    UPLOAD_ERROR,
    UPLOAD_NOTE,
    UPLOAD_ROUND,
    UPLOAD_STARTED,
    USER_MODEL,
    USER_MODEL_NAME,
    USER_SCALING,
)

SCALINGS = {MNIST_SCALING: N_("MNIST's mean/std: (pixel − 0.1307) / 0.3081"), UNIT_SCALING: N_("pixels as they are, 0..1")}


def _on_upload(key: str) -> None:
    """Read the files uploaded in uploader `key`: model cards (.json) first, then the model, loaded in a
    child process with memory and time limits (mnistapp.sandbox): one server serves every session, so
    nothing in a file may crash it, hang it or exhaust its memory. The uploader is then replaced by an
    empty one, so a refused file never sits beside the model in use, and the file's bytes are dropped
    (forget_uploads).

    A file dropped while the one before it is being read lands on the old uploader (`key`, the round has
    moved on), and Streamlit starts a new run without waiting for this one. That run's call gets both files:
    it reads the newer one and passes over the other, whose call here stops reading and writes nothing."""
    files = still_uploaded(st.session_state.get(key))
    started = st.session_state.setdefault(UPLOAD_STARTED, set())
    stopped = [f for f in files if f.file_id in started]
    files = [f for f in files if f not in stopped]
    started.update(f.file_id for f in files)
    forget_uploads(stopped)
    if not files:
        return
    calls = st.session_state.setdefault(UPLOAD_CALLS, [0])  # one list, seen by an older call still reading
    calls[0] += 1
    mine = calls[0]
    st.session_state[UPLOAD_ROUND] = st.session_state.get(UPLOAD_ROUND, 0) + 1
    for k in (UPLOAD_ERROR, UPLOAD_NOTE):
        st.session_state.pop(k, None)
    errors = []
    notes = [_("{not_read}: {name} came while it was being read.").format(not_read=_not_read(stopped), name=files[0].name)
             ] if stopped else []
    cards = [f for f in files if f.name.lower().endswith(".json")]
    models = [f for f in files if f not in cards]
    for card in cards:
        try:
            st.session_state[USER_SCALING] = card_scaling(json.loads(card.getvalue()[:100_000].decode("utf-8")))
            notes.append(_("Model card {name}: input scaled as {scaling}.").format(
                name=card.name, scaling=_scaling_name(st.session_state[USER_SCALING])))
        except (ModelFileError, ValueError) as e:  # ValueError: not JSON, or not UTF-8
            why = shown_error(e) if isinstance(e, ModelFileError) else _("It is not a JSON file.")
            errors.append(_("{name} was not read. {why}").format(name=card.name, why=why))
    for file in models[:1]:
        in_use = _in_use()
        try:
            params = load_params_isolated(file.getvalue(), stop=lambda: calls[0] != mine)
        except LoadStopped:  # a newer call reads a newer file: this one leaves the session to it
            return
        except ModelFileError as e:
            errors.append(_("{name} was not loaded. {why} Still in use: {in_use}.").format(
                name=file.name, why=shown_error(e), in_use=in_use))
        else:
            st.session_state[USER_MODEL] = params
            st.session_state[USER_MODEL_NAME] = file.name
            st.session_state.setdefault(USER_SCALING, MNIST_SCALING)  # no card yet: the user picks; the app's own
            keep_model(params, file.name, "uploaded", st.session_state[USER_SCALING])
            notes.append(_("{name} is now in use.").format(name=file.name))
    forget_uploads(files)
    started.difference_update(f.file_id for f in files)  # what is left there was stopped by a newer drop
    if len(models) > 1:
        errors.append(_("Upload one model at a time (and its model card, if it has one); {not_read}.").format(
            not_read=_not_read(models[1:])))
    if cards and USER_MODEL not in st.session_state and not errors:
        notes.append(_("It applies to the model you upload next."))
    if errors:
        st.session_state[UPLOAD_ERROR] = "\n\n".join(errors)
    if notes:
        st.session_state[UPLOAD_NOTE] = " ".join(notes)


def _not_read(files) -> str:
    return ngettext("{names} was not read", "{names} were not read", len(files)).format(
        names=", ".join(f.name for f in files))


def _in_use() -> str:
    if USER_MODEL in st.session_state:
        return _("your model {name}").format(name=st.session_state[USER_MODEL_NAME])
    return _("the shipped model")


def _scaling_name(s: Scaling) -> str:
    return _(SCALINGS[s]) if s in SCALINGS else _("(pixel − {mean}) / {std}, from the model card").format(
        mean=f"{s.mean:g}", std=f"{s.std:g}")


def _back_to_shipped() -> None:
    for key in (USER_MODEL, USER_MODEL_NAME, UPLOAD_ERROR, UPLOAD_NOTE, USER_SCALING, COMPARE):
        st.session_state.pop(key, None)
    keep_shipped()


def model_sidebar() -> None:
    """The model in use (with its test accuracy), an upload box, and a way back to the shipped one."""
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
                     on_change=lambda: keep_scaling(st.session_state[USER_SCALING]),
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
