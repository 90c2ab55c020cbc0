"""One step of backpropagation for one image, every quantity named as in the seed, and a gradient check.

For a 784-H-10 network and one image x (1, 784) with true digit t:
    z1 = x W1 + b1,  a1 = ReLU(z1),  z2 = a1 W2 + b2,  y = softmax(z2),  L = -log y[t]
    dL/dz2 = y - onehot(t),  dL/dW2 = a1^T dL/dz2,  dL/db2 = dL/dz2,  dL/da1 = dL/dz2 W2^T,
    dL/dz1 = dL/da1 * 1[z1 > 0],  dL/dW1 = x^T dL/dz1,  dL/db1 = dL/dz1,  W <- W - lr dL/dW
The gradient check compares backprop's dL/dw with the central difference (L(w+h) - L(w-h)) / 2h,
both in float64, for weights the caller picks.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..net import backward, cross_entropy, forward, sgd_step
from ..params import Params


class Step(NamedTuple):
    """Every quantity of one forward and backward pass on one image, and the step it leads to."""
    x: np.ndarray       # (1, 784)
    z1: np.ndarray      # (1, H)
    a1: np.ndarray      # (1, H)
    z2: np.ndarray      # (1, 10) the logits
    y: np.ndarray       # (1, 10) softmax(z2)
    L: float            # -log y[t]
    dz2: np.ndarray     # (1, 10) y - onehot
    dW2: np.ndarray     # (H, 10) a1^T dz2
    db2: np.ndarray     # (10,)
    da1: np.ndarray     # (1, H) dz2 W2^T
    dz1: np.ndarray     # (1, H) da1 * 1[z1 > 0]
    dW1: np.ndarray     # (784, H) x^T dz1
    db1: np.ndarray     # (H,)
    after: Params       # the params one SGD step of rate lr later
    L_after: float      # the loss of the same image after the step


def worked_step(params: Params, x: np.ndarray, t: int, lr: float) -> Step:
    """(1, 784) scaled input and its true digit -> every quantity of the seed's equations (one hidden layer)."""
    assert len(params.Ws) == 2, "the worked step follows the seed's 784-H-10 notation"
    y_true = np.array([t])
    fwd = forward(params, x)
    grads = backward(params, fwd, y_true)
    dz1, dz2 = grads.dzs                 # da1 * 1[z1 > 0], and y - onehot (a batch of one: its 1/n is 1)
    da1 = dz2 @ params.Ws[1].T           # (1, 10) @ (10, H) -> (1, H): dz1 before ReLU's mask, for display
    after = sgd_step(params, grads, lr)
    return Step(x=x, z1=fwd.zs[0], a1=fwd.activations[1], z2=fwd.logits, y=fwd.probs,
                L=cross_entropy(fwd.logits, y_true), dz2=dz2, dW2=grads.dWs[1], db2=grads.dbs[1], da1=da1,
                dz1=dz1, dW1=grads.dWs[0], db1=grads.dbs[0], after=after,
                L_after=cross_entropy(forward(after, x).logits, y_true))


class Check(NamedTuple):
    name: str          # "W1", "b1", "W2" or "b2"
    index: tuple       # (i, j) for a W, (j,) for a b
    backprop: float    # dL/dw from backward
    numeric: float     # (L(w+h) - L(w-h)) / 2h
    rel_error: float   # |backprop - numeric| / max(|backprop|, |numeric|, 1e-12)


class _Params64(NamedTuple):  # forward and backward read only .Ws and .bs; Params would make them float32
    Ws: tuple
    bs: tuple


def gradient_check(params: Params, x: np.ndarray, t: int, picks, h: float = 1e-6) -> list[Check]:
    """For each pick (name, index), backprop's derivative of L beside the central difference, in float64."""
    Ws = [W.astype(np.float64) for W in params.Ws]
    bs = [b.astype(np.float64) for b in params.bs]
    x64, y = x.astype(np.float64), np.array([t])
    grads = backward(_Params64(tuple(Ws), tuple(bs)), forward(_Params64(tuple(Ws), tuple(bs)), x64), y)

    def loss() -> float:
        return cross_entropy(forward(_Params64(tuple(Ws), tuple(bs)), x64).logits, y)

    out = []
    for name, index in picks:
        group, grad_group = (Ws, grads.dWs) if name[0] == "W" else (bs, grads.dbs)
        layer = int(name[1:]) - 1
        index = tuple(int(i) for i in index)
        w = group[layer]
        keep = w[index]
        w[index] = keep + h
        up = loss()
        w[index] = keep - h
        down = loss()
        w[index] = keep
        numeric = (up - down) / (2 * h)
        analytic = float(grad_group[layer][index])
        err = abs(analytic - numeric) / max(abs(analytic), abs(numeric), 1e-12)
        out.append(Check(name, index, analytic, numeric, err))
    return out


def default_picks(step: Step, t: int) -> list[tuple[str, tuple]]:
    """Four weights worth checking: into and out of the hidden unit with the largest |dL/dz1|."""
    j = int(np.abs(step.dz1[0]).argmax())
    i = int(np.abs(step.x[0]).argmax())
    return [("W1", (i, j)), ("b1", (j,)), ("W2", (j, t)), ("b2", (t,))]
