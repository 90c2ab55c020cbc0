"""What a prediction is made of: each unit's push, exact attribution, switching units off, fooling it.

For one image and a chosen class k, the last hidden layer's units vote through the last weight
matrix: the logit z[k] = sum_j a[j] * W[j, k] + b[k]. `contributions` returns those terms.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..net import backward, forward
from ..params import Forward, Params
from ..preprocess import SIDE, scale_input


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


# --- exact attribution ----------------------------------------------------------------------------------

def linear_attribution(params: Params, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(784,) network input -> (C (784, 10), c0 (10,)) with C.sum(axis=0) + c0 == the logits, exactly.

    With the pattern of active units fixed, a ReLU network is linear: for 784-512-10 the logits are
    x (W1 D W2) + (b1 D W2 + b2), D the 0/1 diagonal of the active units; deeper nets chain one D per
    hidden layer. C[i, k] = x[i] * M[i, k] is pixel i's share of logit k; c0 is what the biases add.
    """
    x = np.asarray(x, np.float32).reshape(-1)
    M, c0 = params.Ws[0], params.bs[0]  # z1 = x M + c0 with M = W1 (784, H1), c0 = b1 (H1,)
    z = x @ M + c0
    for W, b in zip(params.Ws[1:], params.bs[1:]):
        on = np.flatnonzero(z > 0)       # D: the active units of this hidden layer; the others add 0
        # (784, H) D @ (H, H') -> (784, H'), summed over the active units only (about a tenth of them).
        # einsum, not @: BLAS splits this small product over its threads, slow on a busy server.
        M = np.einsum("ij,jk->ik", M[:, on], W[on])
        c0 = c0[on] @ W[on] + b          # the bias path through the same units
        z = z[on] @ W[on] + b            # the forward pass itself (ReLU keeps the active z), for the next D
    return x[:, None] * M, c0


def switch_off(params: Params, units, layer: int = 1) -> Params:
    """A new Params in which the given units of hidden layer `layer` (1-based) always output a = 0.

    Their incoming weights and bias are zeroed, so z = 0 and ReLU(z) = 0 for every input; `params`
    is untouched (its arrays are read-only and shared).
    """
    units = np.asarray(sorted(set(int(u) for u in units)), dtype=np.intp)
    Ws, bs = list(params.Ws), list(params.bs)
    if units.size:
        W, b = Ws[layer - 1].copy(), bs[layer - 1].copy()
        W[:, units] = 0
        b[units] = 0
        Ws[layer - 1], bs[layer - 1] = W, b
    return Params(Ws=tuple(Ws), bs=tuple(bs))


@dataclass(frozen=True)
class Fooled:
    image: np.ndarray   # (28, 28) the changed drawing, in [0, 1]
    probs: np.ndarray   # (10,) the network's probabilities for it
    steps: int          # how many steps were taken
    success: bool       # the network now says the target
    ink: float          # sum of |change| over the pixels (1.0 = one pixel from black to white)


def fool(params: Params, image: np.ndarray, target: int, *, step: float = 0.02, max_steps: int = 200) -> Fooled:
    """Nudge a (28, 28) [0, 1] image until the network says `target`: signed steps down the gradient of
    -log y[target] with respect to the input (the `dx` of `backward`), pixels kept in [0, 1].

    Returns a new image; `image` and `params` are untouched. The input scaling is increasing, so the
    sign of dL/dx (scaled input) is the sign of dL/d(pixel).
    """
    start = np.asarray(image, np.float32)
    img = start.copy()
    y = np.array([target])
    for n in range(max_steps + 1):
        fwd = forward(params, scale_input(img[None]))
        if int(fwd.probs[0].argmax()) == target or n == max_steps:
            break
        dx = backward(params, fwd, y).dx.reshape(SIDE, SIDE)
        img = np.clip(img - step * np.sign(dx), 0.0, 1.0)
    return Fooled(img, fwd.probs[0], n, int(fwd.probs[0].argmax()) == target, float(np.abs(img - start).sum()))
