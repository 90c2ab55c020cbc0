"""The optimisers beside `sgd_step`, each written in the notation of its paper.

A step takes the params, their gradients and the optimiser's state, and returns new params and a
new state; nothing is changed in place. A state holds one array per parameter, in the order of
`arrays(params)`: Ws[0], ..., Ws[-1], bs[0], ..., bs[-1]. The learning rate is constant.

  SGD with momentum (Sutskever et al. 2013, eq. 1-2):  v <- mu v - eps g,  theta <- theta + v
  Adam (Kingma & Ba 2015, Algorithm 1):  m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2,
      m^ = m / (1 - b1^t),  v^ = v / (1 - b2^t),  theta <- theta - alpha m^ / (sqrt(v^) + eps)

torch writes momentum as v <- mu v + g, theta <- theta - lr v: the same steps for a constant rate,
with its v equal to -(ours) / lr. tests/test_optim.py checks both against torch.optim.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .net import sgd_step
from .params import Grads, Params, params_of


def arrays(params: Params) -> tuple[np.ndarray, ...]:
    """Every parameter array in the order optimiser states keep them: the Ws, then the bs."""
    return params.Ws + params.bs


def _grad_arrays(grads: Grads) -> tuple[np.ndarray, ...]:
    return grads.dWs + grads.dbs


def _params(params: Params, new: list[np.ndarray]) -> Params:
    n = len(params.Ws)
    return params_of(new[:n], new[n:])


class MomentumState(NamedTuple):
    v: tuple[np.ndarray, ...]  # the velocity of each parameter array


class AdamState(NamedTuple):
    t: int                     # steps taken so far
    m: tuple[np.ndarray, ...]  # first moment estimates (biased)
    v: tuple[np.ndarray, ...]  # second raw moment estimates (biased)


def momentum_init(params: Params) -> MomentumState:
    return MomentumState(v=tuple(np.zeros_like(p) for p in arrays(params)))


def momentum_step(params: Params, grads: Grads, state: MomentumState, lr: float,
                  mu: float = 0.9) -> tuple[Params, MomentumState]:
    """Sutskever et al. (2013): v <- mu v - eps g, theta <- theta + v (eps is the learning rate)."""
    eps, mu = np.float32(lr), np.float32(mu)
    vs = [mu * v - eps * g for v, g in zip(state.v, _grad_arrays(grads))]
    new = [theta + v for theta, v in zip(arrays(params), vs)]
    return _params(params, new), MomentumState(v=tuple(vs))


def adam_init(params: Params) -> AdamState:
    zeros = tuple(np.zeros_like(p) for p in arrays(params))
    return AdamState(t=0, m=zeros, v=zeros)


def adam_step(params: Params, grads: Grads, state: AdamState, lr: float = 1e-3, beta1: float = 0.9,
              beta2: float = 0.999, eps: float = 1e-8) -> tuple[Params, AdamState]:
    """Kingma & Ba (2015), Algorithm 1, with alpha = lr."""
    t = state.t + 1
    b1, b2 = np.float32(beta1), np.float32(beta2)
    ms = [b1 * m + (1 - b1) * g for m, g in zip(state.m, _grad_arrays(grads))]        # m_t
    vs = [b2 * v + (1 - b2) * (g * g) for v, g in zip(state.v, _grad_arrays(grads))]  # v_t
    c1, c2 = 1 - beta1 ** t, 1 - beta2 ** t  # bias corrections, in float64 as Python floats
    new = []
    for theta, m, v in zip(arrays(params), ms, vs):
        m_hat = m / np.float32(c1)
        v_hat = v / np.float32(c2)
        new.append(theta - np.float32(lr) * m_hat / (np.sqrt(v_hat) + np.float32(eps)))
    return _params(params, new), AdamState(t=t, m=tuple(ms), v=tuple(vs))


class Optimizer(NamedTuple):
    """One optimiser as a pair of functions, for a training loop that takes any of them."""
    name: str
    init: object  # params -> state
    step: object  # (params, grads, state) -> (params, state)


def optimizer(name: str, lr: float) -> Optimizer:
    """'sgd', 'momentum' or 'adam' with the learning rate `lr` (and the papers' other defaults)."""
    if name == "sgd":
        return Optimizer(name, lambda params: None, lambda p, g, s: (sgd_step(p, g, lr), None))
    if name == "momentum":
        return Optimizer(name, momentum_init, lambda p, g, s: momentum_step(p, g, s, lr))
    if name == "adam":
        return Optimizer(name, adam_init, lambda p, g, s: adam_step(p, g, s, lr))
    raise ValueError(f"optimizer must be 'sgd', 'momentum' or 'adam', not {name!r}")

