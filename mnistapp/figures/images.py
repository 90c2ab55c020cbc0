"""Arrays as pictures: grey digits, diverging weight maps, gallery thumbnails, PNG bytes.

Images are (h, w) or (h, w, 3) uint8, pixels kept sharp when enlarged (each becomes a scale x scale
block). Ink is float in [0, 1] (1 = ink, drawn white on black) or uint8 as MNIST stores it (255 = ink).
"""
from __future__ import annotations

import base64
import struct
import zlib

import numpy as np
from plotly.colors import sequential

from .style import GAP_RGB, NEGATIVE, POSITIVE, WRONG_RGB, ZERO


def gray_image(img: np.ndarray, scale: int = 1) -> np.ndarray:
    """(h, w) ink in [0, 1] -> (h*scale, w*scale) uint8, white ink on black, pixels kept sharp."""
    out = (np.clip(img, 0, 1) * 255).round().astype(np.uint8)
    return np.kron(out, np.ones((scale, scale), np.uint8)) if scale > 1 else out


def diverging_rgb(w: np.ndarray, vmax: float | None = None, scale: int = 1) -> np.ndarray:
    """(h, w) weights -> (h*scale, w*scale, 3) uint8: purple for negative, white at 0, orange for positive."""
    vmax = float(np.abs(w).max()) if vmax is None else vmax
    t = np.clip(w / max(vmax, 1e-12), -1, 1)[..., None]                 # (h, w, 1) in [-1, 1]
    pos, neg, zero = np.array(POSITIVE), np.array(NEGATIVE), np.array(ZERO)
    rgb = np.where(t > 0, zero + t * (pos - zero), zero - t * (neg - zero)).round().astype(np.uint8)
    return np.kron(rgb, np.ones((scale, scale, 1), np.uint8)) if scale > 1 else rgb


def _viridis_lut() -> np.ndarray:
    """(256, 3) uint8: Plotly's Viridis scale, the hidden-layer charts' colours, as a lookup table."""
    stops = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in sequential.Viridis], float)
    at = np.linspace(0, 1, len(stops))
    return np.stack([np.interp(np.linspace(0, 1, 256), at, stops[:, ch]) for ch in range(3)], 1).round().astype(np.uint8)


VIRIDIS = _viridis_lut()


def activation_rgb(a: np.ndarray, cols: int, scale: int = 12, gap: int = 1) -> np.ndarray:
    """(n,) activations >= 0 -> an RGB grid of `cols` cells a row, each a scale x scale block in Viridis
    from 0 (dark purple) to the layer's largest a (yellow), cells `gap` px apart, a short last row grey."""
    n, rows = len(a), -(-len(a) // cols)
    idx = np.full(rows * cols, -1)
    idx[:n] = (np.clip(a / max(float(a.max()), 1e-6), 0, 1) * 255).round()
    rgb = np.where((idx < 0)[:, None], np.array(GAP_RGB, np.uint8), VIRIDIS[np.maximum(idx, 0)])
    cells = rgb.reshape(rows, cols, 3).repeat(scale, 0).repeat(scale, 1)  # repeat: 4x faster than kron here
    if gap:  # a white line between cells, as the interactive heatmap draws them
        cells[scale - gap::scale] = 255
        cells[:, scale - gap::scale] = 255
    return cells


def thumbnail(image: np.ndarray, *, wrong: bool = False, scale: int = 3) -> np.ndarray:
    """(28, 28) uint8 digit -> (28*scale, 28*scale, 3) uint8 RGB, white on black, framed in red when wrong."""
    rgb = np.repeat(gray_image(np.asarray(image) / 255, scale)[..., None], 3, axis=2)
    if wrong:
        rgb[:2], rgb[-2:], rgb[:, :2], rgb[:, -2:] = (np.array(WRONG_RGB, np.uint8),) * 4
    return rgb


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(img: np.ndarray, compress_level: int = 6) -> bytes:
    """(h, w) grey or (h, w, 3) RGB uint8 image -> PNG file bytes, 8 bits a channel.

    Written here rather than by Pillow: for the small pictures made on every stroke Pillow's own overhead
    was most of the time (0.2 ms against 0.03 for a 28x28 digit, 1.7 against 0.8 ms for the hidden-layer
    grid). Each row is stored as its difference from the row above (PNG's "Up" filter), which packs the
    repeated rows of an enlarged picture into almost nothing; compress_level is zlib's (1 for pictures made
    on every stroke: a third larger, twice as fast to write)."""
    img = np.ascontiguousarray(img)
    if img.dtype != np.uint8 or img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3):
        raise ValueError(f"expected an (h, w) or (h, w, 3) uint8 image, got {img.dtype} of shape {img.shape}")
    h, w = img.shape[:2]
    rows = img.reshape(h, -1)
    raw = np.empty((h, rows.shape[1] + 1), np.uint8)
    raw[:, 0] = 2             # filter type Up (the first row's "row above" is zeros)
    raw[:, 1:] = rows
    raw[1:, 1:] -= rows[:-1]  # uint8 arithmetic wraps modulo 256, as the filter is defined
    header = struct.pack(">IIBBBBB", w, h, 8, 0 if img.ndim == 2 else 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw.tobytes(), compress_level))
            + _chunk(b"IEND", b""))


def png_data_url(img: np.ndarray, compress_level: int = 1) -> str:
    """(h, w) or (h, w, 3) uint8 image -> a "data:image/png;base64,..." URL, for pictures made on every stroke.

    st.image sends a data URL as it is, inside the page's update. Given bytes or an array it decodes the PNG
    again with Pillow, hashes it, stores it and serves it from a URL the browser then fetches: ~10 ms of
    the server's time per picture per stroke here, and one more request for the browser."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(img, compress_level)).decode("ascii")


def attribution_png(C_k: np.ndarray, scale: int = 1) -> tuple[str, float]:
    """(784,) pixel shares of one logit (or a difference of two) -> (a diverging 28x28 picture as a PNG data
    URL, purple below zero through white to orange above, and the share that the strongest colour means).
    The page shows it 224 px wide, the browser scaling it up with sharp pixels."""
    vmax = max(float(np.abs(C_k).max()), 1e-6)
    return png_data_url(diverging_rgb(C_k.reshape(28, 28), vmax, scale=scale)), vmax
