"""The session's own model beside the shipped one: paired softmax bars (Draw) and the test set (Test set).

Shown only while the session has its own model. Each model gets its own input scaling; the numbers come
from `mnistcore` (forward, evaluate, disagreements).
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore import Forward, forward, scale_input
from mnistcore.evaluate import Evaluation, disagreements, format_percent

from .access import chart_alt
from .figures.alt_text import bars_text
from .figures.draw import paired_bars
from .figures.images import thumbnail
from .figures.pictures import pictures_html, thumbnail_alt
from .model import shipped_model, shipped_scaling, test_evaluation, test_set
from .session import COMPARE, USER_MODEL, USER_MODEL_NAME

N_SHOWN = 48  # disagreements shown in the gallery, the costliest first


def compare_on_drawing(digit: np.ndarray, fwd: Forward, *, true_label: int | None = None) -> None:
    """Draw page: with the session's own model, a switch that shows the shipped model's bars beside it."""
    if USER_MODEL not in st.session_state:
        return
    if not st.toggle("Compare with the shipped model", key=COMPARE):
        return
    shipped, _ = shipped_model()
    theirs = forward(shipped, scale_input(digit[None], shipped_scaling())).probs[0]  # (1, 784) -> (10,)
    mine = fwd.probs[0]
    names = (f"your model ({int(mine.argmax())})", f"shipped model ({int(theirs.argmax())})")
    st.plotly_chart(paired_bars(mine, theirs, names=names, true_label=true_label),
                    config={"displayModeBar": False}, key="draw.compare")
    chart_alt(f"Your model: {bars_text(mine)} The shipped model: {bars_text(theirs)}", "draw.compare")


def compare_on_test_set(ev: Evaluation) -> None:
    """Test set page: with the session's own model, both accuracies and the images on which they disagree."""
    if USER_MODEL not in st.session_state:
        return
    shipped, _ = shipped_model()
    ev_shipped = test_evaluation(shipped.digest, shipped, shipped_scaling())
    st.header("Your model against the shipped model")
    c1, c2, c3 = st.columns(3)
    c1.metric(f"Accuracy of {st.session_state[USER_MODEL_NAME]}", format_percent(ev.accuracy))
    c2.metric("Accuracy of the shipped model", format_percent(ev_shipped.accuracy),
              f"{100 * (ev_shipped.accuracy - ev.accuracy):+.2f} points", delta_color="off")
    differ = disagreements(ev, ev_shipped)
    c3.metric("Images where they disagree", f"{len(differ):,}")
    if len(differ) == 0:
        st.info("The two models give the same answer on every test image.")
        return
    st.caption(f"The {min(N_SHOWN, len(differ))} disagreements where one of them is most confidently wrong, "
               "first. A red frame: your model is wrong.")
    images, _ = test_set()
    with st.container(horizontal=True, key="testset.disagreements"):
        for i in differ[:N_SHOWN]:
            st.html(pictures_html([thumbnail(images[i], wrong=not ev.correct[i])],
                                  [thumbnail_alt(int(ev.labels[i]), not ev.correct[i], "your model")],
                                  [f"#{i} · label {ev.labels[i]} · yours {ev.predictions[i]} · shipped "
                                   f"{ev_shipped.predictions[i]}"], width=84))
