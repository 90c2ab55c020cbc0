"""From a drawing to the network's input, the way MNIST made its digits; and the one input scaling.

MNIST's recipe (LeCun et al.): crop to the ink, scale the longer side to 20 px keeping the aspect
ratio with anti-aliasing, then place the ink's centre of mass at the centre of a 28x28 field.
Images here are float32 in [0, 1] with ink = 1 (MNIST's 255). The network sees `scale_input(img)`:
training, the engine and the app all use that one function's constants. A model trained on other
inputs says so in its model card (`input_scaling`: MNIST's mean/std, or 0..1), read by `card_scaling`.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .params import N_PIXELS, SIDE, ModelFileError

BOX = 20                                # MNIST fits the longer side of the ink into 20 px
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # mean and std of MNIST's training pixels on a 0..1 scale
INK_LEVEL = 0.1                         # a canvas pixel counts as ink above 10 % brightness
MIN_INK_EXTENT = 0.12                   # smaller than 12 % of the canvas both ways (a 32 px pen dot on 280 px) is a stray dot


class Scaling(NamedTuple):
    """How a model wants its input: x = (pixel in [0, 1] - mean) / std."""
    mean: float
    std: float


MNIST_SCALING = Scaling(MNIST_MEAN, MNIST_STD)  # the shipped model's, and train.py's
UNIT_SCALING = Scaling(0.0, 1.0)                # pixels as they are, 0..1 (ToTensor() without Normalize)


def scale_input(images: np.ndarray, scaling: Scaling = MNIST_SCALING) -> np.ndarray:
    """(n, 28, 28) or (n, 784) images in [0, 1] -> (n, 784) float32 network input."""
    x = np.asarray(images, np.float32).reshape(-1, N_PIXELS)
    return (x - np.float32(scaling.mean)) / np.float32(scaling.std)


def scale_uint8(images: np.ndarray, scaling: Scaling = MNIST_SCALING) -> np.ndarray:
    """(n, 28, 28) uint8 images as MNIST stores them (ink = 255) -> (n, 784) float32 network input."""
    return scale_input(images / np.float32(255), scaling)


def card_scaling(card) -> Scaling:
    """A model card (the parsed JSON, as train.py writes it) -> its input scaling.

    `input_scaling` is {"mean": m, "std": s} on the 0..1 pixel scale, or one of the words "mnist" and "0..1".
    """
    how = card.get("input_scaling") if isinstance(card, dict) else None
    if isinstance(how, str) and how.strip().lower() in ("mnist", "0..1", "0-1", "unit"):
        return MNIST_SCALING if how.strip().lower() == "mnist" else UNIT_SCALING
    if isinstance(how, dict):
        mean, std = how.get("mean"), how.get("std")
        if (all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (mean, std))
                and std > 0):
            return Scaling(float(mean), float(std))
    raise ModelFileError('This model card does not say how the model scales its input. Give it an "input_scaling" '
                         'of {"mean": 0.1307, "std": 0.3081} (MNIST\'s), {"mean": 0, "std": 1} (pixels 0..1), '
                         'or pick the scaling in the sidebar.')


def canvas_ink(rgba: np.ndarray) -> np.ndarray:
    """(H, W, 4) uint8 canvas (light strokes on a dark or transparent ground) -> (H, W) ink in [0, 1]."""
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] not in (3, 4):
        raise ValueError(f"expected an (H, W, 4) RGBA image, got shape {rgba.shape}")
    # The channels' mean, as (r + g + b) / 3 in float32 from an exact integer sum: the same values bit for bit
    # as converting all three channels to float32 first, in half the time (it runs on every stroke).
    total = rgba[..., :3].sum(axis=2, dtype=np.uint16).astype(np.float32)
    alpha = rgba[..., 3].astype(np.float32) / 255 if rgba.shape[2] == 4 else 1.0
    return total / 3 / 255 * alpha


def _area_matrix(n_out: int, n_in: int) -> np.ndarray:
    """(n_out, n_in) weights that average each output cell's share of the input: an anti-aliasing resize."""
    edges = np.linspace(0, n_in, n_out + 1)
    lo, hi = edges[:-1, None], edges[1:, None]
    i = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(hi, i + 1) - np.maximum(lo, i), 0, None)
    return (overlap / overlap.sum(axis=1, keepdims=True)).astype(np.float32)


def ink_box(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the pixels above INK_LEVEL, bottom/right exclusive; None if none."""
    rows = np.flatnonzero((ink > INK_LEVEL).any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero((ink > INK_LEVEL).any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def is_stray_dot(ink: np.ndarray) -> bool:
    """True when the ink is too small in both directions to be a digit (a tap or a speck)."""
    box = ink_box(ink)
    if box is None:
        return False
    top, bottom, left, right = box
    return max(bottom - top, right - left) < MIN_INK_EXTENT * max(ink.shape)


STEPS = ("crop", "fit", "centre", "scale")  # the pipeline's steps, in order; each can be switched off


class Step(NamedTuple):
    name: str          # "canvas" or one of STEPS
    image: np.ndarray  # the image after this step: ink in [0, 1], except "scale", the network's input


def _resize(img: np.ndarray, new_h: int, new_w: int) -> np.ndarray:
    """(h, w) -> (new_h, new_w) float32, each output cell the mean of its share of the input (anti-aliased)."""
    h, w = img.shape
    # (new_h, h) @ (h, w) @ (w, new_w) -> (new_h, new_w). einsum rather than @: BLAS splits even this
    # small product over its threads, which on a busy 2-core server took 30 ms instead of 0.5 ms.
    rows = np.einsum("ij,jk->ik", _area_matrix(new_h, h), img.astype(np.float32, copy=False))
    return np.einsum("ik,lk->il", rows, _area_matrix(new_w, w))


def plain_resize(img: np.ndarray) -> np.ndarray:
    """(h, w) -> (28, 28) float32 by area averaging alone: what replaces the steps that were skipped."""
    return np.clip(_resize(img, SIDE, SIDE), 0.0, 1.0)


def digit_steps(ink: np.ndarray, off: frozenset[str] = frozenset()) -> list[Step] | None:
    """(H, W) ink in [0, 1] -> every stage of MNIST's centring, the last one the network's input; None if no ink.

    The stages: the canvas, the crop to the ink, the crop fitted into 20x20 keeping its aspect, that
    placed with its centre of mass at the centre of 28x28, the input scaling. A step named in `off` is
    switched off: no crop keeps the whole canvas; no fit resizes plainly to 28x28; no centring places
    the box in the middle of the field; no scaling feeds the [0, 1] pixels as they are.
    """
    box = ink_box(ink)
    if box is None:
        return None
    top, bottom, left, right = box
    steps = [Step("canvas", ink)]
    crop = ink if "crop" in off else ink[top:bottom, left:right]
    steps.append(Step("crop", crop))
    h, w = crop.shape
    scale = BOX / max(h, w)
    new_h, new_w = (SIDE, SIDE) if "fit" in off else (max(1, round(h * scale)), max(1, round(w * scale)))
    small = _resize(crop, new_h, new_w)
    steps.append(Step("fit", small))
    if "centre" in off:  # the box in the middle, whatever the ink's weight
        cy, cx = (new_h - 1) / 2, (new_w - 1) / 2
    else:  # centre of mass of the small image -> centre of the 28x28 field (integer shift, as MNIST did)
        mass = small.sum()
        cy = (small.sum(axis=1) @ np.arange(new_h)) / mass
        cx = (small.sum(axis=0) @ np.arange(new_w)) / mass
    y0 = int(np.clip(round((SIDE - 1) / 2 - cy), 0, SIDE - new_h))
    x0 = int(np.clip(round((SIDE - 1) / 2 - cx), 0, SIDE - new_w))
    out = np.zeros((SIDE, SIDE), np.float32)
    out[y0:y0 + new_h, x0:x0 + new_w] = small
    steps.append(Step("centre", np.clip(out, 0.0, 1.0)))
    x = steps[-1].image if "scale" in off else scale_input(steps[-1].image).reshape(SIDE, SIDE)
    steps.append(Step("scale", x))
    return steps


def center_digit(ink: np.ndarray) -> np.ndarray | None:
    """(H, W) ink in [0, 1] -> (28, 28) float32 MNIST-style digit, or None when there is no ink."""
    steps = digit_steps(ink)
    return None if steps is None else steps[-2].image  # the centred digit, before the input scaling


class CanvasReading(NamedTuple):
    digit: np.ndarray | None  # (28, 28) float32 in [0, 1], ink = 1; None when there is nothing to read
    why_none: str | None      # None when there is a digit, else EMPTY or STRAY_DOT


EMPTY, STRAY_DOT = "empty", "stray dot"


def read_canvas(rgba: np.ndarray) -> CanvasReading:
    """(H, W, 4) uint8 canvas -> the 28x28 digit the network reads, or why there is none.

    The one path from a drawing to the network: ink, then the stray-dot rule, then MNIST's centring.
    """
    return read_ink(canvas_ink(rgba))


def read_ink(ink: np.ndarray) -> CanvasReading:
    """read_canvas for a canvas already turned into ink by canvas_ink (the Draw page needs the ink twice)."""
    if ink_box(ink) is None:
        return CanvasReading(None, EMPTY)
    if is_stray_dot(ink):
        return CanvasReading(None, STRAY_DOT)
    return CanvasReading(center_digit(ink), None)


def preprocess_canvas(rgba: np.ndarray) -> np.ndarray | None:
    """(H, W, 4) uint8 canvas -> (28, 28) float32 digit in [0, 1], or None (empty, or a stray dot)."""
    return read_canvas(rgba).digit
