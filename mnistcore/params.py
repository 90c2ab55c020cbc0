"""The values the engine passes around: a model's parameters, a forward pass, its gradients.

Orientation follows the equations, not torch: `z = a @ W + b` with `Ws[l]` of shape (n_in, n_out).
Everything is float32. A Params' arrays are read-only, so a model shared between users or cached by
the app can never be changed in place; functions return new values instead.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

SIDE = 28                   # MNIST images are SIDE x SIDE pixels
N_PIXELS = SIDE * SIDE      # the network's inputs: one per pixel, row-major
N_CLASSES = 10              # its outputs: one logit per digit


class ModelFileError(ValueError):
    """A model file we refuse to load; the message says what is wrong and what to do."""


def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=np.float32, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Params:
    Ws: tuple[np.ndarray, ...]  # Ws[l] has shape (n_in, n_out): z = a @ W + b
    bs: tuple[np.ndarray, ...]  # bs[l] has shape (n_out,)

    def __post_init__(self):
        object.__setattr__(self, "Ws", tuple(_frozen(W) for W in self.Ws))
        object.__setattr__(self, "bs", tuple(_frozen(b) for b in self.bs))
        assert len(self.Ws) == len(self.bs) >= 1, "one bias per weight matrix"
        for W, b in zip(self.Ws, self.bs):
            assert W.ndim == 2 and b.shape == (W.shape[1],), (W.shape, b.shape)
        for W, W_next in zip(self.Ws, self.Ws[1:]):
            assert W.shape[1] == W_next.shape[0], "layers must chain"

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths, input first: (784, 512, 10) for the default network."""
        return (self.Ws[0].shape[0],) + tuple(W.shape[1] for W in self.Ws)

    @property
    def n_params(self) -> int:
        return sum(W.size + b.size for W, b in zip(self.Ws, self.bs))

    @cached_property
    def digest(self) -> str:
        """sha256 of the layer sizes and every array's bytes: a cache key that two models never share."""
        h = hashlib.sha256(repr(self.sizes).encode())
        for W, b in zip(self.Ws, self.bs):
            h.update(W.tobytes())
            h.update(b.tobytes())
        return h.hexdigest()


def params_of(Ws, bs) -> Params:
    """Params around float32 arrays that nothing else holds (the fresh results of a step): frozen in
    place instead of copied. The caller gives up the arrays; a training step saves one copy of every
    array this way (benchmarks/learn.py). Anything else goes through Params(...), which copies."""
    Ws, bs = tuple(Ws), tuple(bs)
    for a in Ws + bs:
        assert a.dtype == np.float32 and a.flags.owndata, "params_of takes fresh float32 arrays only"
        a.setflags(write=False)
    params = object.__new__(Params)
    object.__setattr__(params, "Ws", Ws)
    object.__setattr__(params, "bs", bs)
    return params


class Forward(NamedTuple):  # a NamedTuple: built on every stroke, and a frozen dataclass costs 1.4 µs more
    x: np.ndarray                        # (n, 784) the input
    zs: tuple[np.ndarray, ...]           # zs[l] = activations[l] @ Ws[l] + bs[l]; zs[-1] are the logits
    activations: tuple[np.ndarray, ...]  # activations[0] = x, activations[l] = ReLU(zs[l-1])
    probs: np.ndarray                    # (n, 10) softmax of the logits

    @property
    def logits(self) -> np.ndarray:
        return self.zs[-1]


@dataclass(frozen=True, eq=False)
class Grads:
    dWs: tuple[np.ndarray, ...]  # dL/dWs[l], shaped like Ws[l]
    dbs: tuple[np.ndarray, ...]  # dL/dbs[l]
    dzs: tuple[np.ndarray, ...]  # dL/dzs[l], shaped like zs[l]: (n, n_out of layer l); dzs[-1] = (probs - onehot) / n
    W1: np.ndarray               # the first layer's weights, for dx

    @cached_property
    def dx(self) -> np.ndarray:
        """dL/dx, shaped like the input: z1 = x @ W1 + b1 -> dx = dz1 @ W1.T. Computed when first asked:
        training never needs it, and it is a third of the backward pass's multiplications."""
        return self.dzs[0] @ self.W1.T  # (n, n1) @ (n1, 784) -> (n, 784)
