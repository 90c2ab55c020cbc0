"""MNIST digits redrawn as canvas pen strokes, for training: what a person tracing the digit would draw.

A digit (28x28 uint8, ink = 255) is thresholded and skeletonized (scikit-image), and the skeleton is
walked into polylines of (x, y) points in MNIST pixels. Each drawing simplifies the polylines
(Ramer-Douglas-Peucker), jitters their points a little (a hand is not a skeleton), smooths them with
quadratic curves through the segment midpoints (as a pen brush does), draws them white on black with
a round pen of the given width on a canvas of the given size (PIL), and then runs the app's own
preprocessing on the canvas (`mnistcore.preprocess.center_digit`). The result is again a 28x28 uint8
digit, ink = 255, of uniform pen width, cropped and centred exactly as the Draw page would.

A drawing takes 1-3 ms (skeleton, 280 px canvas, preprocessing), too slow for every batch, so
`stroke_versions` draws every training digit a few times once, from one seeded generator, and
training picks among those versions.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw
from skimage.measure import euler_number, label
from skimage.morphology import skeletonize

from mnistcore.preprocess import SIDE, center_digit

NEIGHBOURS = ((-1, 0), (0, -1), (0, 1), (1, 0), (-1, -1), (-1, 1), (1, -1), (1, 1))  # 4-neighbours first
CANVAS = 280          # the Draw page's canvas side, px
THRESHOLD = 128       # MNIST grey level that counts as ink before skeletonizing


def skeleton_polylines(img: np.ndarray, threshold: int = THRESHOLD) -> list[np.ndarray]:
    """(28, 28) uint8 digit -> polylines, each an (m, 2) float array of (x, y) pixel centres, m >= 1.

    The skeleton is a graph: pixels joined to their 8-neighbours, leaving out a diagonal link where
    a 4-neighbour path already joins the two pixels. The walk draws every link once, so strokes meet
    wherever the skeleton does (a pixel walk can pass a junction one pixel beside another stroke and
    leave a gap that a thin pen shows). Walks start at end points (one link left) where there are
    any, so a stroke is not split in the middle, and go on along the first free link, 4-neighbours first.
    """
    on = {(int(r), int(c)) for r, c in np.argwhere(skeletonize(img >= threshold))}
    links = {p: set() for p in on}
    for p in on:
        for dr, dc in NEIGHBOURS:
            q = (p[0] + dr, p[1] + dc)
            if q in on and not (dr and dc and ((p[0], q[1]) in on or (q[0], p[1]) in on)):
                links[p].add(q)
    lines = [np.array([(c + 0.5, r + 0.5)]) for r, c in sorted(p for p in on if not links[p])]  # lone dots
    while any(links.values()):
        start = min((p for p in links if links[p]), key=lambda p: (len(links[p]) != 1, len(links[p]) % 2 == 0, p))
        path = [start]
        while links[path[-1]]:
            p = path[-1]
            q = next((p[0] + dr, p[1] + dc) for dr, dc in NEIGHBOURS if (p[0] + dr, p[1] + dc) in links[p])
            links[p].discard(q)
            links[q].discard(p)
            path.append(q)
        lines.append(np.array([(c + 0.5, r + 0.5) for r, c in path], np.float64))  # (row, col) -> (x, y)
    return lines


def simplify(points: np.ndarray, tol: float) -> np.ndarray:
    """Ramer-Douglas-Peucker: (m, 2) -> the subset of points within `tol` of the original polyline."""
    if len(points) < 3 or tol <= 0:
        return points
    a, b = points[0], points[-1]
    ab = b - a
    norm = np.hypot(*ab)
    rel = points[1:-1] - a
    dist = (np.abs(ab[0] * rel[:, 1] - ab[1] * rel[:, 0]) / norm if norm > 0
            else np.hypot(rel[:, 0], rel[:, 1]))
    i = int(dist.argmax()) + 1
    if dist[i - 1] <= tol:
        return points[[0, -1]]
    return np.vstack([simplify(points[:i + 1], tol)[:-1], simplify(points[i:], tol)])


def smooth(points: np.ndarray, per_curve: int = 4) -> np.ndarray:
    """(m, 2) -> points on quadratic curves from midpoint to midpoint, each vertex their control point."""
    if len(points) < 3:
        return points
    mids = (points[:-1] + points[1:]) / 2
    t = np.linspace(0, 1, per_curve, endpoint=False)[:, None]
    curves = [(1 - t) ** 2 * mids[i] + 2 * (1 - t) * t * points[i + 1] + t ** 2 * mids[i + 1]
              for i in range(len(mids) - 1)]
    return np.vstack([points[:1], *curves, points[-1:]])


def draw_canvas(lines: list[np.ndarray], width: float, size: int = CANVAS) -> np.ndarray:
    """Polylines in MNIST pixels -> (size, size) float32 ink in [0, 1], drawn with a round pen."""
    canvas = Image.new("L", (size, size), 0)
    pen = ImageDraw.Draw(canvas)
    scale = size / SIDE
    r = width / 2
    for line in lines:
        xy = [tuple(p) for p in line * scale]
        if len(xy) > 1:
            pen.line(xy, fill=255, width=max(1, round(width)))
        for x, y in xy:  # round caps and joins (PIL's own joint="curve" is ~5x slower)
            pen.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return np.asarray(canvas, np.float32) / 255


def draw_digit(lines: list[np.ndarray], width: float, rng: np.random.Generator, *, size: int = CANVAS,
               jitter: float = 0.3) -> np.ndarray:
    """(Simplified) polylines -> (28, 28) uint8 digit as the app sees it after a person traced them.

    `width` is the pen width in canvas px; `jitter`, the std of each point's shift, is in MNIST pixels.
    """
    traced = [smooth(line + rng.normal(0, jitter, line.shape)) for line in lines]
    digit = center_digit(draw_canvas(traced, width, size))
    assert digit is not None, "a skeleton always leaves ink"
    return np.round(digit * 255).astype(np.uint8)


def stroke_versions(images: np.ndarray, n_versions: int, widths: tuple[float, float], seed: int,
                    *, size: int = CANVAS, tol: float = 1.0, jitter: float = 0.3,
                    progress=None) -> np.ndarray:
    """(n, 28, 28) uint8 digits -> (n, n_versions, 28, 28) uint8 pen-stroke drawings of them.

    Pen widths are uniform in `widths` (canvas px); `tol` is the RDP tolerance in MNIST pixels. A digit
    with no ink above the threshold keeps its scan in every version. The same seed gives the same array.
    """
    rng = np.random.default_rng(seed)
    out = np.repeat(images[:, None], n_versions, axis=1)
    for i in (progress or (lambda it: it))(range(len(images))):
        lines = [simplify(line, tol) for line in skeleton_polylines(images[i])]
        for v in range(n_versions):
            width = rng.uniform(*widths)
            if lines:
                out[i, v] = draw_digit(lines, width, rng, size=size, jitter=jitter)
    return out


LOOPS = {0: 1, 6: 1, 8: 2, 9: 1}  # a 4 may be open or closed: not counted


def loops(img: np.ndarray, threshold: int = THRESHOLD) -> int:
    """Holes in the ink (pixels >= threshold): its pieces less its Euler number, the ink 8-connected (the holes
    4-connected)."""
    ink = img >= threshold
    return int(label(ink, connectivity=2).max()) - int(euler_number(ink, connectivity=2))


def lost_loops(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Which images have fewer loops than their digit (only 0, 6, 8 and 9 are counted)."""
    return np.array([int(y) in LOOPS and loops(img) < LOOPS[int(y)] for img, y in zip(images, labels)])
