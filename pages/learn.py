"""Learn: train a network from scratch in NumPy and watch it learn; one step of backprop, worked."""
from __future__ import annotations

import streamlit as st

from mnistapp.access import chart_alt
from mnistapp.figures import alt_text as alt
from mnistapp.figures.learn import N_TILES, accuracy_curves, loss_curves, tile_strip
from mnistapp.figures.pictures import pictures_html
from mnistapp.figures.style import short_number
from mnistapp.i18n import _, language, ngettext, number, percent
from mnistapp.keep import kept_summary
from mnistapp.keep_learn import keep_checkpoint, stopped_training_offer
from mnistapp.runtime import route_through_app
from mnistapp.session import LEARN_BATCH, LEARN_DOWNLOAD, LEARN_EPOCHS, LEARN_HIDDEN, LEARN_LR, LEARN_OPTIMIZER, LEARN_SEED
from mnistapp.trainer import (
    DEFAULT_LR,
    LR_CHOICES,
    MAX_TRAININGS,
    OPTIMIZERS,
    model_name,
    parse_hidden,
    running_elsewhere,
    session_training,
    start_training,
    stop_training,
    use_as_model,
    waiting_text,
)
from mnistapp.worked import worked_step_views
from mnistcore import Settings, npz_bytes, pth_bytes, safetensors_bytes

route_through_app()

POLL_SECONDS = 0.5  # how often the live view redraws while a training runs
WAIT_POLL_SECONDS = 2  # ...and while it waits in the queue: 30 waiting visitors then cost the server 15 reruns a second
DEFAULT = Settings()  # the engine's defaults: 784-512-10, momentum, lr 0.05, batch 128, 3 epochs, seed 0
DEFAULTS = {LEARN_HIDDEN: ", ".join(map(str, DEFAULT.hidden)), LEARN_OPTIMIZER: DEFAULT.optimizer, LEARN_LR: DEFAULT.lr,
            LEARN_BATCH: DEFAULT.batch, LEARN_EPOCHS: DEFAULT.epochs, LEARN_SEED: DEFAULT.seed}
for key, value in DEFAULTS.items():
    if key not in st.session_state:
        st.session_state[key] = value

st.title(_("Learn"))
st.caption(_("Train a network from scratch, here, in plain NumPy: forward, backward (backpropagation) and an "
             "optimiser step for every batch of 128 images. Your training is yours alone: other visitors "
             "keep their own model."))
st.caption(kept_summary())
train_tab, step_tab = st.tabs([_("Train from scratch"), _("One step of backprop, worked")])


def settings_form(disabled: bool) -> Settings | None:
    c1, c2, c3, c4, c5, c6 = st.columns([2, 3, 2, 2, 2, 2])
    hidden = parse_hidden(c1.text_input(_("Hidden sizes"), key=LEARN_HIDDEN, disabled=disabled,
                                        help=_("One width per hidden layer: 512, or 256, 128 for two layers.")))
    c2.selectbox(_("Optimiser"), list(OPTIMIZERS), format_func=lambda o: _(OPTIMIZERS[o]), key=LEARN_OPTIMIZER,
                 disabled=disabled,
                 on_change=lambda: st.session_state.update({LEARN_LR: DEFAULT_LR[st.session_state[LEARN_OPTIMIZER]]}))
    c3.select_slider(_("Learning rate"), LR_CHOICES, key=LEARN_LR, disabled=disabled,
                     format_func=lambda v: short_number(v, language()))
    c4.selectbox(_("Batch size"), [16, 32, 64, 128, 256, 512], key=LEARN_BATCH, disabled=disabled)
    c5.number_input(_("Epochs"), 1, 30, key=LEARN_EPOCHS, disabled=disabled)
    c6.number_input(_("Seed"), 0, 2**31 - 1, key=LEARN_SEED, disabled=disabled)
    if hidden is None:
        st.error(_("Hidden sizes: whole numbers from 1 to 4096, separated by commas, such as 512 or 256, 128."))
        return None
    s = st.session_state
    return Settings(hidden=hidden, optimizer=s[LEARN_OPTIMIZER], lr=float(s[LEARN_LR]), batch=int(s[LEARN_BATCH]),
                    epochs=int(s[LEARN_EPOCHS]), seed=int(s[LEARN_SEED]))


def controls(settings: Settings | None) -> None:
    """Start, pause, continue, reset: each acts at once and redraws the page (which polls only while running)."""
    training = session_training()
    b1, b2 = st.columns([2, 2, 3])[:2]
    if training is None or training.finished:
        if b1.button(_("Start training"), type="primary", disabled=settings is None, icon=":material/play_arrow:"):
            with st.spinner(_("Reading the MNIST training set…")):
                start_training(settings)
            st.rerun()
    elif training.paused:
        if b1.button(_("Continue"), type="primary", icon=":material/play_arrow:"):
            training.resume()
            st.rerun()
    elif b1.button(_("Pause"), icon=":material/pause:"):
        training.pause()
        st.rerun()
    if training is not None and b2.button(_("Reset"), icon=":material/restart_alt:"):
        stop_training()
        st.rerun()


def results(training) -> None:
    """The live view of the session's training: progress, metrics, curves, tiles; the hand-over when it stops."""
    p = training.snapshot()
    steps_per_epoch = p.steps_total // training.settings.epochs
    left = p.seconds_left
    text = _("epoch {e} of {n} · step {s} of {total}").format(
        e=min(p.epoch + 1, training.settings.epochs), n=training.settings.epochs, s=p.step, total=p.steps_total)
    if left and p.state == "running":
        text += " · " + _("about {t} s left").format(t=f"{left:.0f}")
    st.progress(p.step / max(p.steps_total, 1), text=text)
    if training.paused and not training.finished:  # asked for: the thread stops before its next batch
        st.info(_("Paused. Continue, or use the network as it is now."))
    elif p.state == "waiting":
        st.info(waiting_text(training.ahead or 0) + " "
                + ngettext("This server runs at most {n} training at once ({r} running now), the others wait in the "
                           "order they pressed Start. Yours starts when its turn comes.",
                           "This server runs at most {n} trainings at once ({r} running now), the others wait in the "
                           "order they pressed Start. Yours starts when its turn comes.",
                           MAX_TRAININGS).format(n=MAX_TRAININGS, r=running_elsewhere()))
        return  # no curves yet: a queue of 30 redraws only this
    elif p.state == "failed":
        st.error(_("The training stopped with an error: {error}").format(error=p.error))
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(_("Loss (last batch)"), number(p.batch_losses[-1], 3) if p.batch_losses else "–")
    m2.metric(_("Training accuracy"), percent(p.train_acc[-1][1]) if p.train_acc else "–",
              help=_("On the batches seen since the last point: the network changed while it saw them."))
    m3.metric(_("Held-out accuracy"), percent(p.heldout_acc[-1][1]) if p.heldout_acc else "–",
              help=_("On the last 5,000 training images, which the training never sees."))
    if p.test_acc is not None:
        m4.metric(_("Test accuracy"), percent(p.test_acc), help=_("On MNIST's 10,000 test images, measured by the engine."))
    left_col, right_col = st.columns(2)
    left_col.plotly_chart(loss_curves(p.batch_losses, p.epoch_losses, steps_per_epoch, lang=language()),
                          config={"displayModeBar": False}, key="learn.loss")
    right_col.plotly_chart(accuracy_curves(p.train_acc, p.heldout_acc, lang=language()), config={"displayModeBar": False},
                           key="learn.accuracy")
    with left_col:
        chart_alt(alt.curve_text(list(enumerate(p.batch_losses, 1)), _("Loss per batch"), _("step"), lang=language()), "learn.loss")
    with right_col:
        chart_alt(alt.curve_text(list(p.heldout_acc), _("Held-out accuracy"), _("step"), lang=language())
                  + " " + alt.curve_text(list(p.train_acc), _("Training accuracy"), _("step"), lang=language()), "learn.accuracy")
    if p.params is not None:
        strip = tile_strip(p.params.Ws[0])
        st.html(pictures_html([strip], [alt.tiles_text(p.params.Ws[0], N_TILES, lang=language())],
                              [_("W1[:, j] of hidden units 0 to 11 as 28×28 images (orange excites the unit, purple "
                                 "inhibits it; each tile its own scale), as they learn.")], width=strip.shape[1]))
    if p.params is not None and (training.paused or p.state == "done"):
        hand_over(p.params, model_name(training.settings, p.step / steps_per_epoch))


def hand_over(params, name: str) -> None:
    st.markdown("**" + _("Your network") + "**")
    c1, c2, c3, c4 = st.columns(4)
    if c1.button(_("Use it on every page"), type="primary", icon=":material/swap_horiz:",
                 help=_("The Draw, Weights and Test set pages then use it; the sidebar leads back to the shipped model.")):
        use_as_model(params, name)
        st.rerun()
    for col, ext, write in ((c2, "pth", pth_bytes), (c3, "safetensors", safetensors_bytes), (c4, "npz", npz_bytes)):
        col.download_button(f".{ext}", data=lambda write=write: write(params), file_name=f"mnist_learned.{ext}",
                            mime="application/octet-stream", on_click="ignore", icon=":material/download:",
                            key=f"{LEARN_DOWNLOAD}{ext}")


with train_tab:
    training = session_training()
    settings = settings_form(disabled=training is not None and not training.finished)
    polling = training is not None and not training.finished and not training.paused
    queued = polling and training.snapshot().state == "waiting"

    @st.fragment(run_every=(WAIT_POLL_SECONDS if queued else POLL_SECONDS) if polling else None)
    def live() -> None:
        controls(settings)
        training = session_training()
        if training is None:
            stopped_training_offer()  # a training a reload or a restart stopped: its last epoch's network
            st.info(_("Pick the settings and press Start. The defaults (784–512–10, SGD with momentum 0.9, "
                      "learning rate 0.05, batch 128, 3 epochs) reach about 97.7% on the test set. Once it runs, "
                      "the time left is shown, measured from its own steps on this server."))
            return
        results(training)
        keep_checkpoint(training)  # its network after each finished epoch, in the visitor's browser
        still_polling = not training.finished and not training.paused
        if (polling and not still_polling) or (queued and training.snapshot().state != "waiting"):
            st.rerun()  # the run ended, or left the queue: redraw the page once more, and poll as it now needs

    live()

with step_tab:
    worked_step_views()
