"""The network on the 10,000 MNIST test images: how often it is right, where it fails, how sure it is."""
import streamlit as st

from mnistapp.access import chart_alt
from mnistapp.compare import compare_on_test_set
from mnistapp.figures import alt_text as alt
from mnistapp.figures.images import thumbnail
from mnistapp.figures.pictures import pictures_html, thumbnail_alt
from mnistapp.figures.testset import (
    ORDERS,
    OUTCOME_LABELS,
    OUTCOMES,
    confidence_histograms,
    confusion_heatmap,
    describe,
    mistake_bars,
    n_pages,
    page_of,
    reliability_diagram,
    select,
)
from mnistapp.i18n import _, language, ngettext, number, percent
from mnistapp.layers import prediction_views
from mnistapp.model import current_params, current_scaling, test_evaluation, test_set
from mnistapp.runtime import route_through_app
from mnistapp.scroll import scroll_into_view
from mnistapp.session import (
    TESTSET_CONFUSION,
    TESTSET_NORMALISE,
    TESTSET_OPEN,
    TESTSET_ORDER,
    TESTSET_OUTCOME,
    TESTSET_PAGE,
    TESTSET_PREDICTED,
    TESTSET_SCROLL,
    TESTSET_TRUE,
)
from mnistapp.why import prediction_metric, why_views
from mnistcore import forward
from mnistcore.evaluate import Evaluation, reliability
from mnistcore.preprocess import scale_uint8

route_through_app()

CHART = {"displayModeBar": False}
ANY = "any"  # the digit filters' "no filter" choice


def _digit(key: str) -> int | None:
    """A digit filter's choice, None for "any"."""
    return None if st.session_state[key] == ANY else st.session_state[key]


def _digit_name(d) -> str:
    """A digit filter's choice as shown: the digit, or "any" in the visitor's language."""
    return _("any") if d == ANY else str(d)


def _first_page() -> None:
    st.session_state[TESTSET_PAGE] = 1


def _on_cell() -> None:
    """A click on a confusion cell sets the gallery's filters to that cell."""
    points = st.session_state[TESTSET_CONFUSION].selection.points
    if points:
        st.session_state[TESTSET_TRUE], st.session_state[TESTSET_PREDICTED] = int(points[0]["y"]), int(points[0]["x"])
        st.session_state[TESTSET_OUTCOME] = "all"
        st.session_state[TESTSET_SCROLL] = True  # its images are below
        _first_page()


def detail(params, ev: Evaluation, images, i: int) -> None:
    label, predicted = int(ev.labels[i]), int(ev.predictions[i])
    fwd = forward(params, scale_uint8(images[i:i + 1], current_scaling()))  # (1, 784) -> every layer
    c1, c2, c3, c4 = st.columns(4)
    c1.html(pictures_html([thumbnail(images[i], wrong=label != predicted, scale=4)], [thumbnail_alt(label, label != predicted)],
                          [_("test image #{i}").format(i=i)], width=112))
    c2.metric(_("Label"), str(label))
    c4.metric(_("Loss −log y[{d}]").format(d=label), number(ev.losses[i], 3))
    prediction_metric(params, fwd, c3)
    prediction_views(params, fwd, true_label=label, key="testset.detail")
    why_views(params, fwd, image=images[i] / 255, key="testset.detail")


DEFAULTS = {TESTSET_TRUE: ANY, TESTSET_PREDICTED: ANY, TESTSET_OUTCOME: "wrong", TESTSET_ORDER: "loss", TESTSET_PAGE: 1}
for key, default in DEFAULTS.items():
    if key not in st.session_state:
        st.session_state[key] = default

st.title(_("The test set"))
st.caption(_("The 10,000 MNIST test images the network never saw in training, run through the NumPy engine "
             "in batched forward passes. The same numbers as `python -m mnistcore evaluate`."))

params = current_params()
ev = test_evaluation(params.digest, params, current_scaling())
images = test_set()[0]

m1, m2, m3, m4 = st.columns(4)
m1.metric(_("Accuracy"), percent(ev.accuracy))
m2.metric(_("Mean cross-entropy"), number(ev.mean_loss, 4))
m3.metric(_("Wrong (of {n})").format(n=number(ev.n, 0)), number(ev.n - int(ev.correct.sum()), 0))
rel = reliability(ev.confidence, ev.correct)
m4.metric(_("Calibration error (ECE)"), percent(rel.ece))
st.caption(_("The forward passes over the {n} images took {ms} ms, the first time; switching the views below "
             "reuses it.").format(n=number(ev.n, 0), ms=f"{ev.seconds * 1000:.0f}"))

compare_on_test_set(ev)

st.header(_("Where it fails"))
left, right = st.columns([3, 2], gap="large")
with left:
    normalise = st.toggle(_("Row-normalised (share of each true digit)"), key=TESTSET_NORMALISE)
    cell = (_digit(TESTSET_TRUE), _digit(TESTSET_PREDICTED))
    st.plotly_chart(confusion_heatmap(ev.confusion, normalise=normalise, selected=None if None in cell else cell, lang=language()),
                    config=CHART, key=TESTSET_CONFUSION, on_select=_on_cell, selection_mode="points")
    chart_alt(alt.confusion_text(ev.confusion, lang=language()), TESTSET_CONFUSION)
with right:
    st.markdown(_("**Confusion matrix.** Row: the true digit; column: what the network said. The diagonal "
                  "(green) is right, the red cells are its mistakes. **Click a cell** to show its images in the "
                  "gallery below, or pick the digits in the gallery's filters."))
    st.markdown(_("**Mistakes per digit** (share of each true digit's images it gets wrong)"))
    st.plotly_chart(mistake_bars(ev.per_class_accuracy, ev.class_counts, lang=language()), config=CHART, key="testset.per_class")
    chart_alt(alt.accuracy_text(ev.per_class_accuracy, lang=language()), "testset.per_class")

with st.container(key="testset.gallery_top"):
    st.header(_("Gallery"))
    if st.session_state.pop(TESTSET_SCROLL, False):  # a confusion cell was clicked: its images are here
        scroll_into_view("testset.gallery_top")
f1, f2, f3, f4 = st.columns(4)
f1.selectbox(_("True digit"), [ANY, *range(10)], key=TESTSET_TRUE, on_change=_first_page, format_func=_digit_name)
f2.selectbox(_("Predicted digit"), [ANY, *range(10)], key=TESTSET_PREDICTED, on_change=_first_page,
             format_func=_digit_name)
f3.selectbox(_("Right or wrong"), OUTCOMES, key=TESTSET_OUTCOME, on_change=_first_page,
             format_func=lambda o: _(OUTCOME_LABELS[o]))
f4.selectbox(_("Sort by"), list(ORDERS), format_func=lambda o: _(ORDERS[o]), key=TESTSET_ORDER, on_change=_first_page)

shown = select(ev, true=_digit(TESTSET_TRUE), predicted=_digit(TESTSET_PREDICTED), outcome=st.session_state[TESTSET_OUTCOME],
               order=st.session_state[TESTSET_ORDER])
pages = n_pages(len(shown))
if st.session_state[TESTSET_PAGE] > pages:
    st.session_state[TESTSET_PAGE] = 1
if len(shown) == 0:
    st.info(_("No test image matches these filters. Try “any” digit or “all” answers."))
else:
    note = (ngettext("{n} image matches.", "{n} images match.", len(shown)).format(n=number(len(shown), 0)) + " "
            + _("A red frame marks a wrong answer; click a caption for the details."))
    if pages > 1:
        c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
        c1.number_input(_("Page (of {n})").format(n=pages), min_value=1, max_value=pages, key=TESTSET_PAGE)
        c2.caption(note)
    else:
        st.caption(note)
    opened = None
    with st.container(horizontal=True, key="testset.gallery"):
        for i in page_of(shown, st.session_state[TESTSET_PAGE]):
            with st.container(width=132, gap=None):
                st.html(pictures_html([thumbnail(images[i], wrong=not ev.correct[i])],
                                      [thumbnail_alt(int(ev.labels[i]), not ev.correct[i])], width=84))
                if st.button(describe(ev, i, lang=language()), key=f"{TESTSET_OPEN}{i}", type="tertiary"):
                    opened = int(i)
    if opened is not None:
        st.dialog(_("A test image up close"), width="large")(detail)(params, ev, images, opened)

st.header(_("How sure it is"))
st.markdown(_("A model is **calibrated** when it is right 90 % of the time it says 90 %. The expected "
              "calibration error averages the gap between confidence and accuracy over {n} "
              "confidence bins, weighted by how many images fall in each: here **{ece}**.").format(
    n=len(rel.counts), ece=percent(rel.ece)))
c1, c2 = st.columns(2, gap="large")
with c1:
    st.markdown("**" + _("Reliability diagram") + "**")
    st.plotly_chart(reliability_diagram(rel, lang=language()), config=CHART, key="testset.reliability")
    chart_alt(alt.reliability_text(rel.confidence, rel.accuracy, rel.counts, lang=language()), "testset.reliability")
with c2:
    st.markdown("**" + _("Confidence of right and wrong answers") + "**")
    st.plotly_chart(confidence_histograms(ev.confidence, ev.correct, lang=language()), config=CHART, key="testset.histograms")
    chart_alt(alt.confidence_text(ev.confidence, ev.correct, lang=language()), "testset.histograms")
