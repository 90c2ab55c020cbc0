"""The Learn page's worked step: one image's forward and backward pass in the seed's notation, and a
gradient check. Streamlit calls and LaTeX formatting only; the numbers come from mnistcore.explain.backprop."""
from __future__ import annotations

import numpy as np
import streamlit as st

from mnistcore.explain.backprop import default_picks, gradient_check, worked_step
from mnistcore.preprocess import scale_input, scale_uint8

from .figures.images import gray_image
from .figures.pictures import pictures_html
from .i18n import N_, _, number
from .model import current_params, shipped_model, test_set
from .session import LEARN_CHECK, LEARN_DRAWING, LEARN_IMAGE, LEARN_LABEL, LEARN_SOURCE

LR = 0.001     # the worked step's rate: one image's whole gradient at 0.01 drives its loss to 0
FIRST_IMAGE = 18  # a 3 the shipped model reads as an 8: a wrong answer has gradients worth looking at
SHOWN = 4      # numbers shown of each vector, rows and columns of each matrix


def tex_number(v: float, digits: int = 3) -> str:
    """A number in LaTeX with `digits` significant digits: 0.0123; a power of ten, one digit fewer: 1.5 \\times 10^{-11}
    (the power already takes the room, and a row of ten probabilities must still fit its column)."""
    text = f"{v:.{digits}g}"
    if "e" not in text:
        return text
    mantissa, exponent = f"{v:.{max(0, digits - 2)}e}".split("e")
    return rf"{mantissa}{{\times}}10^{{{int(exponent)}}}"  # {\times}: no operator spacing, a narrower row



def tex_row(v: np.ndarray, idx=None, digits: int = 3) -> str:
    """A few entries of a (1, n) or (n,) array as a LaTeX row vector; `idx` picks them, else the first SHOWN."""
    v = np.ravel(v)
    idx = range(min(SHOWN, len(v))) if idx is None else idx
    more = r" & \cdots" if len(v) > len(idx) else ""
    return r"\begin{bmatrix}" + " & ".join(tex_number(v[i], digits) for i in idx) + more + r"\end{bmatrix}"


def tex_matrix(m: np.ndarray, rows, cols) -> str:
    """The rows x cols corner of a matrix picked by index lists, with dots for what is left out."""
    lines = [" & ".join(tex_number(m[i, j]) for j in cols) + r" & \cdots" for i in rows]
    return r"\begin{bmatrix}" + r" \\ ".join(lines) + r" \\ \vdots & & & \ddots\end{bmatrix}"


def two_lines(equation: str, numbers: str, size: str = r"\small") -> None:
    """An equation with its shapes, and under it its numbers, a size smaller: one line would run off the page."""
    st.latex(rf"\begin{{gathered}}{equation} \\ {size} {numbers}\end{{gathered}}")


def shape(a) -> str:
    return r"\times".join(map(str, np.shape(a)))


TEST, DRAWING = N_("A test image"), N_("Your drawing")  # the source's values (session state) and labels


def _named(what: str) -> str:
    """The input's description (an English key: "your drawing", "test image 18") as the visitor reads it."""
    if what == "your drawing":
        return _("your drawing")
    return _("test image {i}").format(i=what.removeprefix("test image "))


def _input() -> tuple[np.ndarray, np.ndarray, int, str] | None:
    """(28x28 ink for the picture, (1, 784) network input, true digit, its description as a key), or None."""
    drawing = st.session_state.get(LEARN_DRAWING)
    sources = [TEST] + ([DRAWING] if drawing is not None else [])
    source = st.radio(_("Input"), sources, horizontal=True, key=LEARN_SOURCE, format_func=_,
                      help=_("Draw a digit on the Draw page to use it here."))
    if source == DRAWING and drawing is not None:
        t = st.selectbox(_("Which digit it is"), range(10), key=LEARN_LABEL)
        return drawing, scale_input(drawing[None]), int(t), "your drawing"
    images, labels = test_set()
    i = st.number_input(_("Test image"), 0, len(images) - 1, FIRST_IMAGE, key=LEARN_IMAGE)
    return images[i] / 255, scale_uint8(images[i:i + 1]), int(labels[i]), f"test image {i}"


def worked_step_views() -> None:
    params = current_params()
    if len(params.Ws) != 2:
        st.info(_("The worked step follows the seed's notation for one hidden layer; the session's model has "
                  "{n}. It uses the shipped model here.").format(n=len(params.Ws) - 1))
        params = shipped_model()[0]
    left, right = st.columns([1, 4])
    with left:
        ink, x, t, what = _input()
        st.html(pictures_html([gray_image(ink, scale=4)], [_("The input x as a 28×28 picture, white ink on black")],
                              [_("{what}, digit {t}").format(what=_named(what), t=t)], width=112))
    s = worked_step(params, x, t, LR)
    H = params.Ws[0].shape[1]
    j_top = [int(j) for j in np.argsort(-np.abs(s.dz1[0]))[:SHOWN]]  # the hidden units backprop moves most
    with right:
        st.markdown(_("**Forward**, for {what} (x is the 784 pixels, scaled; shapes in brackets)").format(
            what=_named(what)))
        two_lines(rf"z_1 = x W_1 + b_1 \quad ({shape(s.x)})({shape(params.Ws[0])}) + ({H}) \to ({shape(s.z1)})",
                  rf"z_1 = {tex_row(s.z1)}")
        st.latex(rf"a_1 = \mathrm{{ReLU}}(z_1) = {tex_row(s.a1)} \quad ({int((s.a1 > 0).sum())}"
                 r"\text{ " + _("of {H} units active").format(H=H) + "})")
        two_lines(rf"z_2 = a_1 W_2 + b_2 \quad ({shape(s.a1)})({shape(params.Ws[1])}) \to ({shape(s.z2)})",
                  rf"z_2 = {tex_row(s.z2, range(10), 2)}")
        two_lines(r"y = \mathrm{softmax}(z_2)", rf"= {tex_row(s.y, range(10), 2)}", r"\footnotesize")  # 10 entries: no room for "y"
        st.latex(rf"L = -\log y_{{{t}}} = {tex_number(s.L, 4)}")
        st.markdown(_("**Backward**, each line undoing the forward line it is named after"))
        two_lines(rf"\frac{{\partial L}}{{\partial z_2}} = y - \mathrm{{onehot}}({t}) \quad ({shape(s.dz2)})",
                  rf"= {tex_row(s.dz2, range(10), 2)}", r"\footnotesize")
        two_lines(rf"\frac{{\partial L}}{{\partial W_2}} = a_1^\top \frac{{\partial L}}{{\partial z_2}}"
                  rf"\quad ({shape(s.a1[0][:, None])})({shape(s.dz2)}) \to ({shape(s.dW2)})",
                  rf"\text{{{_('rows')} }} {', '.join(map(str, j_top[:3]))}: {tex_matrix(s.dW2, j_top[:3], range(SHOWN))}")
        st.latex(r"\frac{\partial L}{\partial b_2} = \frac{\partial L}{\partial z_2}")
        two_lines(rf"\frac{{\partial L}}{{\partial a_1}} = \frac{{\partial L}}{{\partial z_2}} W_2^\top"
                  rf"\quad ({shape(s.dz2)})({shape(params.Ws[1].T)}) \to ({shape(s.da1)})",
                  rf"\text{{{_('units')} }} {', '.join(map(str, j_top))}: {tex_row(s.da1, j_top)}")
        two_lines(rf"\frac{{\partial L}}{{\partial z_1}} = \frac{{\partial L}}{{\partial a_1}} \odot "
                  rf"\mathbb{{1}}[z_1 > 0] \quad ({shape(s.dz1)})", rf"\text{{{_('units')} }} {', '.join(map(str, j_top))}: "
                  rf"{tex_row(s.dz1, j_top)}")
        i_top = [int(i) for i in np.argsort(-np.abs(s.x[0]))[:3]]
        two_lines(rf"\frac{{\partial L}}{{\partial W_1}} = x^\top \frac{{\partial L}}{{\partial z_1}}"
                  rf"\quad ({shape(s.x[0][:, None])})({shape(s.dz1)}) \to ({shape(s.dW1)})",
                  rf"\text{{{_('pixels')} }} {', '.join(map(str, i_top))}: {tex_matrix(s.dW1, i_top, j_top)}")
        st.caption(_("Entries shown: the hidden units {units} (the largest |∂L/∂z1|) and the pixels {pixels} (the "
                     "largest |x|).").format(units=", ".join(map(str, j_top)), pixels=", ".join(map(str, i_top))))
        st.markdown(_("**Update**, plain SGD with learning rate η = {lr}").format(lr=number(LR, 3)))
        two_lines(r"W \leftarrow W - \eta \frac{\partial L}{\partial W}",
                  rf"W_2[{j_top[0]}, {t}]: {tex_number(params.Ws[1][j_top[0], t], 4)} \to "
                  rf"{tex_number(s.after.Ws[1][j_top[0], t], 4)}, \qquad L: {tex_number(s.L, 4)} \to "
                  rf"{tex_number(s.L_after, 4)}")
    gradient_check_views(params, x, t, s, what)


def gradient_check_views(params, x, t, step, what: str) -> None:
    """The check's table for the weights the visitor picks; a new input starts from its own default picks
    (the weights into and out of its busiest hidden unit), since another input's may all be zero."""
    st.subheader(_("Gradient check"))
    st.caption(_("Backprop's derivative of L beside the central difference (L(w + h) − L(w − h)) / 2h with "
                 "h = 10⁻⁶, both computed now in float64. Edit the weights to check: name (W1, b1, W2, b2) "
                 "and index."))
    kept = st.session_state.get(LEARN_CHECK)
    picks = kept[1] if kept and kept[0] == what else default_picks(step, t)
    sizes = {"W1": params.Ws[0].shape, "b1": params.bs[0].shape, "W2": params.Ws[1].shape, "b2": params.bs[1].shape}
    new = []
    for k, (name, index) in enumerate(picks):
        c1, c2, c3 = st.columns([1, 1, 1])
        name = c1.selectbox(_("weight"), list(sizes), index=list(sizes).index(name), key=f"{LEARN_CHECK}.{what}.{k}.name",
                            label_visibility="collapsed" if k else "visible")
        shape_ = sizes[name]
        i = c2.number_input(_("index 0 (< {n})").format(n=shape_[0]), 0, shape_[0] - 1, min(index[0], shape_[0] - 1),
                            key=f"{LEARN_CHECK}.{what}.{k}.i.{name}", label_visibility="collapsed" if k else "visible")
        j = (c3.number_input(_("index 1 (< {n})").format(n=shape_[1]), 0, shape_[1] - 1, min(index[-1], shape_[1] - 1),
                             key=f"{LEARN_CHECK}.{what}.{k}.j.{name}", label_visibility="collapsed" if k else "visible")
             if len(shape_) == 2 else None)
        new.append((name, (i, j) if j is not None else (i,)))
    st.session_state[LEARN_CHECK] = (what, new)
    rows = gradient_check(params, x, t, new)
    st.table([{_("weight"): f"{c.name}[{', '.join(map(str, c.index))}]", _("backprop ∂L/∂w"): f"{c.backprop:.8g}",
               _("finite difference"): f"{c.numeric:.8g}", _("relative error"): f"{c.rel_error:.1e}"} for c in rows])
