"""From a photo of a handwritten digit to the network's input: the canvas's path, after cleaning the photo.

A phone photo of paper (dark ink, uneven light) or of a board (light chalk) goes through:

1. decode: Pillow, EXIF orientation applied, refused above PIXEL_BUDGET pixels *before* decoding;
   greyscale in [0, 1], shrunk so its longer side is at most WORK_SIDE px;
2. polarity: the paper (or board) is most of the picture, so the ink is the longer tail of the
   brightness histogram, on whichever side of the median it lies;
3. even out the light: the paper's brightness at each pixel is a grey-level closing (max then min over
   a window wider than any stroke), which removes thin ink and keeps shadows and the table at the
   sheet's edge; ink is the relative contrast against it, so a shadow darkens ink and paper alike;
4. separate ink from paper: keep what is at least INK_SHARE of the strongest ink (faint ruled lines and
   noise fall below it);
5. keep the largest ink region that does not run across the picture (a ruled line or the sheet's edge
   does), and the regions that belong to it (a digit's detached stroke near it); specks far away go;
6. the canvas's MNIST preprocessing: crop, fit into 20 px, centre of mass to the centre.

Pillow is imported inside `_open` (which `decode_photo` calls) only: `import mnistcore` still needs NumPy alone (a test
imports every engine module in a fresh interpreter and checks), and every step after decoding is NumPy.
Arrays are float32 (H, W) in [0, 1]; ink = 1 in the `ink` step and in the result.
"""
from __future__ import annotations

import io
import warnings
from typing import NamedTuple

import numpy as np

from .preprocess import center_digit

PIXEL_BUDGET = 50_000_000   # pixels we agree to decode: a 48 MP phone photo, not a decompression bomb
MAX_BYTES = 30_000_000      # a photo file larger than this is not a phone photo
MIN_SIDE = 8                # smaller than 8 x 8 px holds no digit
WORK_SIDE = 512             # the longer side after shrinking: a 5 %-high digit still spans ~25 px
WINDOW_SHARE = 1 / 7        # the light-levelling window, as a share of the longer side (wider than strokes)
INK_SHARE = 0.4             # ink is at least 40 % of the strongest ink's contrast; ruled lines are ~25 %
MIN_CONTRAST = 0.12         # weaker than this at its strongest, the page is blank
SPANS = 0.9                 # a region this wide or tall (share of the picture) is a line or an edge
BELONGS = 0.25              # a region within this share of the digit's size from it belongs to it
MIN_PART = 0.03             # ... if it has at least 3 % of the digit's ink
FORMATS = {"PNG", "JPEG", "MPO"}  # MPO: the JPEG some phones write (a photo plus a depth map)


class ImageFileError(ValueError):
    """A file we cannot read as a photo; the message says what is wrong and what to do."""


class PhotoSteps(NamedTuple):
    grey: np.ndarray        # (h, w) the decoded photo, greyscale in [0, 1], at most WORK_SIDE px
    level: np.ndarray       # (h, w) the paper's (or board's) brightness: the light, evened out
    ink: np.ndarray         # (h, w) ink contrast in [0, 1] (1 = the strongest ink)
    kept: np.ndarray        # (h, w) the ink of the digit's region(s) only
    digit: np.ndarray | None  # (28, 28) what the network reads, or None when there is no ink
    dark_ink: bool          # True: dark ink on light paper; False: light chalk on a dark board


def _open(data: bytes):
    from PIL import Image, ImageOps, UnidentifiedImageError  # here, not at the top: see the module docstring

    if not data:
        raise ImageFileError("The file is empty. Choose a PNG or JPEG photo of one digit.")
    if len(data) > MAX_BYTES:
        raise ImageFileError(f"The file has {len(data) / 1e6:.0f} MB; photos up to {MAX_BYTES // 10**6} MB are "
                             "read. Send a smaller photo.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's own bomb warning: we check the pixel count ourselves
            img = Image.open(io.BytesIO(data))  # reads the header only
    except Image.DecompressionBombError:  # Pillow's own limit, far above ours, stops it before we can look
        raise ImageFileError(f"The image claims more than {2 * Image.MAX_IMAGE_PIXELS // 10**6} million pixels; at "
                             f"most {PIXEL_BUDGET // 10**6} million are read. Send a smaller photo.") from None
    except UnidentifiedImageError:
        raise ImageFileError("This file is not an image we can read. Choose a PNG or JPEG photo.") from None
    except Exception as e:  # any failure inside a hostile header is the file's fault
        raise ImageFileError(f"This image's header is damaged ({type(e).__name__}). Choose another photo.") from None
    if img.format not in FORMATS:
        raise ImageFileError(f"This is a {img.format} image; the app reads PNG and JPEG. Save it as PNG or JPEG.")
    w, h = img.size
    if w * h > PIXEL_BUDGET:
        raise ImageFileError(f"The image is {w} x {h} pixels ({w * h / 1e6:.0f} million); at most "
                             f"{PIXEL_BUDGET // 10**6} million are read. Send a smaller photo.")
    if min(w, h) < MIN_SIDE:
        raise ImageFileError(f"The image is only {w} x {h} pixels. Send a photo at least {MIN_SIDE} x {MIN_SIDE}.")
    if getattr(img, "is_animated", False) and img.format != "MPO":
        raise ImageFileError("This is an animated image. Send a still photo of one digit.")
    return img, Image, ImageOps


def decode_photo(data: bytes) -> np.ndarray:
    """PNG or JPEG file bytes -> (h, w) float32 greyscale in [0, 1], upright, longer side <= WORK_SIDE.

    Raises ImageFileError for anything that is not a readable still PNG or JPEG within the budget.
    """
    img, Image, ImageOps = _open(data)
    try:
        img.draft("L", (WORK_SIDE, WORK_SIDE))  # a JPEG decodes at 1/2..1/8 size directly: less memory
        img.load()
        img = ImageOps.exif_transpose(img)
        if img.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grey: keep the depth, Pillow's "L" clips it
            grey = np.asarray(img, np.float32)
            grey = grey / (65535.0 if grey.max() > 255 else 255.0)
            alpha = None
        else:
            has_alpha = img.mode in ("PA", "LA", "RGBA", "La", "RGBa") or "transparency" in img.info
            img = img.convert("RGBA" if has_alpha else "L")
            factor = max(img.size) // WORK_SIDE
            if factor >= 2:  # average whole blocks in Pillow first: the float copy below stays small
                img = img.reduce(factor)
            if max(img.size) > WORK_SIDE:
                f = max(img.size) / WORK_SIDE
                img = img.resize((max(1, round(img.size[0] / f)), max(1, round(img.size[1] / f))), Image.BOX)
            alpha = np.asarray(img.getchannel("A"), np.float32) / 255 if has_alpha else None
            grey = np.asarray(img.convert("L") if has_alpha else img, np.float32) / 255
    except ImageFileError:
        raise
    except MemoryError:
        raise ImageFileError("The image is too large to read here. Send a smaller photo.") from None
    except Exception as e:  # truncated or corrupt data: Pillow raises OSError, SyntaxError, ...
        raise ImageFileError(f"The image could not be read: it looks truncated or damaged ({e}). "
                             "Send the photo again or choose another one.") from None
    if alpha is not None and alpha.min() < 1:
        # Put transparent pixels on the ground the opaque ones are not: dark strokes on white, light on black.
        opaque = alpha > 0.5
        ground = 1.0 if not opaque.any() or grey[opaque].mean() < 0.5 else 0.0
        grey = grey * alpha + ground * (1 - alpha)
    return _shrink(grey)


def _shrink(grey: np.ndarray) -> np.ndarray:
    """(H, W) -> (h, w) with max(h, w) <= WORK_SIDE, by an area (anti-aliasing) resize."""
    from .preprocess import _area_matrix

    h, w = grey.shape
    f = max(h, w) / WORK_SIDE
    if f <= 1:
        return grey.astype(np.float32)
    new_h, new_w = max(1, round(h / f)), max(1, round(w / f))
    return (_area_matrix(new_h, h) @ grey @ _area_matrix(new_w, w).T).astype(np.float32)  # (new_h, new_w)


def _running(a: np.ndarray, k: int, acc, axis: int) -> np.ndarray:
    """Max (acc=np.maximum) or min over a centred window of k along `axis`, edges repeated.

    van Herk / Gil-Werman: prefix and suffix extremes within blocks of k, so the cost does not grow with k.
    """
    a = np.moveaxis(a, axis, 0)
    n, p = a.shape[0], k // 2
    m = -(-(n + 2 * p) // k) * k  # padded length: a whole number of blocks
    padded = np.pad(a, [(p, m - n - p)] + [(0, 0)] * (a.ndim - 1), mode="edge")
    # (m, ...) -> (k, m // k, ...): position in block first, so each accumulate step is one vectorised op
    blocks = padded.reshape(m // k, k, *a.shape[1:]).swapaxes(0, 1)
    prefix = acc.accumulate(blocks, axis=0).swapaxes(0, 1).reshape(padded.shape)
    suffix = acc.accumulate(blocks[::-1], axis=0)[::-1].swapaxes(0, 1).reshape(padded.shape)
    out = acc(suffix[:n], prefix[k - 1:k - 1 + n])  # window [i, i + k) of the padded axis
    return np.moveaxis(out, 0, axis)


def _filter(a: np.ndarray, k: int, acc) -> np.ndarray:
    """Max (acc=np.maximum) or min (np.minimum) over a k x k window (k odd), edges repeated: (h, w) -> (h, w)."""
    return _running(_running(a, k, acc, 0), k, acc, 1)


def _box_blur(a: np.ndarray, k: int = 3) -> np.ndarray:
    p = k // 2
    c = np.pad(a, p, mode="edge").cumsum(0).cumsum(1)
    c = np.pad(c, ((1, 0), (1, 0)))
    return (c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k]) / (k * k)


def is_dark_ink(grey: np.ndarray) -> bool:
    """True when the ink is darker than the ground: the paper (or board) is most of the picture, so the
    ink is the far tail of brightness on one side of the median. The light's slow change over the
    picture (a quadratic in x and y, fitted to the log brightness) is taken out first, so that a dark
    corner of uneven light is not taken for the ink's side."""
    smooth = np.log(np.maximum(_box_blur(grey, 3), 1 / 255))  # one noisy pixel is not ink
    h, w = grey.shape
    y, x = np.mgrid[0:h:4, 0:w:4] / max(h, w)  # every 4th pixel is plenty for six coefficients
    terms = lambda y, x: np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1)
    coef = np.linalg.lstsq(terms(y, x).reshape(-1, 6), smooth[::4, ::4].ravel(), rcond=None)[0]
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    d = smooth - terms(yy, xx) @ coef
    lo, med, hi = np.percentile(d, [0.05, 50, 99.95])
    return bool(med - lo >= hi - med)


def _regions(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Connected regions (8-neighbours) of a boolean (h, w) mask -> (labels (h, w) int32, 0 = none; count).

    Runs of True in each row are joined with the overlapping runs of the row above (union-find over
    runs): a digit and a few specks make a few thousand runs, so plain Python is fast enough here.
    """
    h, w = mask.shape
    edges = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    runs = []  # (row, start, end) with end exclusive
    for r in np.flatnonzero(mask.any(axis=1)):
        starts, ends = np.flatnonzero(edges[r] == 1), np.flatnonzero(edges[r] == -1)
        runs += [(r, s, e) for s, e in zip(starts.tolist(), ends.tolist())]
    parent = list(range(len(runs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    prev, prev_row, j0 = [], -2, 0
    for i, (r, s, e) in enumerate(runs):
        if r != prev_row:
            prev = [k for k in range(j0, i) if runs[k][0] == r - 1] if prev_row == r - 1 else []
            prev_row, j0 = r, i
        for k in prev:
            if runs[k][1] <= e and runs[k][2] >= s:  # overlap, touching corners included (8-neighbours)
                a, b = root(i), root(k)
                if a != b:
                    parent[a] = b
    labels = np.zeros((h, w), np.int32)
    ids: dict[int, int] = {}
    for i, (r, s, e) in enumerate(runs):
        labels[r, s:e] = ids.setdefault(root(i), len(ids) + 1)
    return labels, len(ids)


def keep_digit(ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The ink of the largest region that does not span the picture, and of the regions near it."""
    labels, n = _regions(mask)
    if n == 0:
        return np.zeros_like(ink)
    h, w = mask.shape
    idx = labels.ravel()
    mass = np.bincount(idx, weights=ink.ravel(), minlength=n + 1)[1:]
    rows, cols = np.indices(mask.shape)
    top = np.full(n + 1, h)
    left = np.full(n + 1, w)
    bottom = np.zeros(n + 1, int)
    right = np.zeros(n + 1, int)
    np.minimum.at(top, idx, rows.ravel())
    np.minimum.at(left, idx, cols.ravel())
    np.maximum.at(bottom, idx, rows.ravel() + 1)
    np.maximum.at(right, idx, cols.ravel() + 1)
    top, left, bottom, right = top[1:], left[1:], bottom[1:], right[1:]
    spans = ((bottom - top) >= SPANS * h) | ((right - left) >= SPANS * w)
    touches = (top == 0) | (left == 0) | (bottom == h) | (right == w)
    score = np.where(spans, 0.0, mass * np.where(touches, 0.25, 1.0))  # a digit is rarely cut by the frame
    if score.max() <= 0:
        return np.zeros_like(ink)
    main = int(score.argmax())
    margin = BELONGS * max(bottom[main] - top[main], right[main] - left[main])
    near = ((top < bottom[main] + margin) & (bottom > top[main] - margin)
            & (left < right[main] + margin) & (right > left[main] - margin))
    keep = near & ~spans & (mass >= MIN_PART * mass[main])
    keep[main] = True
    return np.where(np.concatenate([[False], keep])[labels], ink, 0).astype(np.float32)


def photo_steps(grey: np.ndarray) -> PhotoSteps:
    """(h, w) greyscale photo in [0, 1] -> every step of the reading, the last one the (28, 28) digit."""
    grey = np.asarray(grey, np.float32)
    dark = is_dark_ink(grey)
    k = max(3, int(max(grey.shape) * WINDOW_SHARE) | 1)
    if dark:  # closing: the max removes dark strokes narrower than k, the min restores large dark areas
        level = _filter(_filter(grey, k, np.maximum), k, np.minimum)
        contrast = (level - grey) / np.maximum(level, 0.05)
    else:     # opening: the same for light chalk on a dark board
        level = _filter(_filter(grey, k, np.minimum), k, np.maximum)
        contrast = grey - level  # absolute: a board is dark, so dividing by its brightness would amplify noise
    contrast = np.clip(contrast, 0, 1).astype(np.float32)
    strongest = float(_box_blur(contrast, 3).max())  # a 3x3 mean: one noisy pixel is not the strongest ink
    if strongest < MIN_CONTRAST:
        zero = np.zeros_like(contrast)
        return PhotoSteps(grey, level, contrast, zero, None, dark)
    ink = np.clip(contrast / strongest, 0, 1)
    mask = ink >= INK_SHARE
    # An opening (3x3 min, then max) drops ink thinner than 3 px: ruled lines, which would otherwise join
    # the digit to a line across the page. A digit written so small that its strokes are that thin keeps
    # the mask as it is.
    opened = _filter(_filter(mask.astype(np.float32), 3, np.minimum), 3, np.maximum) > 0
    kept = keep_digit(ink, opened)
    if not kept.any():
        kept = keep_digit(ink, mask)
    # Soft edges below the cut stay (MNIST's digits are anti-aliased), but only next to kept ink.
    near_kept = _filter(kept, 3, np.maximum) > 0
    kept = np.where(near_kept & (ink >= INK_SHARE / 2), ink, 0).astype(np.float32)
    digit = center_digit(kept) if kept.any() else None
    return PhotoSteps(grey, level, ink, kept, digit, dark)


def read_photo(data: bytes) -> PhotoSteps:
    """PNG or JPEG file bytes -> every step of the reading (see photo_steps). Raises ImageFileError."""
    return photo_steps(decode_photo(data))


def preprocess_photo(data: bytes) -> np.ndarray | None:
    """PNG or JPEG file bytes -> (28, 28) float32 digit in [0, 1] (ink = 1), or None when there is no ink.

    Raises ImageFileError (a ValueError) with a message for the user when the file cannot be read.
    """
    return read_photo(data).digit
