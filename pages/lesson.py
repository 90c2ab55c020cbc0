"""The lesson: six steps from a drawing to learning, each with a task the app checks while the student works."""
import streamlit as st

from mnistapp.handout import handout_html
from mnistapp.i18n import _, language
from mnistapp.lesson_progress import N_STEPS, Progress, load, save
from mnistapp.lesson_steps import STEPS
from mnistapp.lesson_views import STEP_VIEWS, drawing_column
from mnistapp.live_canvas import live_canvas_answered, live_model
from mnistapp.model import current_params, current_scaling
from mnistapp.runtime import route_through_app
from mnistapp.session import DRAW_SAVED, LESSON_LIVE, LESSON_STEP

route_through_app()

SELECT = LESSON_STEP + ".select"  # the step selector; the step itself is kept by mnistapp/lesson_progress.py
progress = load()


def go_to(step: int) -> None:
    save(Progress(step, load().done))


st.title(_("Lesson: how a network reads a digit"))
st.caption(_("Six steps from a drawing to learning, about 45 minutes. Each step has a task that the app checks "
             "while you work."))
selector = st.empty()  # filled once this step's task is checked, so that its tick shows at once
n = progress.step
step = STEPS[n - 1]
st.header(f"{n}. {_(step.title)}")
st.markdown(_(step.text))

if n < N_STEPS:  # the last step trains on the Learn page and needs no drawing
    left, right = st.columns(2, gap="large")  # the digits' row needs 400 px beside the canvas
    with left:
        reading = drawing_column()
else:
    right, reading = st.container(), None
with right:
    with st.container(border=True):
        st.markdown(f"**{_('Task')}:** {_(step.task)}")
        met = STEP_VIEWS[n - 1](reading)
    with st.expander(_("Hint")):
        st.markdown(_(step.hint))
    with st.expander(_("For the maths")):
        for eq in step.maths:
            st.latex(eq.latex)
        st.caption(_(step.maths_note))
    st.page_link(f"pages/{step.page}.py", label=_(step.page_label), icon=":material/open_in_new:",
                 query_params=step.query)
if met and n not in progress.done:
    progress = Progress(n, (*progress.done, n))
    save(progress)
st.session_state[SELECT] = n
selector.segmented_control(_("Step"), list(range(1, N_STEPS + 1)), key=SELECT, required=True,
                           format_func=lambda s: f"{s} ✓" if s in progress.done else str(s),
                           on_change=lambda: go_to(st.session_state[SELECT]))

buttons = st.container(horizontal=True)
buttons.button(_("Back"), on_click=go_to, args=(n - 1,), disabled=n == 1, icon=":material/arrow_back:")
buttons.button(_("Next step"), on_click=go_to, args=(n + 1,), disabled=n == N_STEPS, icon=":material/arrow_forward:",
             type="primary" if n in progress.done else "secondary")
if len(progress.done) == N_STEPS:
    st.success(_("You have done every step of the lesson."), icon=":material/celebration:")

with st.expander(_("For the teacher")):
    st.markdown(_("A link that opens the lesson at this step, in this language (the progress stays in the "
                  "address, so a reload keeps it):"))
    here, lang = (st.context.url or "").rstrip("/"), language()  # the address without its query
    st.code(f"{here}?step={n}&lang={lang}", language=None)
    # the file is made when the button is pressed, outside this run, so the language is taken now
    st.download_button(_("Download the handout (HTML, prints well)"), data=lambda: handout_html(lang),
                       file_name=f"handout_{lang}.html", mime="text/html", on_click="ignore", icon=":material/print:")

if n < N_STEPS:
    live_canvas_answered(LESSON_LIVE)  # the canvas sends its next drawing once all of the above is on the page
    live_model(current_params(), current_scaling(), key=f"{LESSON_LIVE}.model",
               browser_has=(st.session_state.get(DRAW_SAVED) or {}).get("model"))
