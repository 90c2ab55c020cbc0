"""Why this digit: the "not sure" flag, and four views that open on demand.

The pictures come from mnistapp.figures (arrays in, PNG data URLs out); here are the Streamlit pieces the Draw page and the
test-image dialog share. What changes with every stroke is HTML with pictures (mnistapp/figures/panel.py), not
Plotly charts, which cost the browser tens of ms each per stroke. Every view sits in an expander that
reruns when it opens or closes (`on_change="rerun"`) and computes nothing while it is closed.
The numbers come from `mnistcore.explain.attribution` and `mnistcore.explain.doubt`.
"""
from __future__ import annotations

import functools
import html
import logging
import os
import sys
import threading
import weakref
from collections import OrderedDict

import numpy as np
import streamlit as st

from mnistapp.paths import DATA_DIR, DRAWN_DIGITS
from mnistcore import Forward, Params, forward, scale_input
from mnistcore.explain.attribution import contributions, fool, linear_attribution, switch_off
from mnistcore.explain.doubt import Doubt, calibrate, not_sure, reference_images, two_most_likely
from mnistcore.preprocess import STEPS, digit_steps, plain_resize

from .expanders import lazy_expander
from .figures.bars import softmax_bars_html
from .figures.images import attribution_png, diverging_rgb, gray_image
from .figures.panel import stroke_panel, units_html
from .figures.pictures import pictures_html
from .figures.style import sure
from .i18n import N_, _, language, number
from .model import shipped_model
from .session import (
    WHY_ATTRIBUTION,
    WHY_DIGIT,
    WHY_FOOL,
    WHY_FOOL_FOR,
    WHY_FOOL_TARGET,
    WHY_OTHER,
    WHY_STEPS,
    WHY_STEPS_OFF,
    WHY_UNITS,
    WHY_UNITS_OFF,
)

STEP_TITLES = {"canvas": N_("canvas"), "crop": N_("crop to the ink"), "fit": N_("fit into 20 px"),
               "centre": N_("centre of mass to the centre"), "scale": N_("input scaling")}
OVERCONFIDENT = N_("Why not just the softmax: it always shares 100 % among the ten digits, so it cannot answer "
                   "\"none of these\", and a ReLU network's logits grow with any strong stroke, so a letter can get "
                   "99 %. \"Not sure\" asks the hidden layer instead whether the drawing looks, to the network, like "
                   "the training digits it names.")


def _signed(x: float, digits: int = 2) -> str:
    """x with its sign always written, in the session's language: "+0.25", "-0.25"."""
    text = number(x, digits)
    return text if text.startswith("-") else "+" + text


# --- "not sure" -----------------------------------------------------------------------------------------

_doubts: OrderedDict[str, Doubt] = OrderedDict()  # model digest -> its calibration, the newest last
_calibrating: set[str] = set()                      # digests whose calibration is running (or failed)
_no_room: set[str] = set()                          # digests waiting for another model's references to go
_in_use: dict[str, int] = {}                        # digest -> how many live Params objects hold that model
_watched: weakref.WeakSet = weakref.WeakSet()       # the Params objects counted in _in_use
_lock = threading.RLock()  # re-entrant: the garbage collector may free a Params while this thread holds it
# The references of the models in use take at most this much, the shipped model's aside: a 784-512-10 has 11 MB
# (21,000 references x 512 uint8 features), so 2 uploaded models of that size have "not sure" at once and the
# others wait for one of those to be let go; with room for 5, 60 visitors each uploading a model of their own
# peaked at 620-626 MB against the 600 MB bar, with room for 2 at 592 MB (docs/performance.md).
DOUBT_BUDGET_MB = 22


_reference_images = functools.cache(reference_images)  # read once per server, from the calibration thread


_one_at_a_time = threading.Semaphore()  # a class that uploads 20 models at once queues 20 calibrations


def _held_bytes() -> int:
    return sum(r.nbytes for d in _doubts.values() for r in d.refs)


def _calibrate(params: Params, budgeted: bool) -> None:
    # Every session's strokes go first: on Linux a thread has a nice value of its own, and the calibration
    # is matrix products, which run outside the GIL. Under benchmarks/class_load.py, 8 sessions each uploading a
    # model started 8 calibrations at once: 1.3 GB of server memory and 3.2 s answers to the pen.
    if sys.platform == "linux":
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    try:
        with _one_at_a_time:  # one at a time, so the room checked here is still there when it is done
            refs = _reference_images(DATA_DIR, DRAWN_DIGITS)
            with _lock:
                if budgeted and _held_bytes() + len(refs[0]) * params.sizes[-2] > DOUBT_BUDGET_MB * 2**20:
                    _no_room.add(params.digest)
                    _calibrating.discard(params.digest)
                    return
            doubt = calibrate(params, *refs)
    except Exception:  # a model that cannot be calibrated just gets no flag
        logging.getLogger(__name__).exception("no 'not sure' threshold for model %s", params.digest)
        return  # stays in _calibrating, so it is not tried again with every stroke
    with _lock:
        if params.digest in _in_use:  # its sessions may have ended meanwhile
            _doubts[params.digest] = doubt
        _calibrating.discard(params.digest)


def _released(digest: str) -> None:
    """The last Params of a model is gone (its sessions ended): its 11 MB of references go with it, and the
    models that waited for room try again."""
    with _lock:
        _in_use[digest] -= 1
        if _in_use[digest] == 0:
            del _in_use[digest]
            if _doubts.pop(digest, None) is not None:
                _no_room.clear()
            _no_room.discard(digest)
            _calibrating.discard(digest)  # a failed model may be tried again should it come back


def _watch(params: Params) -> None:
    """Count `params` among its model's users until it is garbage (called under _lock)."""
    if params not in _watched:
        _watched.add(params)
        _in_use[params.digest] = _in_use.get(params.digest, 0) + 1
        weakref.finalize(params, _released, params.digest)


def model_doubt(params: Params) -> Doubt | None:
    """The model's references and threshold, or None while they are being set (seconds, once per model) or
    wait for room (`waits_for_room`).

    The calibration runs in a thread of its own, so no stroke ever waits for it: the page shows the flag
    from the first drawing after it is done. `warm_up` starts it as soon as a model is in use. It is kept
    while any session holds the model and dropped when the last one lets go; the references of models
    other than the shipped one take at most DOUBT_BUDGET_MB, first come first served."""
    with _lock:
        _watch(params)
        doubt = _doubts.get(params.digest)
        if doubt is not None:
            _doubts.move_to_end(params.digest)
            return doubt
        if params.digest not in _calibrating and params.digest not in _no_room:
            _calibrating.add(params.digest)
            budgeted = params.digest != shipped_model()[0].digest
            threading.Thread(target=_calibrate, args=(params, budgeted), daemon=True,
                             name="not-sure-calibration").start()
    return None


def waits_for_room(params: Params) -> bool:
    """True when the model's "not sure" waits for other models' references to go (DOUBT_BUDGET_MB)."""
    with _lock:
        return params.digest in _no_room


warm_up = model_doubt  # called where a model comes into use, for its side effect


def prediction_metric(params: Params, fwd: Forward, where, row: int = 0) -> bool:
    """The Prediction and how sure it is ("99.7% sure"), or, when the input looks like no digit, "not sure" and
    the two likeliest digits in the pill's place: a softmax that is 93 % sure of a letter is no confidence."""
    probs = fwd.probs[row]
    winner = int(probs.argmax())
    doubt = model_doubt(params)
    unsure = doubt is not None and not_sure(doubt, params, fwd, row)
    where.metric(_("Prediction"), str(winner), None if unsure else sure(probs[winner], language()), delta_color="off",
                 delta_arrow="off")
    if doubt is None:
        where.caption(_("\"Not sure\" waits for room: the server learns it for a few uploaded models at a time, and "
                        "yours is next when a visitor with one leaves.") if waits_for_room(params) else
                      _("Learning what \"not sure\" means for this model (once, a few seconds)…"))
        return False
    if unsure:
        first, second = two_most_likely(fwd.probs[row])
        where.markdown(_(":orange-badge[not sure] {first} or {second}?").format(first=first, second=second))
        where.caption(_(OVERCONFIDENT))
    return unsure


# --- the views -----------------------------------------------------------------------------------------

def _opened(label: str, key: str):
    return lazy_expander(label, key)


def why_views(params: Params, fwd: Forward, *, image: np.ndarray, ink: np.ndarray | None = None,
              key: str, row: int = 0) -> None:
    """The four explanations, each in an expander computed only when open. `image` is the (28, 28) [0, 1]
    input; `ink` the drawing it came from (preprocess.canvas_ink; None on the test set, whose images are
    centred already)."""
    with _opened(_("Why this digit? Each pixel's exact share"), f"{key}{WHY_ATTRIBUTION}") as box:
        if box.open:
            attribution_view(params, fwd, key, row)
    with _opened(_("Fool it: make it say another digit"), f"{key}{WHY_FOOL}") as box:
        if box.open:
            fool_view(params, fwd, image, key, row)
    with _opened(_("Switch hidden units off"), f"{key}{WHY_UNITS}") as box:
        if box.open:
            units_view(params, fwd, key, row)
    if ink is not None:
        with _opened(_("The preprocessing, step by step"), f"{key}{WHY_STEPS}") as box:
            if box.open:
                steps_view(params, ink, key)


FOLLOW = "follow"  # a digit picker's first choice: whatever the current drawing makes it


def attribution_view(params: Params, fwd: Forward, key: str, row: int = 0) -> None:
    winner = int(fwd.probs[row].argmax())
    C, c0 = linear_attribution(params, fwd.x[row])
    st.caption(_("With the active hidden units fixed, a ReLU network is linear in its input, so each logit is "
                 "exactly the sum of one share per pixel plus the biases' share: z = Σᵢ xᵢ (W1 D W2)[i, k] + c0[k]. "
                 "Orange pixels push the digit up, purple ones down. Blank pixels are −0.42 after the input "
                 "scaling, so they vote too."))
    c1, c2 = st.columns(2)
    # FOLLOW (the first choice) tracks the drawing: the prediction, and the likeliest digit other than k. A
    # digit as the default would stay the one of the drawing the view was opened on. The choices' labels stay
    # the same from stroke to stroke (the browser keeps showing a selected label that the server changes);
    # the captions below name the digits.
    picked = c1.selectbox(_("Digit"), [FOLLOW, *range(10)], key=f"{key}{WHY_DIGIT}",
                          format_func=lambda d: _("the prediction") if d == FOLLOW else str(d))
    k = winner if picked == FOLLOW else picked
    other = int(np.argsort(-fwd.probs[row])[1]) if k == winner else winner
    picked2 = c2.selectbox(_("…and not"), [FOLLOW, *(d for d in range(10) if d != k)], key=f"{key}{WHY_OTHER}",
                           format_func=lambda d: _("the likeliest other") if d == FOLLOW else str(d))
    k2 = other if picked2 == FOLLOW else picked2
    # Pictures, not Plotly heatmaps, and with the text around them one HTML element: all of it changes with
    # every stroke; with the four views open this took the stroke's answer from 288 ms to 176-216 ms
    # (benchmarks/draw_views_latency.py --open why, six runs; 128-132 ms with no view open).
    shares, vmax = attribution_png(C[:, k])
    diff, dmax = attribution_png(C[:, k] - C[:, k2])
    top = contributions(params, fwd, k, row=row)
    captions = [_("shares of logit {k} = {z} (strongest colour: ±{v})").format(
                    k=k, z=number(C[:, k].sum() + c0[k]), v=number(vmax, 3)),
                _("why {k} and not {k2}: z{k} − z{k2} = {z} (strongest colour: ±{v})").format(
                    k=k, k2=k2, z=number((C[:, k] - C[:, k2]).sum() + c0[k] - c0[k2]), v=number(dmax, 3))]
    st.html(stroke_panel(pictures_html([shares, diff], captions, captions, width=224),
        '<p class="caption">' + html.escape(_("Biases' share c0: {a} for {k}, {b} for {k2}.").format(
            a=_signed(c0[k]), k=k, b=_signed(c0[k2]), k2=k2), quote=False) + "</p>",
        units_html(_("Hidden units that push {k} up the most (a_j · W{L}[j, {k}])").format(k=k, L=len(params.Ws)),
                   " · ".join(_("unit {j}: {push}").format(j=c.unit, push=_signed(c.push)) for c in top), [])
        if top else ""))


def fool_view(params: Params, fwd: Forward, image: np.ndarray, key: str, row: int = 0) -> None:
    winner = int(fwd.probs[row].argmax())
    # The walk takes up to 200 forward and backward passes: run it when a digit is picked, not on every
    # stroke. A new drawing clears the pick (before the widget is made, so its state may still change).
    drawn = hash(image.tobytes())
    if st.session_state.get(f"{key}{WHY_FOOL_FOR}") != drawn:
        st.session_state[f"{key}{WHY_FOOL_FOR}"] = drawn
        st.session_state[f"{key}{WHY_FOOL_TARGET}"] = None
    target = st.segmented_control(_("Make it say"), [d for d in range(10) if d != winner], key=f"{key}{WHY_FOOL_TARGET}")
    st.caption(_("Small steps against the gradient of −log y[target] with respect to the input pixels (the dx "
                 "that backpropagation gives), each pixel kept between blank and full ink, until the network says "
                 "the target (at most 200 steps of 0.02). Your drawing stays as it is."))
    if target is None or target == winner:
        return
    res = fool(params, image, int(target))
    said = int(res.probs.argmax())
    change = res.image - image
    verdict = (_("It says **{said}** now, after {steps} steps and {ink} pixels' worth of ink changed ({n} pixels "
                 "touched).") if res.success else
               _("Not there after {steps} steps: it says **{said}**, after {steps} steps and {ink} pixels' worth of "
                 "ink changed ({n} pixels touched)."))
    st.markdown(verdict.format(said=said, steps=res.steps, ink=number(res.ink, 1),
                               n=int((np.abs(change) > 0.01).sum())))
    biggest = float(np.abs(change).max())  # a few steps of 0.02: on a ±1 scale the change would be invisible
    captions = [_("your drawing"), _("the changed one"),
                _("the change (orange: ink added; strongest colour: ±{v})").format(v=number(biggest))]
    st.html(stroke_panel(pictures_html([gray_image(image), gray_image(res.image),
                                        diverging_rgb(change)],  # its own largest change at full colour
                                       captions, captions, width=84),
        softmax_bars_html(res.probs, winner=said, lang=language())))


def units_view(params: Params, fwd: Forward, key: str, row: int = 0) -> None:
    winner = int(fwd.probs[row].argmax())
    layer = len(params.Ws) - 1  # the last hidden layer, whose units vote on the digits directly
    if layer < 1:
        st.caption(_("This network has no hidden layer."))
        return
    offered = [c.unit for c in contributions(params, fwd, winner, n=12, row=row)]
    # Units switched off before stay on offer when the drawing (and so its top contributors) changes.
    kept = [u for u in st.session_state.get(f"{key}{WHY_UNITS_OFF}") or [] if u not in offered]
    chosen = st.pills(_("Switch off (a = 0) units of hidden layer {layer}: the {n} that push {winner} up the "
                        "most").format(layer=layer, n=len(offered), winner=winner),
                      offered + kept, selection_mode="multi", key=f"{key}{WHY_UNITS_OFF}",
                      format_func=lambda u: _("unit {j}").format(j=u))
    if not chosen:
        return
    fwd_off = forward(switch_off(params, chosen, layer=layer), fwd.x[row:row + 1])
    now = int(fwd_off.probs[0].argmax())
    st.metric(_("Prediction with those units off"), str(now), sure(fwd_off.probs[0, now], language()),
              delta_color="off", delta_arrow="off")
    st.html(stroke_panel(softmax_bars_html(fwd_off.probs[0], fwd_off.logits[0], winner=now, lang=language())))


def steps_view(params: Params, ink: np.ndarray, key: str) -> None:
    off = frozenset(st.pills(_("Switch steps off"), STEPS, selection_mode="multi", key=f"{key}{WHY_STEPS_OFF}",
                             format_func=lambda s: _(STEP_TITLES[s])) or ())
    steps = digit_steps(ink, off)
    st.caption(_("Each picture is the drawing after that step, with the network's answer if the pipeline stopped "
                 "there (what is left of it replaced by a plain resize to 28×28). Switch a step off to see what it "
                 "is for."))
    shown, xs = [], []
    for step in steps:
        if step.name == "scale":  # the network's input itself; shown as the centred ink it was made from
            shown.append(steps[-2].image)
            xs.append(step.image.reshape(1, -1))
        else:
            shown.append(plain_resize(step.image))
            xs.append(shown[-1].reshape(1, -1) if "scale" in off else scale_input(shown[-1][None]))
    probs = forward(params, np.concatenate(xs)).probs  # every step's answer in one pass; the last is the real one
    captions = [(_("{step} (off) → {d}") if step.name in off else _("{step} → {d}")).format(
                    step=_(STEP_TITLES[step.name]), d=int(p.argmax())) for step, p in zip(steps, probs)]
    captions.append(_("the 28×28 image it reads"))
    said = int(probs[-1].argmax())
    # one block for the six pictures: they change with every stroke (st.image would be six elements)
    st.html(stroke_panel(pictures_html([gray_image(img) for img in [*shown, steps[-2].image]], captions, captions,
                                       width=[56] * len(shown) + [112])))
    st.metric(_("Prediction with these steps"), str(said), sure(probs[-1, said], language()),
              delta_color="off", delta_arrow="off")
