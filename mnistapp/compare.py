"""The session's own model beside the shipped one: paired softmax bars (Draw) and the test set (Test set).

Shown only while the session has its own model. Each model gets its own input scaling; the numbers come
from `mnistcore` (forward, evaluate, disagreements).
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore import Forward, forward, scale_input
from mnistcore.evaluate import Evaluation, disagreements

from .access import chart_alt
from .figures.alt_text import bars_text
from .figures.draw import paired_bars
from .figures.images import thumbnail
from .figures.pictures import pictures_html, thumbnail_alt
from .i18n import _, language, number, percent
from .model import shipped_model, shipped_scaling, test_evaluation, test_set
from .session import COMPARE, USER_MODEL, USER_MODEL_NAME

N_SHOWN = 48  # disagreements shown in the gallery, the costliest first


def compare_on_drawing(digit: np.ndarray, fwd: Forward, *, true_label: int | None = None) -> None:
    """Draw page: with the session's own model, a switch that shows the shipped model's bars beside it."""
    if USER_MODEL not in st.session_state:
        return
    if not st.toggle(_("Compare with the shipped model"), key=COMPARE):
        return
    shipped = shipped_model()[0]
    theirs = forward(shipped, scale_input(digit[None], shipped_scaling())).probs[0]  # (1, 784) -> (10,)
    mine = fwd.probs[0]
    lang = language()
    names = (_("your model ({d})").format(d=int(mine.argmax())), _("shipped model ({d})").format(d=int(theirs.argmax())))
    st.plotly_chart(paired_bars(mine, theirs, names=names, true_label=true_label, lang=lang),
                    config={"displayModeBar": False}, key="draw.compare")
    chart_alt(_("Your model: {mine} The shipped model: {theirs}").format(mine=bars_text(mine, lang),
                                                                         theirs=bars_text(theirs, lang)), "draw.compare")


def compare_on_test_set(ev: Evaluation) -> None:
    """Test set page: with the session's own model, both accuracies and the images on which they disagree."""
    if USER_MODEL not in st.session_state:
        return
    shipped = shipped_model()[0]
    ev_shipped = test_evaluation(shipped.digest, shipped, shipped_scaling())
    st.header(_("Your model against the shipped model"))
    c1, c2, c3 = st.columns(3)
    c1.metric(_("Accuracy of {name}").format(name=st.session_state[USER_MODEL_NAME]), percent(ev.accuracy))
    gap = number(100 * (ev_shipped.accuracy - ev.accuracy))
    c2.metric(_("Accuracy of the shipped model"), percent(ev_shipped.accuracy),
              _("{n} points").format(n=gap if gap.startswith("-") else "+" + gap), delta_color="off")
    differ = disagreements(ev, ev_shipped)
    c3.metric(_("Images where they disagree"), number(len(differ), 0))
    if len(differ) == 0:
        st.info(_("The two models give the same answer on every test image."))
        return
    st.caption(_("The {n} disagreements where one of them is most confidently wrong, first. A red frame: your "
                 "model is wrong.").format(n=min(N_SHOWN, len(differ))))
    images = test_set()[0]
    with st.container(horizontal=True, key="testset.disagreements"):
        for i in differ[:N_SHOWN]:
            st.html(pictures_html([thumbnail(images[i], wrong=not ev.correct[i])],
                                  [thumbnail_alt(int(ev.labels[i]), not ev.correct[i], "your model")],
                                  [_("#{i} · label {label} · yours {mine} · shipped {theirs}").format(
                                      i=i, label=ev.labels[i], mine=ev.predictions[i], theirs=ev_shipped.predictions[i])],
                                  width=84))
