"""What a hidden unit is: its statistics, orders of units, templates, and its votes for each digit.

Conventions: `Ws[l]` has shape (n_in, n_out) and `z = a @ W + b`, so column j of W1 holds the 784
incoming weights of hidden unit j, and input index i is pixel (r, c) = divmod(i, 28): row-major, the
same order as the flattened image. A unit "fires" on an image when its pre-activation z1[j] > 0.
Everything takes the params first and returns new arrays; nothing here changes its arguments.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..net import forward
from ..params import N_CLASSES, SIDE, Params
from ..preprocess import MNIST_SCALING, Scaling, scale_uint8

ORDERS = {"index": "unit number",
          "norm": "norm of its incoming weights ‖W1[:, j]‖, largest first",
          "firing": "how often it fires on the test set, most often first",
          "influence": "its mean push a1[j]·W2[j, k] on a chosen digit k, most positive first"}
TOP_IMAGES = 8  # test images kept per unit: those that excite it most


@dataclass(frozen=True, eq=False)
class UnitStats:
    """How the first hidden layer's units behave on a set of images (the MNIST test set)."""
    firing_rate: np.ndarray      # (H,) fraction of images with z1[j] > 0
    mean_activation: np.ndarray  # (H,) mean of a1[j] = ReLU(z1[j]) over the images
    top_images: np.ndarray       # (H, TOP_IMAGES) image indices, highest z1[j] first
    top_z: np.ndarray            # (H, TOP_IMAGES) z1[j] of those images


def unit_stats(params: Params, images: np.ndarray, k: int = TOP_IMAGES, scaling: Scaling = MNIST_SCALING) -> UnitStats:
    """(n, 28, 28) uint8 images (ink = 255) -> UnitStats of every unit of the first layer."""
    z1 = forward(params, scale_uint8(images, scaling)).zs[0]        # (n, 784) -> z1 (n, H)
    k = min(k, len(z1))
    top = np.argpartition(-z1, k - 1, axis=0)[:k]         # (k, H), unordered
    top_z = np.take_along_axis(z1, top, axis=0)
    by_z = np.argsort(-top_z, axis=0, kind="stable")       # order the k by z1, highest first
    top, top_z = np.take_along_axis(top, by_z, axis=0), np.take_along_axis(top_z, by_z, axis=0)
    return UnitStats(firing_rate=(z1 > 0).mean(axis=0), mean_activation=np.maximum(z1, 0).mean(axis=0),
                     top_images=top.T.copy(), top_z=top_z.T.copy())


def has_one_hidden_layer(params: Params) -> bool:
    """True for 784-H-10: then W2's rows are the first layer's votes and W1 @ W2 is meaningful."""
    return len(params.Ws) == 2


def influence(params: Params, stats: UnitStats, digit: int) -> np.ndarray:
    """(H,) mean over the images of a1[j] * W2[j, digit]: how much unit j moves that logit on average."""
    if not has_one_hidden_layer(params):
        raise ValueError("influence on a digit needs exactly one hidden layer")
    return stats.mean_activation * params.Ws[1][:, digit]  # mean(a1[j] W2[j, k]) = mean(a1[j]) W2[j, k]


def unit_norms(params: Params) -> np.ndarray:
    """(H,) Euclidean norm of each first-layer unit's incoming weights W1[:, j]."""
    return np.linalg.norm(params.Ws[0], axis=0)


def unit_order(params: Params, by: str, stats: UnitStats | None = None, digit: int = 0) -> np.ndarray:
    """(H,) permutation of the first layer's units, the order the tile grid shows them in."""
    W1 = params.Ws[0]
    if by == "index":
        key = -np.arange(W1.shape[1])
    elif by == "norm":
        key = unit_norms(params)
    elif by == "firing":
        key = stats.firing_rate
    elif by == "influence":
        key = influence(params, stats, digit)
    else:
        raise ValueError(f"unknown order {by!r}; one of {sorted(ORDERS)}")
    return np.argsort(-key, kind="stable")


def templates(params: Params) -> np.ndarray:
    """(10, 28, 28): digit k's template W1 @ W2[:, k], the linear part of the network (ReLU ignored)."""
    if not has_one_hidden_layer(params):
        raise ValueError("templates W1 @ W2[:, k] need exactly one hidden layer")
    T = params.Ws[0] @ params.Ws[1]  # (784, H) @ (H, 10) -> (784, 10)
    return T.T.reshape(N_CLASSES, SIDE, SIDE)


def votes(W_last: np.ndarray, digit: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(units voting for `digit`, units voting against it): the n largest and the n smallest of
    W_last[:, digit], strongest first."""
    col = W_last[:, digit]
    order = np.argsort(-col, kind="stable")
    n = min(n, len(col) // 2)
    return order[:n], order[::-1][:n]
