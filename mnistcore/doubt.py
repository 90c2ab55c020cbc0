"""An honest "not sure": how far a drawing's last hidden layer is from the training digits the network names.

The softmax alone cannot say "none of these": it shares 100 % among ten digits however strange the
input, and a ReLU network's logits grow with any strong input, so a letter far from every digit can
still get 99 %. The score here asks the network's own features instead:

    score(x) = 1 - mean of the K largest cos(a(x), a(r)) over the reference digits r labelled k

with a(.) the last hidden layer's activations (a1 for 784-512-10) and k the digit the network says:
a drawing whose features point the way of no training k the network calls k is "not sure". Only the
references of that one digit are compared, a tenth of them, which keeps the score cheap on every stroke.

The references are training digits: every fifth MNIST scan of the first 55,000 and 10,000 of them
redrawn as pen strokes (`data/drawn-digits.npz`, made by make_drawn_digits.py), because a drawing on the
page sits farther from MNIST's scans than another scan does. The threshold is set per model on held-out
training images (the last 5,000 scans and their 5,000 drawings, never the test set) so that at most
FLAG_RATE of them are flagged.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import DATA_DIR, DataFileError, load_mnist
from .net import forward
from .params import N_CLASSES, Forward, Params
from .preprocess import scale_uint8

FLAG_RATE = 0.02                  # at most 2 % of held-out training digits are called "not sure"
N_TRAIN, N_HELD = 55000, 5000     # MNIST's training set: the first 55,000 trained on, the last 5,000 held out
SCAN_STEP = 5                     # every fifth scan of the 55,000 is a reference (11,000)
K = 3                             # the score averages the K nearest references
DRAWN = DATA_DIR / "drawn-digits.npz"


@dataclass(frozen=True, eq=False)
class Doubt:
    refs: tuple[np.ndarray, ...]  # refs[k]: (n_k, H) last hidden activations of reference digits k, unit length
    threshold: float              # a score above this is "not sure"
    held_flagged: float           # the share of the held-out training digits that the threshold flags


def reference_images() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(references (n, 28, 28) uint8, their labels (n,), held-out digits (m, 28, 28) uint8); scans and drawings."""
    images, labels = load_mnist("train")
    try:
        with np.load(DRAWN) as f:
            drawn_refs, drawn_held = f["refs"], f["held"]
    except (OSError, KeyError, ValueError) as e:
        raise DataFileError(f"Cannot read {DRAWN} ({e}). Run `python make_drawn_digits.py` to make it again.") from None
    refs = np.concatenate([images[:N_TRAIN:SCAN_STEP], drawn_refs])
    ref_labels = np.concatenate([labels[:N_TRAIN:SCAN_STEP], labels[:len(drawn_refs)]])  # drawn from the first ones
    held = np.concatenate([images[N_TRAIN:N_TRAIN + N_HELD], drawn_held])
    return refs, ref_labels, held


def _unit_rows(a: np.ndarray) -> np.ndarray:
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), np.float32(1e-6))


def scores(doubt_refs: tuple[np.ndarray, ...], features: np.ndarray, said: np.ndarray) -> np.ndarray:
    """(n, H) last hidden activations and (n,) the digits the network says -> (n,) scores."""
    a = _unit_rows(features)
    out = np.empty(len(a), np.float32)
    for k, refs in enumerate(doubt_refs):
        rows = np.flatnonzero(said == k)
        for i in range(0, len(rows), 1000):  # chunks keep the (rows, n_k) similarity matrix small
            chunk = rows[i:i + 1000]
            # (chunk, H) @ (H, n_k) -> (chunk, n_k). One row (a stroke) by einsum: BLAS splits even this small
            # product over its threads, slow on a busy server; a batch (calibration) by BLAS.
            sims = a[chunk] @ refs.T if len(chunk) > 1 else np.einsum("ih,jh->ij", a[chunk], refs)
            out[chunk] = 1 - np.partition(sims, -K, axis=1)[:, -K:].mean(axis=1)  # the K largest
    return out


def calibrate(params: Params, refs: np.ndarray, ref_labels: np.ndarray, held: np.ndarray,
              rate: float = FLAG_RATE) -> Doubt:
    """References with their labels and held-out digits ((n, 28, 28) uint8) -> the Doubt for this model:
    at most `rate` of `held` flagged."""
    ref_a = _unit_rows(forward(params, scale_uint8(refs)).activations[-1])
    by_digit = tuple(np.ascontiguousarray(ref_a[ref_labels == k]) for k in range(N_CLASSES))
    fwd = forward(params, scale_uint8(held))
    held_s = scores(by_digit, fwd.activations[-1], fwd.probs.argmax(axis=1))
    threshold = float(np.quantile(held_s, 1 - rate, method="higher"))
    return Doubt(by_digit, threshold, float((held_s > threshold).mean()))


def doubt_scores(doubt: Doubt, fwd: Forward) -> np.ndarray:
    """(n,) the score of every row of a forward pass."""
    return scores(doubt.refs, fwd.activations[-1], fwd.probs.argmax(axis=1))


def not_sure(doubt: Doubt, fwd: Forward, row: int = 0) -> bool:
    """True when row `row` of the forward pass looks like no digit the network knows."""
    a, probs = fwd.activations[-1][row:row + 1], fwd.probs[row:row + 1]
    return bool(scores(doubt.refs, a, probs.argmax(axis=1))[0] > doubt.threshold)


def two_most_likely(probs: np.ndarray) -> tuple[int, int]:
    """(10,) probabilities -> the two most likely digits, the likelier first."""
    first, second = np.argsort(-probs, kind="stable")[:2]
    return int(first), int(second)
