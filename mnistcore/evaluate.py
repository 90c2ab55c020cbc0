"""The network on the 10,000 MNIST test images: what it predicts, how sure it is, where it fails.

`evaluate` runs batched forward passes over uint8 images (n, 28, 28) and keeps, per image, the
prediction, the probabilities and the loss -log y[true]; everything else (accuracy, per-class
accuracy, the confusion matrix, calibration) is derived from those arrays. Rows of the confusion
matrix are the true digit, columns the prediction. Calibration uses 15 equal-width confidence bins
(lo, hi], the usual expected calibration error: ECE = sum over bins of |B|/n * |accuracy(B) - confidence(B)|.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import load_mnist
from .net import forward, losses
from .params import N_CLASSES, N_PIXELS, ModelFileError, Params
from .preprocess import MNIST_SCALING, Scaling, scale_uint8

N_BINS = 15          # confidence bins of the reliability diagram and the ECE
BATCH = 2500         # images per forward pass: ~20 MB of activations at a time for 784-512-10, not ~80 MB


@dataclass(frozen=True, eq=False)
class Evaluation:
    labels: np.ndarray       # (n,) true digits
    predictions: np.ndarray  # (n,) argmax of the probabilities
    probs: np.ndarray        # (n, 10) softmax of the logits
    losses: np.ndarray       # (n,) -log y[true], from the log-softmax
    seconds: float = 0.0     # wall time of the forward pass, as measured
    source: str = ""         # which model, for the report

    @property
    def n(self) -> int:
        return len(self.labels)

    @property
    def confidence(self) -> np.ndarray:
        """(n,) probability of the predicted digit."""
        return self.probs.max(axis=1)

    @property
    def correct(self) -> np.ndarray:
        """(n,) bool, prediction == label."""
        return self.predictions == self.labels

    @property
    def accuracy(self) -> float:
        return float(self.correct.mean())

    @property
    def mean_loss(self) -> float:
        """Mean cross-entropy over the images."""
        return float(self.losses.mean())

    @property
    def class_counts(self) -> np.ndarray:
        """(10,) how many test images of each digit."""
        return np.bincount(self.labels, minlength=N_CLASSES)

    @property
    def per_class_accuracy(self) -> np.ndarray:
        """(10,) accuracy on the images of each true digit (nan for a digit with no images)."""
        hits = np.bincount(self.labels, weights=self.correct, minlength=N_CLASSES)
        with np.errstate(invalid="ignore", divide="ignore"):
            return hits / self.class_counts

    @property
    def confusion(self) -> np.ndarray:
        """(10, 10) int counts: confusion[true, predicted]."""
        flat = self.labels.astype(np.int64) * N_CLASSES + self.predictions
        return np.bincount(flat, minlength=N_CLASSES * N_CLASSES).reshape(N_CLASSES, N_CLASSES)


def evaluate(params: Params, images_uint8: np.ndarray, labels: np.ndarray, source: str = "",
             scaling: Scaling = MNIST_SCALING) -> Evaluation:
    """(n, 28, 28) uint8 images and (n,) labels -> Evaluation, from forward passes of BATCH images.

    Batches, because a server evaluates the models of many sessions: the activations of 10,000 images
    at once would take ~80 MB each time.
    """
    labels = np.asarray(labels).astype(np.int64)
    start = time.perf_counter()
    logits, probs = [], []
    for s in range(0, len(images_uint8), BATCH):
        fwd = forward(params, scale_uint8(images_uint8[s:s + BATCH], scaling))  # (BATCH, 784) -> logits (BATCH, 10)
        logits.append(fwd.logits)
        probs.append(fwd.probs)
    logits, probs = np.concatenate(logits), np.concatenate(probs)
    seconds = time.perf_counter() - start
    return Evaluation(labels=labels, predictions=probs.argmax(axis=1), probs=probs,
                      losses=losses(logits, labels), seconds=seconds, source=source)


def evaluate_model(path_or_params: str | Path | Params, data_dir: str | Path) -> Evaluation:
    """A model file (or Params) on the MNIST test set in `data_dir`. Raises ModelFileError / DataFileError for bad files."""
    from .load import load_params  # the loader is only needed when we are given a path
    if isinstance(path_or_params, Params):
        params, source = path_or_params, "model"
    else:
        path = Path(path_or_params)
        if not path.is_file():
            what = "is a folder" if path.is_dir() else "does not exist"
            raise ModelFileError(f"{path} {what}. Pass the path of a model file (.pth, .safetensors, .npz).")
        params, source = load_params(path), path.name
    if params.sizes[0] != N_PIXELS or params.sizes[-1] != N_CLASSES:
        raise ModelFileError(f"This network maps {params.sizes[0]} inputs to {params.sizes[-1]} outputs; "
                             "MNIST needs 784 inputs (28x28 pixels) and 10 outputs (the digits).")
    images, labels = load_mnist("test", data_dir)
    return evaluate(params, images, labels, source=source)


def disagreements(a: Evaluation, b: Evaluation) -> np.ndarray:
    """Indices of the images on which two models' predictions differ, those where either is wrong
    with the larger loss first (a and b must be on the same images)."""
    assert np.array_equal(a.labels, b.labels), "two evaluations of the same images"
    differ = np.flatnonzero(a.predictions != b.predictions)
    worst = np.maximum(a.losses[differ], b.losses[differ])
    return differ[np.argsort(-worst, kind="stable")]


# --- calibration -------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Reliability:
    edges: np.ndarray       # (n_bins + 1,) bin edges from 0 to 1; bin b holds confidences in (edges[b], edges[b+1]]
    counts: np.ndarray      # (n_bins,) images per bin
    confidence: np.ndarray  # (n_bins,) mean confidence in the bin (nan when empty)
    accuracy: np.ndarray    # (n_bins,) fraction right in the bin (nan when empty)

    @property
    def ece(self) -> float:
        """Expected calibration error: sum over bins of |B|/n * |accuracy(B) - confidence(B)|."""
        filled = self.counts > 0
        weights = self.counts[filled] / self.counts.sum()
        return float((weights * np.abs(self.accuracy[filled] - self.confidence[filled])).sum())


def reliability(confidence: np.ndarray, correct: np.ndarray, n_bins: int = N_BINS) -> Reliability:
    """(n,) confidences in [0, 1] and (n,) bools -> per-bin counts, mean confidence and accuracy."""
    confidence = np.asarray(confidence, np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # bin b is (edges[b], edges[b+1]]; a confidence of exactly 0 joins the first bin
    bins = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(bins, weights=confidence, minlength=n_bins) / counts
        acc = np.bincount(bins, weights=np.asarray(correct, np.float64), minlength=n_bins) / counts
    return Reliability(edges=edges, counts=counts, confidence=mean_conf, accuracy=acc)


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, n_bins: int = N_BINS) -> float:
    """ECE over n_bins equal-width confidence bins, between 0 and 1."""
    return reliability(confidence, correct, n_bins).ece


# --- the report ---------------------------------------------------------------------------------

def format_percent(x: float) -> str:
    """0.98889 -> '98.89%': the one way the CLI and every page write a percentage (Plotly's '.2%' too)."""
    return f"{100 * x:.2f}%"


def format_report(ev: Evaluation) -> str:
    """The text `python -m mnistcore evaluate` prints."""
    name = f"{ev.source} on " if ev.source else ""
    lines = [f"{name}the {ev.n:,} MNIST test images (NumPy engine, one forward pass in {ev.seconds:.3f} s)",
             f"accuracy            {format_percent(ev.accuracy)}  ({int(ev.correct.sum()):,} of {ev.n:,})",
             f"mean cross-entropy  {ev.mean_loss:.4f}",
             f"calibration (ECE)   {format_percent(expected_calibration_error(ev.confidence, ev.correct))}"
             f"  ({N_BINS} confidence bins)",
             "per-class accuracy"]
    hits = np.diag(ev.confusion)
    for d, (acc, n) in enumerate(zip(ev.per_class_accuracy, ev.class_counts)):
        lines.append(f"  {d}  {format_percent(acc)}  ({hits[d]:,} of {n:,})")
    return "\n".join(lines)
