"""Write data/drawn-digits.npz: MNIST training digits redrawn as canvas pen strokes, for the "not sure" score.

The score (mnistcore/explain/doubt.py) compares a drawing's last hidden layer with training digits', and a
drawing on the page (uniform pen strokes) sits farther from MNIST's scans than another scan does. So
the references and the calibration set hold drawings too, made once here with `pen_strokes.py` (which
needs scikit-image, a dev requirement) and shipped, so the app needs neither:

    refs: the first 10,000 training digits, one drawing each (pen 12-26 px)
    held: the last 5,000 training digits (held out from training), one drawing each

    python -m training.make_drawn_digits      # about 1-3 minutes on an idle machine; the same seed, the same file
"""
from __future__ import annotations

import numpy as np

from mnistapp.paths import DATA_DIR, DRAWN_DIGITS
from mnistcore import load_mnist
from training.pen_strokes import stroke_versions

N_REFS, N_HELD = 10000, 5000


def drawn_digits(images: np.ndarray, n_refs: int = N_REFS, n_held: int = N_HELD) -> tuple[np.ndarray, np.ndarray]:
    """The training images -> (the first n_refs of the references, the first n_held of the held-out drawings).
    Each digit's drawing depends only on those before it, so a few give the file's first few."""
    refs = stroke_versions(images[:n_refs], 1, (12.0, 26.0), seed=15)[:, 0]
    held = stroke_versions(images[-N_HELD:][:n_held], 1, (12.0, 26.0), seed=16)[:, 0]
    return refs, held


if __name__ == "__main__":
    images, _ = load_mnist("train", DATA_DIR)
    refs, held = drawn_digits(images)
    np.savez_compressed(DRAWN_DIGITS, refs=refs, held=held)
    print(f"wrote {DRAWN_DIGITS}: {len(refs)} reference and {len(held)} held-out drawings")
