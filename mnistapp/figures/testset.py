"""The Test-set page's figures (confusion matrix, per-class accuracy, calibration) and its gallery.

Each builder takes arrays from `mnistcore.evaluate` and returns a `go.Figure` with its own hover text
and colour range; none calls Streamlit. Histograms are binned here with NumPy, so the browser gets
a few dozen bars, never 10,000 values. The gallery helpers (`select`, `page_of`, `describe`) pick and
caption the images the page shows.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from mnistapp.catalogue import N_, SOURCE, number, translate
from mnistcore.evaluate import Evaluation, Reliability

from .style import ANSWER, DIGITS, MUTED, OUTLINE, RIGHT, RIGHT_SCALE, WRONG, WRONG_SCALE, layout, number_marks, percent, percent_axis

PER_PAGE = 24        # gallery images per page
OUTCOMES = ("all", "right", "wrong")  # the values; OUTCOME_LABELS and ORDERS name them for the visitor
OUTCOME_LABELS = {"all": N_("all"), "right": N_("right"), "wrong": N_("wrong")}
ORDERS = {"loss": N_("loss, highest first"),  # the most confidently wrong on top
          "confidence": N_("confidence, lowest first"),
          "index": N_("index")}


def _compact(fig: go.Figure, height: int, top: int = 28, lang: str = SOURCE) -> go.Figure:
    return fig.update_layout(layout(height, top=top), **number_marks(lang))


def confusion_heatmap(confusion: np.ndarray, *, normalise: bool = False,
                      selected: tuple[int, int] | None = None, lang: str = SOURCE) -> go.Figure:
    """(10, 10) counts confusion[true, predicted] as a heatmap: the diagonal in green, mistakes in red.

    With `normalise`, each row is divided by its total, so a cell reads "of all true 4s, this share
    was called 9". A transparent marker sits on every cell so that a click selects it: Plotly reports
    no selection for heatmaps, only for markers. Its customdata is (true, predicted). The `selected`
    (true, predicted) cell gets a dark outline.
    """
    counts = np.asarray(confusion)
    rows = counts.sum(axis=1, keepdims=True)
    share = counts / np.maximum(rows, 1)
    value = share if normalise else counts
    text = np.where(counts == 0, "", np.vectorize(lambda v: percent(v, lang) if normalise else f"{v:.0f}")(value))
    eye = np.eye(len(counts), dtype=bool)
    diag = np.where(eye, value, np.nan).astype(float)
    off = np.where(eye | (counts == 0), np.nan, value).astype(float)
    off_max = float(np.nanmax(off)) if np.isfinite(off).any() else 1.0
    common = dict(x=DIGITS, y=DIGITS, texttemplate="%{text}", textfont=dict(size=11), showscale=False,
                  hoverinfo="skip", xgap=1, ygap=1)
    fig = go.Figure([
        go.Heatmap(z=np.round(diag, 4), text=np.where(eye, text, ""), colorscale=RIGHT_SCALE, zmin=0,
                   **common),
        go.Heatmap(z=np.round(off, 4), text=np.where(eye, "", text), colorscale=WRONG_SCALE,
                   zmin=0, zmax=off_max, **common),
    ])
    t, p = np.indices(counts.shape)
    fig.add_trace(go.Scatter(
        x=[DIGITS[j] for j in p.ravel()], y=[DIGITS[i] for i in t.ravel()], mode="markers",
        marker=dict(size=30, symbol="square", color="rgba(0,0,0,0)"), showlegend=False,
        customdata=np.stack([t.ravel(), p.ravel(), counts.ravel(), np.round(share.ravel(), 4)], axis=1),
        hovertemplate=translate("true %{customdata[0]}, predicted %{customdata[1]}<br>%{customdata[2]:,} images "
                                "(%{customdata[3]:.1%} of the true %{customdata[0]}s)<br>click to see them", lang)
        + "<extra></extra>",
        selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1))))
    if selected is not None:
        t_sel, p_sel = selected  # category axes place digit d at coordinate d
        fig.add_shape(type="rect", x0=p_sel - 0.5, x1=p_sel + 0.5, y0=t_sel - 0.5, y1=t_sel + 0.5,
                      line=dict(color=OUTLINE, width=2.5))
    fig.update_xaxes(type="category", title=translate("predicted digit", lang), side="top", fixedrange=True)
    fig.update_yaxes(type="category", title=translate("true digit", lang), autorange="reversed", fixedrange=True)
    fig.update_layout(dragmode=False, clickmode="event+select")
    return _compact(fig, 420, top=40, lang=lang)


def mistake_bars(per_class_accuracy: np.ndarray, counts: np.ndarray, lang: str = SOURCE) -> go.Figure:
    """The share of each true digit's images the network gets wrong, as bars on an axis from zero.

    Mistakes rather than accuracy: accuracies of 96-100 % differ only on an axis cut off near the top,
    which makes small differences look large; error rates compare honestly from zero.
    """
    wrong = 1 - np.asarray(per_class_accuracy, float)
    fig = go.Figure(go.Bar(
        x=DIGITS, y=np.round(wrong, 4), marker_color=WRONG,
        text=[percent(w, lang) for w in wrong], textposition="outside", textfont=dict(size=10),
        customdata=np.column_stack([counts, np.round(1 - wrong, 4)]),
        hovertemplate=translate("digit %{x}: %{y:.2%} of %{customdata[0]:,} images wrong (%{customdata[1]:.2%} right)", lang)
        + "<extra></extra>"))
    top = float(np.nanmax(wrong)) if np.isfinite(wrong).any() else 0.0
    fig.update_yaxes(range=[0, max(top * 1.25, 0.01)], title=None, rangemode="tozero",
                     **percent_axis(lang, ".1%", top=max(top * 1.25, 0.01)))
    fig.update_xaxes(type="category", title=translate("true digit", lang))
    return _compact(fig, 260, lang=lang)


def reliability_diagram(rel: Reliability, lang: str = SOURCE) -> go.Figure:
    """Accuracy against mean confidence per bin, over the diagonal of a perfectly calibrated model."""
    centres = (rel.edges[:-1] + rel.edges[1:]) / 2
    width = float(rel.edges[1] - rel.edges[0])
    filled = rel.counts > 0
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color=MUTED, dash="dot"),
                             name=translate("perfectly calibrated", lang), hoverinfo="skip"))
    fig.add_trace(go.Bar(
        x=np.round(centres[filled], 4), y=np.round(rel.accuracy[filled], 4), width=width * 0.92, name=translate("accuracy", lang),
        marker_color=RIGHT,
        customdata=np.stack([rel.edges[:-1][filled], rel.edges[1:][filled], rel.counts[filled],
                             np.round(rel.confidence[filled], 4)], axis=1),
        hovertemplate=translate("confidence %{customdata[0]:.0%}–%{customdata[1]:.0%}<br>%{customdata[2]:,} images<br>"
                                "mean confidence %{customdata[3]:.1%}<br>accuracy %{y:.1%}", lang) + "<extra></extra>"))
    fig.add_trace(go.Scatter(x=np.round(centres[filled], 4), y=np.round(rel.confidence[filled], 4), mode="markers",
                             marker=dict(color=ANSWER, size=7, symbol="line-ew-open", line=dict(width=2)),
                             name=translate("mean confidence", lang), hoverinfo="skip"))
    fig.update_xaxes(range=[0, 1], title=translate("confidence (probability of the predicted digit)", lang),
                     title_font=dict(size=12), **percent_axis(lang))
    fig.update_yaxes(range=[0, 1.02], title=translate("accuracy", lang), **percent_axis(lang))
    fig.update_layout(legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    return _compact(fig, 340, lang=lang)


def confidence_histograms(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 20,
                          lang: str = SOURCE) -> go.Figure:
    """Confidence of the right and of the wrong answers, each as a share of its own group."""
    edges = np.linspace(0, 1, n_bins + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    fig, top = go.Figure(), 0.0
    for name, mask, colour, answers in (
            (translate("right", lang), correct, RIGHT, translate("of the right answers", lang)),
            (translate("wrong", lang), ~np.asarray(correct), WRONG, translate("of the wrong answers", lang))):
        counts, _ = np.histogram(confidence[mask], bins=edges)
        share = counts / max(int(mask.sum()), 1)
        top = max(top, float(share.max()))
        fig.add_trace(go.Bar(x=np.round(centres, 4), y=np.round(share, 4), width=0.9 / n_bins, marker_color=colour,
                             name=f"{name} ({number(int(mask.sum()), lang, 0)})", opacity=0.75, customdata=counts,
                             hovertemplate=translate("{name}: %{{customdata:,}} images<br>confidence %{{x:.0%}} ± {half}", lang)
                             .format(name=name, half=percent(0.5 / n_bins, lang)) + f"<br>%{{y:.1%}} {answers}<extra></extra>"))
    fig.update_layout(barmode="overlay", legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    fig.update_xaxes(range=[0, 1], title=translate("confidence", lang), **percent_axis(lang))
    fig.update_yaxes(title=translate("share of the group", lang), **percent_axis(lang, top=max(top, 0.01)))
    return _compact(fig, 340, lang=lang)


# --- the gallery --------------------------------------------------------------------------------

def select(ev: Evaluation, *, true: int | None = None, predicted: int | None = None,
           outcome: str = "all", order: str = "loss") -> np.ndarray:
    """Indices of the test images that match the filters (None = any digit), in the chosen order."""
    if outcome not in OUTCOMES or order not in ORDERS:
        raise ValueError(f"outcome must be one of {OUTCOMES} and order one of {tuple(ORDERS)}")
    keep = np.ones(ev.n, bool)
    if true is not None:
        keep &= ev.labels == true
    if predicted is not None:
        keep &= ev.predictions == predicted
    if outcome != "all":
        keep &= ev.correct == (outcome == "right")
    idx = np.flatnonzero(keep)
    if order == "loss":      # -log y[true] is largest where the network is surest of a wrong digit
        return idx[np.argsort(-ev.losses[idx], kind="stable")]
    if order == "confidence":
        return idx[np.argsort(ev.confidence[idx], kind="stable")]
    return idx


def n_pages(n_items: int, per_page: int = PER_PAGE) -> int:
    """How many gallery pages n_items need (at least 1, so an empty gallery still has a page)."""
    return max(1, -(-n_items // per_page))


def page_of(indices: np.ndarray, page: int, per_page: int = PER_PAGE) -> np.ndarray:
    """The indices on gallery page `page` (1-based); a page past the end is clamped to the last one."""
    page = min(max(page, 1), n_pages(len(indices), per_page))
    return indices[(page - 1) * per_page: page * per_page]


def describe(ev: Evaluation, i: int, lang: str = SOURCE) -> str:
    """One gallery caption: '#1234 · label 4 · predicted 9 · 87.1%'."""
    return translate("#{i} · label {label} · predicted {p} · {sure}", lang).format(
        i=i, label=ev.labels[i], p=ev.predictions[i], sure=percent(ev.confidence[i], lang))
