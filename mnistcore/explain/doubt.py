"""An honest "not sure": how far a drawing's last hidden layer is from the training digits the network names.

The softmax alone cannot say "none of these": it shares 100 % among ten digits however strange the
input, and a ReLU network's logits grow with any strong input, so a letter far from every digit can
still get 99 %. The score here asks the network's own features instead:

    score(x) = (1 - mean of the K largest cos(f(x), f(r)) over the reference digits r labelled k) / limit[k]

with f(.) = the square roots of the last hidden layer's activations (a1 for 784-512-10) and k the digit
the network says: a drawing whose features point the way of no training k the network calls k is "not
sure". The score is the smallest of nine: the drawing as it is and moved by one pixel in each of the 8
directions (k stays the digit said for the drawing as it is). A real digit a pixel off from where the
centring put it then still finds its neighbours, so the limits below can be tighter, while a letter
stays far from the digits wherever it sits (on the selection seeds, 2 points more non-digits flagged at
the same rate of held-out digits). The square root evens out the units before the cosine, so that the
few strongest units do not decide the direction alone and the many weaker ones count too (it flagged
more letters and shapes at the same rate of flagged digits than the activations themselves). Only the
references of that one digit are compared, a tenth of them, which keeps the score cheap on every stroke.

Each digit gets its own limit, because the digits are not equally varied (for the shipped model a 1's
nearest 1s are nearer than an 8's nearest 8s). limit[k] is set per model on held-out training images
(the last 5,000 scans and their 5,000 drawings, never the test set) so that at most FLAG_RATE of the
held-out scans the network calls k are flagged, and at most FLAG_RATE of the held-out drawings it
calls k: drawings alone, because the page sees drawings, and they sit farther from the references
than scans do (pooled with the scans, a limit would flag more than FLAG_RATE of them). A score above 1
is "not sure".

The references are training digits: every fifth MNIST scan of the first 55,000 and 10,000 of them
redrawn as pen strokes (`data/drawn-digits.npz`, made by make_drawn_digits.py), because a drawing on the
page sits farther from MNIST's scans than another scan does.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import DataFileError, load_mnist
from ..net import forward
from ..params import N_CLASSES, Forward, Params
from ..preprocess import scale_uint8

FLAG_RATE = 0.02                  # at most 2 % of held-out training digits (of each digit, scans and drawings) flagged
N_TRAIN, N_HELD = 55000, 5000     # MNIST's training set: the first 55,000 trained on, the last 5,000 held out
SCAN_STEP = 5                     # every fifth scan of the 55,000 is a reference (11,000)
K = 3                             # the score averages the K nearest references
SHIFTS = tuple((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1))  # the input and its 8 one-pixel moves


@dataclass(frozen=True, eq=False)
class Doubt:
    refs: tuple[np.ndarray, ...]  # refs[k]: (n_k, H) uint8 features f(.) of reference digits k (unit length) x 255
    limits: np.ndarray            # (10,) limits[k]: the raw score above which a drawing called k is "not sure"
    held_flagged: float           # the share of the held-out training digits that the limits flag
    threshold: float = 1.0        # doubt_scores are in units of the named digit's limit: above 1 is "not sure"


def reference_images(data_dir: str | Path, drawn: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """From MNIST's training set in `data_dir` and the pen-drawn digits in the .npz file `drawn`: (references (n, 28, 28) uint8, their
    labels (n,), held-out digits (m, 28, 28) uint8, and for each
    held-out digit whether it is a drawing (m,) bool); scans and drawings."""
    images, labels = load_mnist("train", data_dir)
    drawn = Path(drawn)
    try:
        with np.load(drawn) as f:
            drawn_refs, drawn_held = f["refs"], f["held"]
    except (OSError, KeyError, ValueError) as e:
        raise DataFileError(f"Cannot read {drawn} ({e}). Run `python -m training.make_drawn_digits` to make it again.") from None
    refs = np.concatenate([images[:N_TRAIN:SCAN_STEP], drawn_refs])
    ref_labels = np.concatenate([labels[:N_TRAIN:SCAN_STEP], labels[:len(drawn_refs)]])  # drawn from the first ones
    scans = images[N_TRAIN:N_TRAIN + N_HELD]
    held = np.concatenate([scans, drawn_held])
    return refs, ref_labels, held, np.arange(len(held)) >= len(scans)


def features(a: np.ndarray, *, overwrite: bool = False) -> np.ndarray:
    """(n, H) last hidden activations (>= 0) -> (n, H) unit rows of their square roots (written over `a`
    itself when `overwrite`: the calibration's 21,000 references are 43 MB a copy)."""
    f = np.maximum(a, 0, out=a if overwrite else None)
    np.sqrt(f, out=f)
    f /= np.maximum(np.linalg.norm(f, axis=1, keepdims=True), np.float32(1e-6))
    return f


def quantize(f: np.ndarray) -> np.ndarray:
    """Unit-length features (every entry in [0, 1]) -> uint8 x 255: a quarter of the memory (a model's 21,000
    references take 11 MB, not 43), and the cosines move by about 1e-3, far less than any limit."""
    return np.rint(f * 255).astype(np.uint8)


def raw_scores(doubt_refs: tuple[np.ndarray, ...], a: np.ndarray, said: np.ndarray) -> np.ndarray:
    """(n, H) last hidden activations and (n,) the digits the network says -> (n,) 1 - mean of the K largest
    cosines with the (quantized) references of the digit said."""
    f = features(a) / np.float32(255)
    out = np.empty(len(f), np.float32)
    for k, refs_u8 in enumerate(doubt_refs):
        rows = np.flatnonzero(said == k)
        if not len(rows):
            continue
        refs = refs_u8.astype(np.float32)  # per digit, as it is used: 0.3 ms for one stroke's 2,100 references
        for i in range(0, len(rows), 1000):  # chunks keep the (rows, n_k) similarity matrix small
            chunk = rows[i:i + 1000]
            # (chunk, H) @ (H, n_k) -> (chunk, n_k). One row (a stroke) by einsum: BLAS splits even this small
            # product over its threads, slow on a busy server; a batch (calibration) by BLAS.
            sims = f[chunk] @ refs.T if len(chunk) > 1 else np.einsum("ih,jh->ij", f[chunk], refs)
            out[chunk] = 1 - np.partition(sims, -K, axis=1)[:, -K:].mean(axis=1)  # the K largest
    return out


def shifted(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """(n, 784) network inputs -> the same 28x28 images moved dy rows down and dx columns right, the edge
    they leave filled with each image's blank value (its smallest: ink only adds to a pixel)."""
    img = x.reshape(-1, 28, 28)
    out = np.empty_like(img)
    out[:] = img.min(axis=(1, 2))[:, None, None]
    h, w = 28 - abs(dy), 28 - abs(dx)
    out[:, max(dy, 0):max(dy, 0) + h, max(dx, 0):max(dx, 0) + w] = img[:, max(-dy, 0):max(-dy, 0) + h,
                                                                       max(-dx, 0):max(-dx, 0) + w]
    return out.reshape(len(img), -1)


def shift_scores(doubt_refs: tuple[np.ndarray, ...], params: Params, x: np.ndarray, said: np.ndarray,
                 chunk: int = 500) -> np.ndarray:
    """(n, 784) network inputs and (n,) the digits the network says for them -> (n,) the smallest raw score
    of each input over SHIFTS, every shift compared with the references of the digit said for the input
    as it is. A chunk of inputs at a time, all nine shifts of it in one forward pass."""
    out = np.empty(len(x), np.float32)
    for i in range(0, len(x), chunk):
        xc, sc = x[i:i + chunk], said[i:i + chunk]
        a = forward(params, np.concatenate([shifted(xc, dy, dx) for dy, dx in SHIFTS])).activations[-1]
        out[i:i + chunk] = raw_scores(doubt_refs, a, np.tile(sc, len(SHIFTS))).reshape(len(SHIFTS), -1).min(axis=0)
    return out


def _last_hidden(params: Params, images: np.ndarray, chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """(n, 28, 28) uint8 -> the last hidden layer's activations (n, H) and the digit said (n,), a chunk at a
    time into arrays made once: a forward pass over all 21,000 references at once holds ~150 MB of layers
    it does not need, and chunks gathered and then concatenated hold the activations twice."""
    a = np.empty((len(images), params.sizes[-2]), np.float32)
    said = np.empty(len(images), np.int64)
    for i in range(0, len(images), chunk):
        fwd = forward(params, scale_uint8(images[i:i + chunk]))
        a[i:i + chunk] = fwd.activations[-1]
        said[i:i + chunk] = fwd.probs.argmax(axis=1)
    return a, said


def held_scores(doubt_refs: tuple[np.ndarray, ...], params: Params, images: np.ndarray,
                drawn: np.ndarray | None = None, rate: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(n, 28, 28) uint8 held-out digits -> their raw scores (n,) and the digits said (n,).

    With `rate` (as calibrate calls it), only the scores that can set a limit at that rate are moved. A
    move can only lower a score, so the unmoved score bounds it from above: in each group (a digit said,
    scans or drawings, and all of them together) the moves are computed for the highest unmoved scores
    until the group's top `rate` share is made of moved scores above every unmoved one left, and only
    then. The rest keep their unmoved scores, below every limit: no limit and no flag changes, and a
    calibration of the shipped model moves 1,122 of the 10,000 digits (1.4 s on one BLAS thread, against
    4.6 s moving all; with 20 uploads at once that is the server's CPU and the GIL, shared with every visitor's
    strokes)."""
    n = len(images)
    a, said = _last_hidden(params, images)
    if rate is None:
        return shift_scores(doubt_refs, params, scale_uint8(images), said), said
    bound = raw_scores(doubt_refs, a, said)  # unmoved: each score's upper bound
    del a
    raw, moved = bound.copy(), np.zeros(n, bool)
    drawn = np.zeros(n, bool) if drawn is None else np.asarray(drawn, bool)
    groups = [np.flatnonzero((said == k) & (drawn == d)) for k in range(N_CLASSES) for d in (False, True)]
    for g in [g for g in groups if len(g)] + [np.arange(n)]:
        tail = len(g) - int(np.ceil((1 - rate) * (len(g) - 1)))  # the quantile and the values above it
        m = 4 * tail + 8
        while True:
            top = g[np.argsort(-bound[g], kind="stable")[:m]]
            new = top[~moved[top]]
            raw[new] = shift_scores(doubt_refs, params, scale_uint8(images[new]), said[new])
            moved[new] = True
            rest = g[~moved[g]]
            highest_rest = bound[rest].max() if len(rest) else -np.inf
            if (raw[top] > highest_rest).sum() >= tail:  # always so once every row of g is moved
                break
            m *= 2
    return raw, said


def calibrate(params: Params, refs: np.ndarray, ref_labels: np.ndarray, held: np.ndarray,
              held_drawn: np.ndarray | None = None, rate: float = FLAG_RATE) -> Doubt:
    """References with their labels, held-out digits ((n, 28, 28) uint8) and which of them are drawings
    -> the Doubt for this model: of the held-out digits the network calls k, at most `rate` of the scans
    and at most `rate` of the drawings flagged, for every k."""
    by_digit = tuple(quantize(features(_last_hidden(params, refs[ref_labels == k])[0], overwrite=True))
                     for k in range(N_CLASSES))  # one digit at a time: no copy of all the references at once
    drawn = np.zeros(len(held), bool) if held_drawn is None else np.asarray(held_drawn, bool)
    raw, said = held_scores(by_digit, params, held, drawn, rate)
    everywhere = float(np.quantile(raw, 1 - rate, method="higher"))  # for a digit no held-out image is called
    limits = np.full(N_CLASSES, everywhere, np.float32)
    for k in range(N_CLASSES):
        groups = [raw[(said == k) & (drawn == d)] for d in (False, True)]
        groups = [g for g in groups if len(g)]
        if groups:
            limits[k] = max(np.quantile(g, 1 - rate, method="higher") for g in groups)
    limits = np.maximum(limits, np.float32(1e-6))  # a score of 0 (a reference itself) is never flagged
    # The score that sets a limit, computed again in a batch of another size, can come out a few float32 ulps
    # higher (BLAS takes other paths for other shapes; 2 ulps seen) and would then be flagged: room for that.
    limits = limits * np.float32(1 + 1e-6)
    return Doubt(by_digit, limits, float((raw / limits[said] > 1).mean()))


def _scores(doubt: Doubt, params: Params, x: np.ndarray, probs: np.ndarray) -> np.ndarray:
    said = probs.argmax(axis=1)
    return shift_scores(doubt.refs, params, x, said) / doubt.limits[said]


def doubt_scores(doubt: Doubt, params: Params, fwd: Forward) -> np.ndarray:
    """(n,) the score of every row of a forward pass of `params`, in units of the named digit's limit (above 1:
    "not sure")."""
    return _scores(doubt, params, fwd.x, fwd.probs)


def not_sure(doubt: Doubt, params: Params, fwd: Forward, row: int = 0) -> bool:
    """True when row `row` of a forward pass of `params` looks like no digit the network knows."""
    return bool(_scores(doubt, params, fwd.x[row:row + 1], fwd.probs[row:row + 1])[0] > doubt.threshold)


def two_most_likely(probs: np.ndarray) -> tuple[int, int]:
    """(10,) probabilities -> the two most likely digits, the likelier first."""
    first, second = np.argsort(-probs, kind="stable")[:2]
    return int(first), int(second)
