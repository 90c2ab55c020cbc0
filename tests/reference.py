"""What several test files share: random networks and torch's computation of the same network.

torch is the independent reference for the engine: it computes the logits, the loss and every
gradient with autograd, from the same arrays in the engine's (n_in, n_out) orientation.
"""
from __future__ import annotations

import numpy as np
import torch

from mnistcore import Params


def random_arrays(sizes, rng, dtype=np.float32) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """He-initialised weights Ws[l] (sizes[l], sizes[l+1]) and biases, as lists of `dtype` arrays.

    rng: a np.random.Generator or a seed.
    """
    rng = np.random.default_rng(rng)
    Ws = [rng.normal(0, np.sqrt(2 / n_in), (n_in, n_out)).astype(dtype) for n_in, n_out in zip(sizes, sizes[1:])]
    bs = [rng.normal(0, 0.1, n_out).astype(dtype) for n_out in sizes[1:]]
    return Ws, bs


def random_params(sizes, rng=0) -> Params:
    """A random network of the given layer widths (784, ..., 10) as engine Params."""
    Ws, bs = random_arrays(sizes, rng)
    return Params(Ws=tuple(Ws), bs=tuple(bs))


def _tensor(a) -> torch.Tensor:
    """A torch tensor as it is (it may carry a gradient), or a copy of a NumPy array (Params' are read-only)."""
    return a if isinstance(a, torch.Tensor) else torch.from_numpy(np.array(a))


def torch_logits(Ws, bs, x: torch.Tensor) -> torch.Tensor:
    """The network's logits computed by torch: Linear + ReLU layers, the last without ReLU."""
    a = x
    for l, (W, b) in enumerate(zip(Ws, bs)):
        a = a @ _tensor(W) + _tensor(b)
        if l < len(Ws) - 1:
            a = torch.relu(a)
    return a


def torch_reference(Ws, bs, x, y):
    """Logits, mean loss and the gradients dWs, dbs, dx of the same network, computed by torch.autograd."""
    tW = [torch.tensor(W, requires_grad=True) for W in Ws]
    tb = [torch.tensor(b, requires_grad=True) for b in bs]
    tx = torch.tensor(x, requires_grad=True)
    logits = torch_logits(tW, tb, tx)
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y, dtype=torch.int64))
    loss.backward()
    return (logits.detach().numpy(), loss.item(), [W.grad.numpy() for W in tW], [b.grad.numpy() for b in tb],
            tx.grad.numpy())
