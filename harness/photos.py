"""Photos of handwriting made from MNIST digits, with the clutter real photos have, for the photo tests
and benchmarks/photo_accuracy.py.

Each photo: an MNIST digit enlarged to 30-60 % of the picture's short side, turned by up to 12 degrees
and placed off-centre, as ink on paper under uneven light (or chalk on a board), sensor noise, then
saved as a JPEG of quality 55-90. On top, one kind of clutter (CLUTTER). `plain_threshold_digit` is the
naive reading the pipeline must beat: one global threshold, crop to all the ink, MNIST's centring.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image

from mnistcore.photo import decode_photo
from mnistcore.preprocess import center_digit

CLUTTER = ("plain", "ruled", "edge", "shadow", "specks", "chalk", "noise", "everything")


def _digit_alpha(digit: np.ndarray, size: int, angle: float) -> np.ndarray:
    """(28, 28) uint8 MNIST digit -> (size, size) ink coverage in [0, 1], enlarged smoothly and turned."""
    img = Image.fromarray(digit).resize((size, size), Image.BICUBIC).rotate(angle, Image.BICUBIC)
    return np.clip(np.asarray(img, np.float32) / 255, 0, 1)


def _ramp(h: int, w: int, rng) -> np.ndarray:
    """A linear ramp in [-0.5, 0.5] in a random direction: light from one side."""
    t = rng.uniform(0, 2 * np.pi)
    y, x = np.mgrid[0:h, 0:w]
    r = (np.cos(t) * x / w + np.sin(t) * y / h)
    return (r - r.min()) / max(np.ptp(r), 1e-6) - 0.5


def _smooth_noise(h: int, w: int, rng, cells: int = 6) -> np.ndarray:
    """Low-frequency noise in [0, 1]: smudges on a board, grain of a table."""
    small = Image.fromarray((rng.random((cells, cells)) * 255).astype(np.uint8))
    return np.asarray(small.resize((w, h), Image.BICUBIC), np.float32) / 255


def make_photo(digit: np.ndarray, clutter: str, rng: np.random.Generator, *, side: tuple[int, int] | None = None,
               height_share: tuple[float, float] = (0.3, 0.6), quality: tuple[int, int] = (55, 90)) -> bytes:
    """(28, 28) uint8 digit -> JPEG bytes of a photo of it with the given clutter (one of CLUTTER)."""
    assert clutter in CLUTTER, clutter
    h, w = side or (int(rng.integers(380, 700)), int(rng.integers(380, 700)))
    # MNIST's ink fills the middle 20 of its 28 px: size the 28 px patch so the digit is the share asked for
    size = int(min(h, w) * rng.uniform(*height_share) * 28 / 20)
    alpha = _digit_alpha(digit, size, rng.uniform(-12, 12))
    edge_side = int(rng.integers(4))  # the table shows along the left, right, top or bottom
    table_w = int(rng.uniform(0.08, 0.2) * (w if edge_side < 2 else h))
    # keep the digit on the paper: off the table's strip when there is one
    lo_y, lo_x, hi_y, hi_x = 0, 0, h - size, w - size
    if clutter in ("edge", "everything"):
        lo_x, hi_x, lo_y, hi_y = [(table_w, hi_x, lo_y, hi_y), (lo_x, hi_x - table_w, lo_y, hi_y),
                                  (lo_x, hi_x, table_w, hi_y), (lo_x, hi_x, lo_y, hi_y - table_w)][edge_side]
    y0, x0 = int(rng.integers(lo_y, max(lo_y, hi_y) + 1)), int(rng.integers(lo_x, max(lo_x, hi_x) + 1))
    ink = np.zeros((h, w), np.float32)
    ink[y0:y0 + size, x0:x0 + size] = alpha[:h - y0, :w - x0]

    light = 1 + rng.uniform(0.15, 0.4) * _ramp(h, w, rng)                      # uneven light
    if clutter == "chalk":
        board = rng.uniform(0.12, 0.3) + rng.uniform(0.03, 0.1) * _smooth_noise(h, w, rng)  # smudged board
        chalk = rng.uniform(0.7, 0.95)
        grain = np.clip(rng.random((h, w)) * 1.6, 0, 1)  # chalk leaves gaps in the stroke
        coverage = ink * (0.6 + 0.4 * grain)
        surface = board * (1 - coverage) + chalk * coverage
    else:
        paper = np.full((h, w), rng.uniform(0.78, 0.95), np.float32)
        if clutter in ("ruled", "everything"):
            gap, first = int(rng.integers(18, 40)), int(rng.integers(0, 18))
            line = rng.uniform(0.65, 0.8)
            for r in range(first, h, gap):
                paper[r:r + int(rng.integers(1, 3))] *= line
            if rng.random() < 0.5:  # the red margin line
                c = int(rng.uniform(0.08, 0.15) * w)
                paper[:, c:c + 2] *= rng.uniform(0.7, 0.85)
        pen = rng.uniform(0.08, 0.35)
        surface = paper * (1 - ink) + pen * ink
        if clutter in ("specks", "everything"):
            yy, xx = np.mgrid[0:h, 0:w]
            for _ in range(int(rng.integers(6, 20))):
                cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(1, 4)
                surface = np.where((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r, surface * rng.uniform(0.1, 0.5), surface)
        if clutter in ("edge", "everything"):
            table = rng.uniform(0.15, 0.5) * (0.8 + 0.4 * _smooth_noise(h, w, rng, 12))
            yy, xx = np.mgrid[0:h, 0:w]
            tilt = rng.uniform(-0.08, 0.08)
            coord = [xx + tilt * yy, (w - 1 - xx) + tilt * yy, yy + tilt * xx, (h - 1 - yy) + tilt * xx][edge_side]
            surface = np.where(coord < table_w, table, surface)
        if clutter in ("shadow", "everything"):
            yy, xx = np.mgrid[0:h, 0:w]
            cy, cx = [(0, 0), (0, w), (h, 0), (h, w)][int(rng.integers(4))]
            d = np.hypot((yy - cy) / h, (xx - cx) / w)
            reach, soft = rng.uniform(0.4, 0.8), rng.uniform(0.03, 0.12)
            light = light * (1 - rng.uniform(0.3, 0.55) / (1 + np.exp((d - reach) / soft)))
    photo = surface * light
    sigma = rng.uniform(0.05, 0.09) if clutter == "noise" else rng.uniform(0.01, 0.035)
    photo = photo + rng.normal(0, sigma, photo.shape)
    rgb = np.repeat(np.clip(photo * 255, 0, 255).astype(np.uint8)[..., None], 3, axis=2)
    tint = rng.uniform(0.9, 1.0, 3)  # warm or cool light
    rgb = np.clip(rgb * tint, 0, 255).astype(np.uint8)
    q = int(rng.integers(30, 50)) if clutter == "noise" else int(rng.integers(*quality))
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=q)
    return buf.getvalue()


def plain_threshold_digit(data: bytes) -> np.ndarray | None:
    """The naive reading: one global threshold (Otsu), ink on the minority side, crop to all of it."""
    grey = decode_photo(data)
    hist, edges = np.histogram(grey, 256, (0, 1))
    p = hist / hist.sum()
    omega, mu = np.cumsum(p), np.cumsum(p * edges[:-1])
    between = (mu[-1] * omega - mu) ** 2 / np.maximum(omega * (1 - omega), 1e-12)
    t = edges[int(between.argmax())]
    ink = grey < t if (grey < t).mean() < 0.5 else grey >= t
    return center_digit(ink.astype(np.float32))
