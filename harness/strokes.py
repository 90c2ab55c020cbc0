"""Pen strokes from real handwriting: an MNIST digit's skeleton walked into polylines, scaled to a canvas.

The browser tests replay these as mouse (or touch) drags, the way a person would trace the digit.
"""
from __future__ import annotations

import numpy as np
from skimage.morphology import skeletonize

NEIGHBOURS = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def skeleton_paths(img: np.ndarray, threshold: int = 128) -> list[list[tuple[int, int]]]:
    """(28, 28) uint8 digit -> polylines of (row, col) that cover its one-pixel skeleton."""
    skel = skeletonize(img >= threshold)
    left = {tuple(p) for p in np.argwhere(skel)}
    nbrs = lambda p: [(p[0] + dr, p[1] + dc) for dr, dc in NEIGHBOURS if (p[0] + dr, p[1] + dc) in left]
    paths = []
    while left:
        # start at an end point (one neighbour) when there is one, so a stroke is not split in the middle
        start = min(left, key=lambda p: (len(nbrs(p)), p))
        path = [start]
        left.discard(start)
        while nb := nbrs(path[-1]):
            nxt = min(nb, key=lambda q: abs(q[0] - path[-1][0]) + abs(q[1] - path[-1][1]))  # prefer 4-neighbours
            path.append(nxt)
            left.discard(nxt)
        paths.append(path)
    return [p for p in paths if len(p) >= 2] or paths[:1]


def digit_strokes(img: np.ndarray, size: int, every: int = 2) -> list[list[tuple[float, float]]]:
    """Canvas (x, y) points per stroke for a size x size canvas, keeping every `every`-th skeleton point."""
    scale = size / 28
    strokes = []
    for path in skeleton_paths(img):
        pts = path[::every] + ([path[-1]] if (len(path) - 1) % every else [])
        xy = [((c + 0.5) * scale, (r + 0.5) * scale) for r, c in pts]
        if len(xy) == 1:
            xy.append((xy[0][0] + 1, xy[0][1]))
        # fabric.js drops the second-to-last point of every stroke: give it one near the end to drop
        (xa, ya), (xb, yb) = xy[-2], xy[-1]
        xy.insert(-1, (xa + 0.9 * (xb - xa), ya + 0.9 * (yb - ya)))
        strokes.append(xy)
    return strokes
