"""Where an input lands in the network's hidden space: a 2-D map of the test images, and the nearest ones.

The map is the PCA of the last hidden layer's activations a (n, H) of a set of images (the 10,000 test
images in the app): centre them, take the two directions of largest variance (eigenvectors of the
(H, H) covariance), and project. An input lands at (a - mean) @ axes; its neighbours are the images
whose activations are nearest in the full H-dimensional space (Euclidean), not on the 2-D map.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..net import forward
from ..params import Params


class HiddenMap(NamedTuple):
    mean: np.ndarray       # (H,) mean activation of the mapped images
    axes: np.ndarray       # (H, 2) the first two principal directions, unit length
    points: np.ndarray     # (n, 2) the mapped images' positions: (hidden - mean) @ axes
    hidden: np.ndarray     # (n, H) their activations (float32)
    sq_norms: np.ndarray   # (n,) |hidden|^2, kept for the nearest-neighbour search


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, np.float32)
    a.setflags(write=False)
    return a


def fit_hidden_map(params: Params, x: np.ndarray) -> HiddenMap:
    """(n, 784) network inputs -> the PCA map of their last hidden layer's activations."""
    hidden = forward(params, x).activations[-1].astype(np.float32)  # (n, H)
    mean = hidden.mean(axis=0, dtype=np.float64)
    centred = hidden - mean                                          # (n, H), float64
    cov = centred.T @ centred / len(hidden)                          # (H, n) @ (n, H) -> (H, H)
    _, vecs = np.linalg.eigh(cov)                                    # eigenvalues ascending
    axes = vecs[:, ::-1][:, :2]                                      # (H, 2): the two largest
    # An eigenvector's sign is arbitrary: make each axis's largest loading positive, so the map of a
    # model always looks the same.
    axes = axes * np.sign(axes[np.abs(axes).argmax(axis=0), [0, 1]])
    points = centred @ axes                                          # (n, H) @ (H, 2) -> (n, 2)
    return HiddenMap(_read_only(mean), _read_only(axes), _read_only(points), _read_only(hidden),
                     _read_only((hidden.astype(np.float64) ** 2).sum(axis=1)))


def project(hmap: HiddenMap, a: np.ndarray) -> np.ndarray:
    """(m, H) activations -> (m, 2) positions on the map."""
    return (np.asarray(a, np.float32) - hmap.mean) @ hmap.axes       # (m, H) @ (H, 2) -> (m, 2)


def nearest(hmap: HiddenMap, a: np.ndarray, k: int = 8) -> np.ndarray:
    """(H,) activations -> indices (k,) of the mapped images nearest in hidden space, nearest first."""
    a = np.asarray(a, np.float32)
    d2 = hmap.sq_norms - 2 * (hmap.hidden @ a) + float(a @ a)        # |h|^2 - 2 h.a + |a|^2, (n,)
    part = np.argpartition(d2, k)[:k]                                # the k smallest, unordered
    return part[np.argsort(d2[part], kind="stable")]
