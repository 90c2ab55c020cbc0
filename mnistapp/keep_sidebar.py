"""The sidebar's part of the browser store (mnistapp/keep.py): what is kept, where and for how long; the kept
models to switch to; one button that deletes it all; and one notice when the browser keeps nothing."""
from __future__ import annotations

import streamlit as st

from .catalogue import error_text
from .i18n import _, language
from .keep import BROWSER_REASONS, available, forget_everything, kept_summary, use_kept
from .session import KEEP_CURRENT, KEEP_MODELS, KEEP_NOTES, KEEP_OFF, USER_MODEL


def kept_sidebar() -> None:
    s = st.session_state
    st.subheader(_("Kept in this browser"))
    if not available():
        why = error_text(s[KEEP_OFF], language(), BROWSER_REASONS)  # keep.js's reason, translated where known
        st.warning(_("Your work is not being kept: {why}. The app works as usual, but a reload or a lost connection "
                     "loses what you made here.").format(why=why), icon=":material/cloud_off:")
    else:
        st.caption(kept_summary())
    for note in s.get(KEEP_NOTES, []):
        st.warning(note, icon=":material/warning:")
    in_use = s.get(KEEP_CURRENT) if USER_MODEL in s else None
    others = [c for c in s.get(KEEP_MODELS, []) if c.id != in_use]
    for card in others:
        st.button(_("Use {name}").format(name=card.name), key=f"keep.use.{card.id}", on_click=use_kept,
                  args=(card.id,), help=_("A model you made or uploaded here earlier, kept in this browser."))
    st.button(_("Delete what this browser keeps"), on_click=forget_everything, icon=":material/delete:",
              help=_("Your drawing and your models are deleted from this browser at once; "
                     "the model in use stays until you reload."))
