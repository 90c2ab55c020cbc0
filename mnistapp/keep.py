"""Keep a visitor's work in their own browser, so it survives a reload, a lost connection, a server restart
and a replica that dies: the drawing, and up to MAX_MODELS models (uploaded, trained, taught) with their
names and input scaling, for EXPIRY_S (mnistapp/keep_rules.py). Nothing is kept on the server.

A Streamlit components-v2 element of the project's own (JS in keep.js beside this file, IndexedDB, no build
step), mounted once per full run by `keep_frame()` in app.py. When a server session is new to it, the browser
sends back everything small it keeps (`_on_index`); the model that was in use is then asked for alone and read
as an upload is, in the sandbox's child process (`_on_blob`), so a value edited by hand cannot run code,
crash or hang the server. Writes go out as ops that stay in the session until the browser says they are done.
If the browser's storage fails in any way, nothing more is kept and the sidebar says so once.

The API for other pages:
- `put(name, value)`: keep a small JSON value (at most MAX_VALUE_CHARS) under `name`; written with the next
  full run.
- `get(name)`: the value read back for `name` in this session, or None; the caller checks its shape. A value
  that is a dict with "file": a blob id keeps that file (keep_file) alive; files no value names are deleted.
- `keep_latest(name, value)`: mount, where it is called (in a fragment, say), a writer that keeps `value`
  whenever it changes, without a rerun; None deletes it.
- `keep_model(params, name, kind, scaling)`: keep a model and mark it the one in use.
- `keep_file(blob_id, params)` and `fetch(blob_id, size, name, then, refused)`: keep a network's file, and ask for
  it back (read as an upload is); `flush_here(key)`: send the waiting writes from inside a fragment.
"""
from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path

import streamlit as st

from mnistapp.sandbox import load_params_isolated
from mnistcore import ModelFileError, Params, npz_bytes
from mnistcore.preprocess import Scaling

from .i18n import N_, _, shown_error
from .keep_rules import (
    EXPIRY_S,
    MAX_MODEL_BYTES,
    MAX_MODELS,
    MAX_VALUE_CHARS,
    ModelCard,
    fresh,
    model_card,
    model_id,
    to_delete,
)
from .session import (
    KEEP,
    KEEP_ASKED,
    KEEP_CURRENT,
    KEEP_MODELS,
    KEEP_NOTES,
    KEEP_OFF,
    KEEP_OPS,
    KEEP_READY,
    KEEP_SESSION,
    KEEP_VALUES,
    KEEP_WANT,
    KEEP_WANT_FOR,
    USER_MODEL,
    USER_MODEL_NAME,
    USER_SCALING,
)

MAX_BLOB_CHARS = MAX_MODEL_BYTES * 4 // 3 + 4  # a model's file as base64
MAX_ASKS = 5  # full runs that ask for a kept file before the app gives up on it
_mount = st.components.v2.component("mnist.keep", html="<span hidden></span>\n",
                                    js=Path(__file__).with_name("keep.js").read_text())
_readers = []  # functions (items: dict, now) -> None that restore a page's values: see on_restore


def on_restore(reader) -> None:
    """Register `reader(items, now)`, called with the browser's small values when a session reads them back."""
    if reader not in _readers:
        _readers.append(reader)


def available() -> bool:
    return KEEP_OFF not in st.session_state


def keep_frame() -> None:
    """Mount the store's element (call once per full run, in the sidebar) and say what is kept."""
    s = st.session_state
    token = s.setdefault(KEEP_SESSION, secrets.token_hex(16))
    if not s.get(KEEP_READY):
        _on_index()  # an answer whose callback a rerun stopped half-way: read it again

    ops = s.get(KEEP_OPS, []) if available() else []
    want = None
    if s.get(KEEP_WANT) and s.get(KEEP_ASKED, 0) >= MAX_ASKS:  # it never came: use the app without it
        _note(_("A model kept in this browser did not come back; the shipped model is in use."))
        s.pop(KEEP_WANT, None)
    elif s.get(KEEP_WANT):  # asked again on each full run until it has come: a page change can drop the answer
        s[KEEP_ASKED] = s.get(KEEP_ASKED, 0) + 1
        want = f"{s[KEEP_WANT]}.{s[KEEP_ASKED]}"
    _mount(key=KEEP, data={"session": token, "ops": ops, "want": want},
           on_index_change=_on_index, on_blob_change=_on_blob, on_done_change=partial(_on_done, KEEP),
           width="content", height="content")


def keep_latest(name: str, value) -> None:
    """Keep `value` under `name` whenever it changes, from wherever this is called, without a rerun."""
    if not available() or not st.session_state.get(KEEP_READY):  # before the read, it would overwrite what is kept
        return
    key = f"{KEEP}.latest.{name}"
    _mount(key=key, data={"latest": {name: value}}, on_done_change=partial(_on_done, key), width="content",
           height="content")


def flush_here(key: str) -> None:
    """Send the writes waiting in this session from here (a fragment that reruns alone), not with the next full run."""
    ops = st.session_state.get(KEEP_OPS) if available() else None
    if ops:
        _mount(key=key, data={"ops": ops}, on_done_change=partial(_on_done, key), width="content", height="content")


def keep_file(blob_id: str, params: Params) -> int | None:
    """Keep a network's file under `blob_id` (a model's id, or a name such as "training"); its size in bytes, or
    None when it is not kept (too big, or the browser keeps nothing)."""
    data = npz_bytes(params)
    if not available() or len(data) > MAX_MODEL_BYTES:
        return None
    _write("put", "blob", blob_id, base64.b64encode(data).decode("ascii"))
    return len(data)


def put(name: str, value) -> None:
    """Keep a small JSON value under `name` (sent with the next full run); a bigger one is not kept."""
    record = {"saved": time.time(), "value": value}
    if available() and len(json.dumps(record)) <= MAX_VALUE_CHARS:
        _write("put", "meta", f"x.{name}", record)


def get(name: str):
    """The value kept under `name` that this session read back, or None."""
    return st.session_state.get(KEEP_VALUES, {}).get(name)


def keep_model(params: Params, name: str, kind: str, scaling: Scaling) -> None:
    """Keep a model in the browser and mark it the one in use; the oldest go when over the limits."""
    s = st.session_state
    if not available():
        return
    model_id = secrets.token_hex(16)
    size = keep_file(model_id, params)
    if size is None:
        _note(_("{name} is in use but not kept: its file takes more than {mb} MB.").format(
            name=name, mb=MAX_MODEL_BYTES // 2**20))
        return
    card = ModelCard(model_id, name[:200], kind, float(scaling.mean), float(scaling.std), size, time.time())
    _write("put", "meta", f"model.{card.id}", asdict(card))
    _set_current(card.id)
    _keep_cards([card] + s.get(KEEP_MODELS, []), card.saved)


def keep_scaling(scaling: Scaling) -> None:
    """The visitor changed the input scaling of the kept model in use: keep that too."""
    s = st.session_state
    cards = s.get(KEEP_MODELS, [])
    for i, c in enumerate(cards):
        if c.id == s.get(KEEP_CURRENT) and (c.mean, c.std) != (scaling.mean, scaling.std):
            cards[i] = ModelCard(c.id, c.name, c.kind, float(scaling.mean), float(scaling.std), c.size, c.saved)
            _write("put", "meta", f"model.{c.id}", asdict(cards[i]))


def keep_shipped() -> None:
    """The visitor went back to the shipped model: after a reload it is the one in use."""
    if available():
        _set_current(None)


def use_kept(model_id: str) -> None:
    """Ask the browser for a kept model's file: it becomes the session's model when it has been read."""
    card = next((c for c in st.session_state.get(KEEP_MODELS, []) if c.id == model_id), None)
    if card is not None:
        fetch(card.id, card.size, card.name, partial(_use_card, card), partial(_drop_card, card))


def fetch(blob_id: str, size: int, name: str, then, refused) -> None:
    """Ask the browser for the file kept under `blob_id` (`size` bytes, called `name` in messages); once it is
    read as an upload is, `then(params)`, or, if it cannot be, `refused()` after a note saying why."""
    st.session_state[KEEP_WANT] = blob_id
    st.session_state[KEEP_WANT_FOR] = (size, name, then, refused)
    st.session_state[KEEP_ASKED] = 0


def _use_card(card: ModelCard, params: Params) -> None:
    s = st.session_state
    s[USER_MODEL_NAME], s[USER_SCALING] = card.name, Scaling(card.mean, card.std)
    s[USER_MODEL] = params  # after its name: the sidebar shows a model with its name
    _set_current(card.id)


def _drop_card(card: ModelCard) -> None:
    s = st.session_state
    _keep_cards([c for c in s.get(KEEP_MODELS, []) if c.id != card.id] + [_expired(card)], time.time())
    s[KEEP_CURRENT] = None


def forget_everything() -> None:
    """Delete everything this browser keeps for the app (the visitor's button)."""
    s = st.session_state
    for k in (KEEP_MODELS, KEEP_CURRENT, KEEP_WANT, KEEP_NOTES, KEEP_VALUES):
        s.pop(k, None)
    if available():
        s[KEEP_OPS] = []
        _write("clear", "", "", None)


def _write(op: str, store: str, name: str, value) -> None:
    st.session_state.setdefault(KEEP_OPS, []).append(
        {"id": secrets.token_hex(8), "op": op, "store": store, "name": name, "value": value})


def _set_current(model_id: str | None) -> None:
    st.session_state[KEEP_CURRENT] = model_id
    _write("put", "meta", "current", {"id": model_id, "saved": time.time()})


def _keep_cards(cards: list[ModelCard], now: float) -> None:
    """Keep the cards within the limits, and delete the others' files and cards in the browser."""
    gone = set(to_delete(cards, now, max_models=MAX_MODELS, max_bytes=MAX_MODEL_BYTES))
    for gone_id in gone:
        _write("delete", "blob", gone_id, None)
        _write("delete", "meta", f"model.{gone_id}", None)
    st.session_state[KEEP_MODELS] = sorted((c for c in cards if c.id not in gone), key=lambda c: -c.saved)


# The reasons mnistapp/keep.js gives when the browser keeps nothing (its `why`), to show them translated
BROWSER_REASONS = (
    N_("this browser's storage for the site is full"),
    N_("this browser does not allow the site to store data"),
    N_("this browser's storage is read-only"),
    N_("this browser's storage failed ({reason})"),
)


def _note(text: str) -> None:
    st.session_state.setdefault(KEEP_NOTES, []).append(text)


def refuse(name: str) -> None:
    """A small value read back is not what the app keeps there: delete it in the browser, and say so."""
    _write("delete", "meta", name, None)
    st.session_state.get(KEEP_VALUES, {}).pop(name.removeprefix("x."), None)
    _note(_("Something kept in this browser was not in the shape the app keeps it, so it was deleted."))


def _on_index() -> None:
    """The browser's small values, once per server session: restore the drawing and ask for the model in use."""
    s = st.session_state
    answer = (s.get(KEEP) or {}).get("index") or {}
    if answer.get("session") != s.get(KEEP_SESSION) or s.get(KEEP_READY):
        return
    if answer.get("error"):
        s[KEEP_OFF] = str(answer["error"])[:300]
        s[KEEP_READY] = True
        return
    items = answer.get("items")
    items = items if isinstance(items, dict) else {}
    now, cards, bad = time.time(), [], []
    for name, value in items.items():
        if not isinstance(name, str):
            continue
        if name.startswith("model."):
            card = model_card(value)
            if card is None or name != f"model.{card.id}":
                bad.append(name)
            else:
                cards.append(card)
        elif name.startswith("x."):
            if not isinstance(value, dict) or len(json.dumps(value)) > MAX_VALUE_CHARS:
                bad.append(name)
            elif not fresh(value.get("saved"), now):
                _write("delete", "meta", name, None)
            else:
                s.setdefault(KEEP_VALUES, {})[name[2:]] = value.get("value")
    for name in bad:
        refuse(name)
    _keep_cards(cards, now)
    named = {c.id for c in s[KEEP_MODELS]} | {v.get("file") for v in s.get(KEEP_VALUES, {}).values()
                                             if isinstance(v, dict)}
    files = answer.get("files")
    for name in files[:1000] if isinstance(files, list) else []:
        if name not in named:  # a file whose card expired or was refused: deleted too
            _write("delete", "blob", name, None)
    for reader in _readers:
        reader(items, now)
    current = model_id(items.get("current"))
    if current in {c.id for c in s[KEEP_MODELS]} and USER_MODEL not in s:
        s[KEEP_CURRENT] = current
        use_kept(current)
    s[KEEP_READY] = True  # last: a rerun the visitor asks for can stop a callback at any session_state access


def _on_blob() -> None:
    """A kept file, asked for by fetch(): read it as an upload is, then hand it on. The request is dropped only
    at the end: a rerun the visitor asks for can stop a callback at any session_state access, and the next
    full run then asks again."""
    s = st.session_state
    answer = (s.get(KEEP) or {}).get("blob") or {}
    wanted = s.get(KEEP_WANT)
    if not wanted or answer.get("id") != wanted or KEEP_WANT_FOR not in s:
        return
    size, name, then, refused = s[KEEP_WANT_FOR]
    if answer.get("error"):
        s[KEEP_OFF] = str(answer["error"])[:300]
    else:
        try:
            payload = answer.get("data")
            if not isinstance(payload, str) or len(payload) > MAX_BLOB_CHARS:
                raise ModelFileError("Its file is missing or too big.")
            try:
                data = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                raise ModelFileError("Its file is not in the form the app keeps it.") from None
            if len(data) != size:
                raise ModelFileError("Its file is not the size it was kept with.")
            params = load_params_isolated(data)
        except ModelFileError as e:
            refused()
            _note(_("The kept model {name} could not be read back, so it was deleted. {why}").format(
                name=name, why=shown_error(e)))
        else:
            then(params)
    s.pop(KEEP_WANT_FOR, None)
    s.pop(KEEP_WANT, None)


def _expired(card: ModelCard) -> ModelCard:
    return ModelCard(card.id, card.name, card.kind, card.mean, card.std, card.size, 0.0)


def _on_done(key: str) -> None:
    """The browser did some writes, or failed to: drop the done ones; on a failure, stop keeping."""
    s = st.session_state
    answer = (s.get(key) or {}).get("done") or {}
    ids = set(answer.get("ids") or [])
    s[KEEP_OPS] = [op for op in s.get(KEEP_OPS, []) if op["id"] not in ids]
    if answer.get("error"):
        s[KEEP_OFF] = str(answer["error"])[:300]
        s.pop(KEEP_OPS, None)


def kept_summary() -> str:
    """What is kept, where and for how long, in one sentence for the sidebar and the Learn page."""
    return _("Your drawing, up to {n} of your models ({mb} MB) and your training's network after each epoch are kept "
             "in this browser only, never on the server, for {hours} hours after you last change them.").format(
        n=MAX_MODELS, mb=MAX_MODEL_BYTES // 2**20, hours=EXPIRY_S // 3600)
