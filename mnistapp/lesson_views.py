"""The Lesson page's pieces: the drawing beside each step, and each step's figure and task.

Each `step_N(reading)` shows its figure and task and returns whether the task is met now; pages/lesson.py
marks a step done (mnistapp/lesson_progress.py) the first time it is. The figures come from
mnistapp/figures/, the checks from mnistapp/lesson_checks.py, the words from mnistapp/lesson_steps.py.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import streamlit as st

from mnistcore import Forward, Params, forward, scale_input
from mnistcore.preprocess import canvas_ink, digit_steps, read_ink

from . import lesson_checks as check
from . import lesson_progress
from .figures import alt_text as alt
from .figures.draw import softmax_bars
from .figures.images import gray_image
from .figures.learn import N_TILES, tile_strip
from .figures.panel import stroke_panel
from .figures.pictures import pictures_html
from .i18n import _, language, ngettext, number, percent
from .inputs import test_mistakes
from .layers import incoming_png
from .live_canvas import drawing_rgba, live_canvas
from .model import current_params, current_scaling, test_set
from .session import DRAW_SAVED, LESSON_GALLERY, LESSON_LIVE, LESSON_MEANT, LESSON_RUNNER_UP, LESSON_TASKS, LESSON_UNIT
from .trainer import session_training

CANVAS = 280
POLL_SECONDS = 1.0  # how often step 6 redraws while the session's training runs


class Reading(NamedTuple):
    """The student's drawing as the network reads it; ink, digit and fwd are None while nothing is drawn."""
    ink: np.ndarray | None       # (H, W) ink in [0, 1] as drawn
    digit: np.ndarray | None     # (28, 28) what the network sees
    params: Params
    fwd: Forward | None
    meant: int | None            # the digit the student says they drew

    @property
    def winner(self) -> int | None:
        return None if self.fwd is None else int(self.fwd.probs[0].argmax())


def drawing_column() -> Reading:
    """The canvas, the digit the student meant and the network's answer; the reading for the step beside it."""
    # The drawing is the Draw page's too (DRAW_SAVED), so a link into that page shows it, and it comes back here
    saved = st.session_state.get(DRAW_SAVED)
    restore = saved["strokes"] if saved and LESSON_LIVE not in st.session_state else None  # new element: restore
    drawing = live_canvas(key=LESSON_LIVE, size=CANVAS, restore=restore)
    if drawing is not None:
        if not drawing.get("png") and (saved or {}).get("png"):  # cleared: the next drawing needs its own answer
            st.session_state[LESSON_MEANT] = None  # set, not dropped: the browser's pills then show no pick
        st.session_state[DRAW_SAVED] = saved = drawing
    rgba = drawing_rgba(saved)
    ink = canvas_ink(rgba) if rgba is not None else None
    digit = read_ink(ink)[0] if ink is not None else None
    params = current_params()
    fwd = None if digit is None else forward(params, scale_input(digit[None], current_scaling()))
    meant = st.pills(_("The digit you meant"), list(range(10)), key=LESSON_MEANT)
    c1, c2 = st.columns(2)
    if fwd is None:
        c1.metric(_("The network reads"), "–")
        st.caption(_("Draw in the black box with the mouse, a finger or a pen."))
    else:
        p = fwd.probs[0]
        c1.metric(_("The network reads"), str(int(p.argmax())), _("{p} sure").format(p=percent(p.max(), 1)),
                  delta_color="off", delta_arrow="off")
        c2.html(pictures_html([gray_image(digit, scale=3)], [_("Your digit as the network gets it: 28 × 28 grey pixels")],
                              [_("what it sees, 28 × 28")], width=84))
    return Reading(ink, digit, params, fwd, meant)


def status(met: bool, done_text: str, todo_text: str) -> None:
    (st.success if met else st.info)(done_text if met else todo_text, icon=":material/check_circle:" if met else
                                     ":material/pending:")


def _tasks(step: int) -> set[str]:
    """The parts of step `step`'s task met so far in this session."""
    return st.session_state.setdefault(LESSON_TASKS, {}).setdefault(step, set())


def step_1(r: Reading) -> bool:
    met = check.reads_right(None if r.fwd is None else r.fwd.probs[0], r.meant)
    if r.meant is None and r.fwd is not None:
        st.caption(_("Click the digit you meant under the box."))
    status(met, _("Done: the network reads your {d}.").format(d=r.meant), _("Not yet: draw a digit it reads right."))
    return met


def step_2(r: Reading) -> bool:
    steps = digit_steps(r.ink) if r.ink is not None else None
    if steps:
        names = {"canvas": _("your drawing"), "crop": _("cut out"), "fit": _("into 20 × 20"),
                 "centre": _("centred in 28 × 28")}
        shown = [s for s in steps if s.name in names]
        captions = [names[s.name] for s in shown]
        st.html(stroke_panel(pictures_html([gray_image(s.image, scale=1 if s.name == "canvas" else 3) for s in shown],
                                           captions, captions, width=[96 if s.name == "canvas" else 84 for s in shown])))
    small = check.small_and_off_centre(r.ink)
    met = small and check.reads_right(None if r.fwd is None else r.fwd.probs[0], r.meant)
    if r.ink is not None and not small:
        st.caption(_("Your drawing is not small and off to one side yet."))
    status(met, _("Done: small and in a corner, and it still reads your {d}.").format(d=r.meant),
           _("Not yet: draw your digit small in a corner, and click the digit you meant."))
    return met


def step_3(r: Reading) -> bool:
    if r.fwd is None or len(r.params.Ws) != 2:
        st.info(_("Draw a digit first.") if r.fwd is None else
                _("This step needs a network with one hidden layer, such as the shipped one."))
        return False
    top, bottom = check.unit_choices(r.params, r.fwd, r.winner)
    units = check.shuffled(top + bottom, seed=sum(top) + 7 * r.winner)
    captions = [_("unit {j}").format(j=j) for j in units]
    st.html(stroke_panel(pictures_html([incoming_png(r.params, j) for j in units], captions, captions, width=84)))
    st.caption(_("Each tile is one unit's 784 weights as a 28 × 28 picture: orange likes ink, purple dislikes it."))
    pick = st.pills(_("Your pick"), units, format_func=lambda j: _("unit {j}").format(j=j),
                                key=f"{LESSON_UNIT}.{'-'.join(map(str, sorted(units)))}")
    met = pick in top
    if pick is not None and not met:
        st.warning(_("Unit {j} does not help your {d}: it pushes it down. Try another.").format(j=pick, d=r.winner))
    status(met, _("Done: unit {j} is one of the units that push your {d} up the most.").format(j=pick, d=r.winner),
           _("Not yet: pick a unit that looks like a stroke of your digit."))
    return met


def step_4(r: Reading) -> bool:
    if r.fwd is None:
        st.info(_("Draw a digit first."))
        return False
    probs, logits = r.fwd.probs[0], r.fwd.logits[0]
    st.plotly_chart(softmax_bars(probs, logits, winner=r.winner), config={"displayModeBar": False},
                    key="lesson.bars")
    rows = "".join(f"<tr><td>{d}</td><td>{number(logits[d])}</td><td>{percent(probs[d], 2)}</td></tr>" for d in range(10))
    st.html(f'<table class="lesson-scores"><thead><tr><th>{_("digit")}</th><th>{_("score z2")}</th>'
            f'<th>{_("chance")}</th></tr></thead><tbody>{rows}</tbody></table>'
            "<style>.lesson-scores td, .lesson-scores th { padding: 0 0.75rem; text-align: right; }</style>")
    pick = st.pills(_("The runner-up"), list(range(10)), key=LESSON_RUNNER_UP)
    second = check.runner_up(logits)
    met = pick == second
    if pick is not None and not met:
        st.warning(_("Not {d}: compare its score with the others.").format(d=pick))
    status(met, _("Done: {d} comes second, with a score of {z}.").format(d=second, z=number(logits[second])),
           _("Not yet: click the digit that comes second."))
    return met


def _new_gallery() -> None:
    st.session_state.pop(LESSON_GALLERY, None)


def step_5(r: Reading) -> bool:
    params, tasks = r.params, _tasks(5)
    images, labels = test_set()
    gallery = st.session_state.get(LESSON_GALLERY)
    mistakes = test_mistakes(params.digest, params)
    if gallery is None or gallery["digest"] != params.digest:
        gallery = {"digest": params.digest, "looked": [],
                   "images": check.gallery(mistakes, len(labels), np.random.default_rng())}
        st.session_state[LESSON_GALLERY] = gallery
    wrong = set(mistakes.tolist())
    cols = st.columns(4)
    for n, i in enumerate(gallery["images"]):
        with cols[n % 4]:
            st.html(pictures_html([gray_image(images[i] / np.float32(255), scale=3)],
                                  [_("A handwritten {label} from the test set").format(label=int(labels[i]))],
                                  [_("test image {i}, a {label}").format(i=i, label=int(labels[i]))], width=84))
            if i in gallery["looked"]:
                answer = int(forward(params, scale_input(images[i][None] / np.float32(255), current_scaling())).probs[0].argmax())
                (st.error if i in wrong else st.success)(_("It reads {d}").format(d=answer))
            elif st.button(_("Check"), key=f"lesson.check.{i}"):
                gallery["looked"].append(i)
                st.rerun()
    looked = len(gallery["looked"])
    st.caption(ngettext("You have checked {n} test digit.", "You have checked {n} test digits.", looked).format(n=looked))
    st.button(_("Other test images"), on_click=_new_gallery)
    if wrong & set(gallery["looked"]):
        tasks.add("test")
    if r.fwd is not None and r.meant is not None and r.winner != r.meant:
        tasks.add("drawing")
    status("test" in tasks, _("Done: you found a test digit it gets wrong."),
           _("Not yet: click Check under the test digits you think it gets wrong."))
    status("drawing" in tasks, _("Done: your drawing fooled it."),
           _("Not yet: make it misread a drawing of yours (click the digit you meant)."))
    return tasks >= {"test", "drawing"}


def step_6(_reading: Reading | None = None) -> bool:
    """Step 6's view of the session's training, redrawn every second while it runs (the fragment polls)."""
    training = session_training()
    running = training is not None and not training.finished and not training.paused
    return st.fragment(run_every=POLL_SECONDS if running else None)(_training_view)()


def _training_view() -> bool:
    training = session_training()
    if training is None:
        st.info(_("No training of yours yet. Start one on the Learn page, then come back."))
        return False
    p = training.snapshot()
    best = check.trained_accuracy(p.heldout_acc, p.test_acc)
    if p.params is not None:
        strip = tile_strip(p.params.Ws[0])
        st.html(pictures_html([strip], [alt.tiles_text(p.params.Ws[0], N_TILES, lang=language())],
                              [_("The weights of units 0 to 11 of your network, as they are now.")], width=strip.shape[1]))
    st.caption(_("Step {s} of {n}; best accuracy so far: {a}.").format(
        s=p.step, n=p.steps_total, a="–" if best is None else percent(best, 1)))
    met = best is not None and best >= check.TRAINED
    status(met, _("Done: your network reads {a} of the held-out digits right.").format(a=percent(best or 0, 1)),
           _("Not yet: train until it reads {a} of the held-out digits right.").format(a=percent(check.TRAINED, 0)))
    done = lesson_progress.load().done
    if met and 6 not in done:  # seen by the polling fragment: the whole page then shows the step done
        lesson_progress.save(lesson_progress.Progress(6, (*done, 6)))
        st.rerun(scope="app")
    return met


STEP_VIEWS = (step_1, step_2, step_3, step_4, step_5, step_6)
