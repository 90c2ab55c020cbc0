"""What the page explains, computed once here so pages hold no maths.

For one image and a chosen class k, the last hidden layer's units vote through the last weight
matrix: the logit z[k] = sum_j a[j] * W[j, k] + b[k]. `contributions` returns those terms.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import Forward, Params
from .preprocess import SIDE


@dataclass(frozen=True)
class Contribution:
    unit: int          # index j in the last hidden layer
    activation: float  # a[j]
    weight: float      # W[j, k]
    push: float        # a[j] * W[j, k]: how much unit j moves logit k


def contributions(params: Params, fwd: Forward, k: int, n: int = 6, row: int = 0) -> list[Contribution]:
    """The n hidden units of the last hidden layer that push logit k up the most, for example `row`."""
    if len(params.Ws) < 2:
        return []
    a = fwd.activations[-1][row]         # (H,) last hidden activations
    push = a * params.Ws[-1][:, k]       # (H,) a[j] * W[j, k]
    top = np.argsort(-push, kind="stable")[:n]
    return [Contribution(int(j), float(a[j]), float(params.Ws[-1][j, k]), float(push[j])) for j in top if push[j] > 0]


def incoming_image(params: Params, unit: int) -> np.ndarray:
    """(28, 28) incoming weights W1[:, unit] of a first-layer unit, in the input image's orientation."""
    return params.Ws[0][:, unit].reshape(SIDE, SIDE)  # row-major, the same order as the flattened input


def n_active(fwd: Forward, layer: int = 1, row: int = 0) -> int:
    """How many units of hidden layer `layer` (1-based) have a positive activation."""
    return int((fwd.activations[layer][row] > 0).sum())
