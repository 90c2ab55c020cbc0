"""The Learn page's part of the browser store (mnistapp/keep.py): the network after each finished epoch of the
session's training, so that when a reload, a lost connection or a server restart stops the training, the page
says so and offers that network."""
from __future__ import annotations

import time

import streamlit as st

from .i18n import _
from .keep import fetch, flush_here, get, keep_file, put, refuse
from .keep_rules import training as training_record
from .session import LEARN_KEPT_EPOCH, USER_MODEL_NAME
from .trainer import model_name, use_as_model

NAME = FILE = "training"


def keep_checkpoint(training) -> None:
    """Call in the live view while a training runs: keep its network each time an epoch has finished."""
    p = training.snapshot()
    kept = st.session_state.get(LEARN_KEPT_EPOCH)
    if p.checkpoint is not None and kept != (id(training), p.epoch):
        st.session_state[LEARN_KEPT_EPOCH] = (id(training), p.epoch)
        size = keep_file(FILE, p.checkpoint)
        if size is not None:
            name = model_name(training.settings, p.epoch)
            put(NAME, {"name": name, "sizes": list(p.checkpoint.sizes), "epoch": p.epoch,
                       "epochs": training.settings.epochs, "size": size, "saved": time.time(), "file": FILE})
    flush_here("keep.learn")


def stopped_training_offer() -> bool:
    """When this session has no training but the browser keeps one's last epoch: say it stopped, offer its network.
    True if it did."""
    value = get(NAME)
    if value is None:
        return False
    record = training_record(value)
    if record is None:
        refuse(f"x.{NAME}")
        return False
    if st.session_state.get(USER_MODEL_NAME) == record["name"]:  # already the session's model
        return False
    done = record["epoch"] == record["epochs"]
    sizes = "–".join(map(str, record["sizes"]))
    st.info((_("Your last training here finished. Its network after epoch {e} ({sizes}) is kept in this browser.")
             if done else
             _("Your last training here stopped after epoch {e} of {n}: the page was reloaded, the connection was "
               "lost or the server restarted. Its network after epoch {e} ({sizes}) is kept in this browser."))
            .format(e=record["epoch"], n=record["epochs"], sizes=sizes), icon=":material/history:")
    if st.button(_("Use the network after epoch {e}").format(e=record["epoch"]), icon=":material/swap_horiz:"):
        fetch(FILE, record["size"], record["name"], lambda params: use_as_model(params, record["name"]),
              lambda: None)
        st.rerun()
    return True
