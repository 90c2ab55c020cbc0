"""What the page explains, computed once here so pages hold no maths.

For one image and a chosen class k, the last hidden layer's units vote through the last weight
matrix: the logit z[k] = sum_j a[j] * W[j, k] + b[k]. `contributions` returns those terms.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

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


class EffectiveLinear(NamedTuple):
    W: np.ndarray  # (784, n_units): column j is unit j's effective input weights
    b: np.ndarray  # (n_units,): z[j] = x @ W[:, j] + b[j] for every input with the same ReLU pattern


def effective_weights(params: Params, fwd: Forward, layer: int, row: int = 0) -> EffectiveLinear:
    """What the units of hidden layer `layer` (1-based) look for in the input, under `row`'s activation pattern.

    A ReLU network is linear wherever its ReLUs keep their on/off pattern: with D_l = diag(z_l > 0),
    z_layer = x W1 D1 W2 D2 ... W_layer + (the biases carried through the same path). Column j of the
    returned W is the gradient of z_layer[j] with respect to x: the 28x28 picture of what unit j
    responds to for this input (and for every input that switches the same units on). For layer 1 it is W1.
    """
    assert 1 <= layer < len(params.Ws), "a hidden layer, 1-based"
    W, b = params.Ws[0], params.bs[0]              # z1 = x @ W1 + b1
    for l in range(1, layer):
        on = fwd.zs[l - 1][row] > 0                  # (n_l,) the ReLU's pattern at layer l
        W = (W * on) @ params.Ws[l]                  # (784, n_l) @ (n_l, n_l+1) -> (784, n_l+1); off units pass nothing
        b = (b * on) @ params.Ws[l] + params.bs[l]
    return EffectiveLinear(W, b)


def n_active(fwd: Forward, layer: int = 1, row: int = 0) -> int:
    """How many units of hidden layer `layer` (1-based) have a positive activation."""
    return int((fwd.activations[layer][row] > 0).sum())
