"""The Learn page's figures: loss curves, accuracies, a dozen of W1's tiles, a 28x28 saliency map.

Builders take arrays and return a `go.Figure` (or an image array) and never call Streamlit.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from mnistapp.catalogue import SOURCE, translate
from mnistcore.params import SIDE

from .images import diverging_rgb
from .style import ANSWER, MUTED, RIGHT, layout, number_marks, percent_axis

N_TILES = 12      # W1 tiles shown while training: units 0..11
TILE_SCALE = 4    # each weight a 4x4 block: a 28x28 tile becomes 112 px
TILE_GAP = 4      # px between tiles


def loss_curves(batch_losses, epoch_losses, steps_per_epoch: int, lang: str = SOURCE) -> go.Figure:
    """The loss of every batch (thin, grey) and the mean of every finished epoch (markers, accent)."""
    steps = np.arange(1, len(batch_losses) + 1)
    fig = go.Figure(layout=layout(300, title=translate("Cross-entropy loss", lang), top=36,
                                  xaxis=dict(title=translate("step (one batch)", lang), rangemode="tozero"),
                                  yaxis=dict(title=translate("loss", lang), rangemode="tozero"),
                                  legend=dict(orientation="h", y=1.12, x=1, xanchor="right")))
    fig.add_scatter(x=steps, y=np.round(batch_losses, 4), mode="lines", name=translate("per batch", lang),
                    line=dict(color=MUTED, width=1),
                    hovertemplate=translate("step %{x}<br>loss %{y:.4f}", lang) + "<extra></extra>")
    if epoch_losses:
        ends = steps_per_epoch * np.arange(1, len(epoch_losses) + 1)
        fig.add_scatter(x=ends, y=np.round(epoch_losses, 4), mode="lines+markers", name=translate("per epoch (mean)", lang),
                        line=dict(color=ANSWER, width=2),
                        hovertemplate=translate("epoch ending at step %{x}<br>mean loss %{y:.4f}", lang) + "<extra></extra>")
    return fig.update_layout(**number_marks(lang))


def accuracy_curves(train_acc, heldout_acc, lang: str = SOURCE) -> go.Figure:
    """(step, accuracy) pairs: on the training batches just seen, and on the held-out images."""
    accuracies = [a for points in (train_acc, heldout_acc) for _, a in points] or [0.0, 1.0]
    fig = go.Figure(layout=layout(300, title=translate("Accuracy", lang), top=36,
                                  xaxis=dict(title=translate("step", lang), rangemode="tozero"),
                                  yaxis=dict(title=translate("accuracy", lang),
                                             **percent_axis(lang, top=max(accuracies), bottom=min(accuracies))),
                                  legend=dict(orientation="h", y=1.12, x=1, xanchor="right")))
    for points, name, colour in ((train_acc, translate("training batches", lang), MUTED),
                                 (heldout_acc, translate("held-out", lang), RIGHT)):
        if points:
            x, y = zip(*points)
            fig.add_scatter(x=x, y=np.round(y, 4), mode="lines+markers", name=name, line=dict(color=colour),
                            hovertemplate=translate("step %{x}<br>%{y:.2%}", lang) + "<extra></extra>")
    return fig.update_layout(**number_marks(lang))


def tile_strip(W1: np.ndarray, n: int = N_TILES, cols: int = 6) -> np.ndarray:
    """The first `n` hidden units' incoming weights W1[:, j] as 28x28 tiles, `cols` per row, as RGB uint8.

    Each tile has its own colour range (purple < 0 < orange), so a unit's pattern shows from the first step.
    """
    rows = -(-n // cols)
    tile = SIDE * TILE_SCALE
    out = np.full((rows * (tile + TILE_GAP) - TILE_GAP, cols * (tile + TILE_GAP) - TILE_GAP, 3), 255, np.uint8)
    for j in range(min(n, W1.shape[1])):
        r, c = divmod(j, cols)
        y, x = r * (tile + TILE_GAP), c * (tile + TILE_GAP)
        out[y:y + tile, x:x + tile] = diverging_rgb(W1[:, j].reshape(SIDE, SIDE), scale=TILE_SCALE)
    return out


def saliency_rgb(dx: np.ndarray, scale: int = 6) -> np.ndarray:
    """dL/dx (784,) as a 28x28 diverging image: orange pixels raise the loss when brighter, purple lower it."""
    return diverging_rgb(np.asarray(dx).reshape(SIDE, SIDE), scale=scale)
