"""Things that are not digits, drawn as a person would draw them on the Draw page; and real digits drawn alike.

The "not sure" score (mnistcore/explain/doubt.py) is measured on these. Every drawing is polylines in MNIST
pixels (x, y in 0..28) traced with `pen_strokes.py`'s pen (jitter, smoothing, a round pen 12-26 px wide
on the 280 px canvas) and then read by the app's own `read_canvas`, so it reaches the network exactly as
a drawing on the page would.

- letters: Pillow's built-in font (Aileron, bundled with Pillow, so no system font is needed), each
  letter skeletonized and walked into strokes like a digit. Letters many people draw like a digit
  are left out (LOOKALIKES: O o D Q for 0, I l i j for 1, Z z for 2, S s for 5, b G for 6, g q for 9,
  T for 7): "not sure" would be wrong for them, not right.
- scribbles: a few random points joined by a smooth curve, one or two strokes.
- shapes: triangle, square, star, cross, heart, spiral, arrow, zigzag, wave, hash, check mark.
- crossed-out digits: a drawn MNIST test digit with a zigzag or an X through it.
- real digits: MNIST test digits skeletonized and traced (`digit_drawings`).
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mnistapp.paths import DATA_DIR
from mnistcore.preprocess import read_canvas
from training.pen_strokes import draw_canvas, simplify, skeleton_polylines, smooth

# Drawn like a digit by many people; a network that reads them as that digit is right to be sure.
LOOKALIKES = set("OoDQIlijZzSsbGgqT")
LETTERS = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in LOOKALIKES]
KINDS = ("letter", "scribble", "shape", "crossed-out digit")


def _glyph(ch: str, size: int = 22) -> np.ndarray:
    """(28, 28) uint8 image of one character, ink = 255, from Pillow's built-in font."""
    font = ImageFont.load_default(size=size)
    img = Image.new("L", (28, 28), 0)
    pen = ImageDraw.Draw(img)
    left, top, right, bottom = pen.textbbox((0, 0), ch, font=font)
    pen.text(((28 - (right - left)) / 2 - left, (28 - (bottom - top)) / 2 - top), ch, fill=255, font=font)
    return np.asarray(img)


def trace(lines: list[np.ndarray], rng: np.random.Generator, *, widths=(12.0, 26.0), jitter: float = 0.3):
    """Polylines in MNIST pixels -> the (28, 28) float32 digit the app reads from them, or None (empty/dot)."""
    traced = [smooth(line + rng.normal(0, jitter, line.shape)) for line in lines]
    ink = draw_canvas(traced, rng.uniform(*widths))
    rgba = np.zeros(ink.shape + (4,), np.uint8)
    rgba[..., :3] = np.round(ink * 255).astype(np.uint8)[..., None]
    rgba[..., 3] = 255
    return read_canvas(rgba).digit


def _strokes_of(img: np.ndarray) -> list[np.ndarray]:
    return [simplify(line, 1.0) for line in skeleton_polylines(img)]


def _poly(*pts) -> np.ndarray:
    return np.array(pts, np.float64)


def _shape(name: str, rng: np.random.Generator) -> list[np.ndarray]:
    """One shape as polylines in MNIST pixels, a little different each time (size, aspect, rotation)."""
    t = np.linspace(0, 2 * np.pi, 40)
    if name == "triangle":
        lines = [_poly((14, 5), (23, 22), (5, 22), (14, 5))]
    elif name == "square":
        lines = [_poly((6, 6), (22, 6), (22, 22), (6, 22), (6, 6))]
    elif name == "star":
        ang = np.pi / 2 + np.arange(6) * 4 * np.pi / 5
        lines = [np.stack([14 + 9 * np.cos(ang), 14 - 9 * np.sin(ang)], 1)]
    elif name == "cross":
        lines = [_poly((6, 6), (22, 22)), _poly((22, 6), (6, 22))]
    elif name == "heart":
        x = 16 * np.sin(t) ** 3
        y = 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)
        lines = [np.stack([14 + x / 2, 13 - y / 2], 1)]
    elif name == "spiral":
        s = np.linspace(0, 5 * np.pi, 80)
        lines = [np.stack([14 + 0.55 * s * np.cos(s), 14 + 0.55 * s * np.sin(s)], 1)]
    elif name == "arrow":
        lines = [_poly((5, 14), (23, 14)), _poly((16, 7), (23, 14), (16, 21))]
    elif name == "zigzag":
        lines = [_poly((4, 10), (9, 20), (14, 10), (19, 20), (24, 10))]
    elif name == "wave":
        x = np.linspace(4, 24, 40)
        lines = [np.stack([x, 14 + 5 * np.sin((x - 4) / 20 * 4 * np.pi)], 1)]
    elif name == "hash":
        lines = [_poly((10, 5), (9, 23)), _poly((18, 5), (17, 23)), _poly((5, 11), (23, 11)), _poly((5, 18), (23, 18))]
    elif name == "check":
        lines = [_poly((5, 15), (11, 22), (23, 6))]
    else:
        raise ValueError(name)
    a = rng.uniform(-0.3, 0.3)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) * rng.uniform(0.8, 1.1, 2)
    return [(line - 14) @ rot.T + 14 for line in lines]


SHAPES = ("triangle", "square", "star", "cross", "heart", "spiral", "arrow", "zigzag", "wave", "hash", "check")


def _scribble(rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.uniform(4, 24, (rng.integers(5, 9), 2)) for _ in range(rng.integers(1, 3))]


def _crossed_out(digit: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    over = _poly((4, 6), (24, 22)), _poly((24, 6), (4, 22))  # an X
    if rng.random() < 0.5:
        ys = np.where(np.arange(7) % 2 == 0, 8.0, 20.0) + rng.normal(0, 1, 7)
        over = (np.stack([np.linspace(4, 24, 7), ys], 1),)  # a zigzag
    return _strokes_of(digit) + list(over)


def nondigit_drawings(n: int, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """n drawings that are not digits, the four kinds in turn -> ((m, 28, 28) float32, m kind names), m <= n."""
    rng = np.random.default_rng(seed)
    from mnistcore import load_mnist
    digits, _ = load_mnist("test", DATA_DIR)
    out, kinds = [], []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        if kind == "letter":
            lines = _strokes_of(_glyph(LETTERS[rng.integers(len(LETTERS))]))
        elif kind == "scribble":
            lines = _scribble(rng)
        elif kind == "shape":
            lines = _shape(SHAPES[rng.integers(len(SHAPES))], rng)
        else:
            lines = _crossed_out(digits[rng.integers(len(digits))], rng)
        img = trace(lines, rng)
        if img is not None:
            out.append(img)
            kinds.append(kind)
    return np.array(out, np.float32), kinds


def digit_drawings(images: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(n, 28, 28) uint8 MNIST digits -> (their pen-stroke drawings as the app reads them, the kept indices)."""
    rng = np.random.default_rng(seed)
    out, kept = [], []
    for i, img in enumerate(images):
        lines = _strokes_of(img)
        drawn = trace(lines, rng) if lines else None
        if drawn is not None:
            out.append(drawn)
            kept.append(i)
    return np.array(out, np.float32), np.array(kept)


def letter_image(ch: str) -> np.ndarray:
    """(28, 28) uint8 image of a letter from Pillow's built-in font: what a browser test traces on the canvas."""
    return _glyph(ch)
