"""Teach it your handwriting: on the Draw page, fine-tune the session's model on the current drawing.

One call from the Draw page's fragment, `teach_views(digit)`, after its other views. It also keeps the
drawing in the session for the Learn page's worked step.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore import backward, forward, scale_input
from mnistcore.train_loop import fine_tune

from .access import chart_alt
from .expanders import lazy_expander
from .figures.alt_text import bars_text, image_text
from .figures.draw import softmax_bars
from .figures.learn import saliency_rgb
from .figures.pictures import pictures_html
from .i18n import _, language
from .keep import keep_shipped
from .model import current_params
from .session import LEARN_DRAWING, LEARN_TEACH_BACK, LEARN_TEACH_LABEL, LEARN_TEACH_RESULT, USER_MODEL, USER_MODEL_NAME
from .trainer import training_data, use_as_model


def teach_views(digit: np.ndarray) -> None:
    """(28, 28) ink in [0, 1]: the 'teach it' expander, and the drawing kept for the Learn page."""
    st.session_state[LEARN_DRAWING] = digit
    box = lazy_expander(_("Wrong? Teach it your handwriting"), "draw.teach_open", icon=":material/school:",
                        expanded=LEARN_TEACH_RESULT in st.session_state)
    if not box.open:  # built only when open: a closed expander costs every stroke nothing but itself
        return
    with box:
        st.caption(_("Say which digit you drew: the network takes 10 SGD steps on your drawing (8 copies in each "
                     "batch of 64, beside 56 MNIST training images so it does not forget the rest) and becomes "
                     "this session's model."))
        c1, c2, c3 = st.columns([1, 1, 2])
        # no digit until the visitor picks one: a default would teach the drawing to be that digit in one click
        label = c1.selectbox(_("It was"), list(range(10)), index=None, placeholder=_("Which digit?"),
                             key=LEARN_TEACH_LABEL)
        if c2.button(_("Teach it"), type="primary", icon=":material/model_training:", disabled=label is None,
                     help=_("Pick the digit you drew first.") if label is None else None):
            params = current_params()
            x = scale_input(digit[None])
            images, labels = training_data()["train"]
            tuned = fine_tune(params, x, int(label), images, labels, np.random.default_rng())
            before = forward(params, x)
            st.session_state[LEARN_TEACH_RESULT] = {
                "label": int(label), "before": before, "after": forward(tuned, x),
                "dx": backward(params, before, np.array([label])).dx[0]}
            use_as_model(tuned, _("fine-tuned on your {label}").format(label=label), "taught")
            st.rerun()  # the whole app: the sidebar names the new model
        if st.session_state.get(USER_MODEL) is not None and c3.button(_("Back to the shipped model"),
                                                                      key=LEARN_TEACH_BACK):
            for key in (USER_MODEL, USER_MODEL_NAME, LEARN_TEACH_RESULT):
                st.session_state.pop(key, None)
            keep_shipped()
            st.rerun()
        result = st.session_state.get(LEARN_TEACH_RESULT)
        if result is None:
            return
        t = result["label"]
        b1, b2, b3 = st.columns([2, 2, 1.2])
        lang = language()
        heads = {"before": _("**Before** (the drawing you taught)"), "after": _("**After** (the drawing you taught)")}
        for col, name in ((b1, "before"), (b2, "after")):
            fwd = result[name]
            col.markdown(heads[name])
            col.plotly_chart(softmax_bars(fwd.probs[0], fwd.logits[0], winner=int(fwd.probs[0].argmax()),
                                          true_label=t, lang=lang), config={"displayModeBar": False},
                             key=f"learn.teach.{name}")
            chart_alt(bars_text(fwd.probs[0], lang), f"learn.teach.{name}", where=col)
        b3.html(pictures_html([saliency_rgb(result["dx"])], [image_text(result["dx"].reshape(28, 28), "dL/dx", lang)],
                              [_("dL/dx before teaching, L = −log y[{t}]: orange pixels would raise the loss if "
                                 "brighter, purple ones lower it.").format(t=t)], width=168))
