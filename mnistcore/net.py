"""Forward pass, softmax cross-entropy, backpropagation and SGD for a stack of Linear+ReLU layers.

    z1 = x W1 + b1,  a1 = ReLU(z1),  ...,  zL = a(L-1) WL + bL,  y = softmax(zL),  L = -log y[true]

x is (n, 784) float32; the loss is averaged over the batch. Nothing here changes its arguments.
"""
from __future__ import annotations

import numpy as np

from .params import Forward, Grads, Params, params_of


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for any finite logits."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def forward(params: Params, x: np.ndarray) -> Forward:
    """(n, 784) input -> every z and activation, the logits (n, 10) and the probabilities (n, 10)."""
    a = x
    zs, activations = [], [x]
    for W, b in zip(params.Ws[:-1], params.bs[:-1]):  # the hidden layers
        z = a @ W  # (n, n_in) @ (n_in, n_out) -> (n, n_out)
        z += b     # in place: the same z = a W + b, one temporary array fewer
        a = np.maximum(z, 0)  # ReLU
        zs.append(z)
        activations.append(a)
    logits = a @ params.Ws[-1]  # (n, H) @ (H, 10) -> (n, 10)
    logits += params.bs[-1]
    zs.append(logits)
    return Forward(x=x, zs=tuple(zs), activations=tuple(activations), probs=softmax(logits))


def losses(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(n,) per-example cross-entropy -log softmax(z)[y], from the log-softmax so it stays finite."""
    return -log_softmax(logits)[np.arange(len(y)), y]


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean of -log softmax(z)[y] over the batch."""
    return float(losses(logits, y).mean())


def backward(params: Params, fwd: Forward, y: np.ndarray) -> Grads:
    """Gradients of cross_entropy(fwd.logits, y) with respect to every z, W, b and the input x.

    dx is computed only when `grads.dx` is first read (training never reads it).
    """
    n = len(y)
    dz = fwd.probs.copy()
    dz[np.arange(n), y] -= 1  # y - onehot: dL/dzL of -log softmax(zL)[y]
    dz /= n                   # the 1/n is the batch mean of the loss
    dzs, dWs, dbs = [dz], [], []
    for l in range(len(params.Ws) - 1, -1, -1):
        a = fwd.activations[l]
        dWs.append(a.T @ dz)       # z = a @ W + b  ->  dW = a.T @ dz
        dbs.append(dz.sum(axis=0))  # ->  db = sum over the batch of dz
        if l > 0:
            da = dz @ params.Ws[l].T   # ->  da = dz @ W.T
            da *= fwd.zs[l - 1] > 0    # a = ReLU(z)  ->  dz = da where z > 0 (in place: da is ours)
            dz = da
            dzs.append(dz)
    return Grads(dWs=tuple(reversed(dWs)), dbs=tuple(reversed(dbs)), dzs=tuple(reversed(dzs)), W1=params.Ws[0])


def sgd_step(params: Params, grads: Grads, lr: float) -> Params:
    """A new Params one plain gradient-descent step away; `params` is untouched."""
    lr = np.float32(lr)  # a Python float would be fine too; this keeps every array float32 by intent
    return params_of(Ws=[W - lr * dW for W, dW in zip(params.Ws, grads.dWs)],
                     bs=[b - lr * db for b, db in zip(params.bs, grads.dbs)])
