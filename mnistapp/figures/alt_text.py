"""Text alternatives for the figures: one short sentence with the figure's answer, for screen readers and
for anyone whose browser has not drawn the chart yet (a slow link). Arrays in, a string out; pages show it
as a caption under the figure.
"""
from __future__ import annotations

import numpy as np

from .style import percent

SIDE = 28


def bars_text(probs: np.ndarray) -> str:
    """The softmax bars: the top three digits and their probabilities."""
    top = np.argsort(-probs, kind="stable")[:3]
    return "Top three: " + ", ".join(f"{d} ({percent(probs[d])})" for d in top) + "."


def hidden_text(a: np.ndarray, name: str = "a1") -> str:
    """A layer's activations: how many are on, and the three strongest units."""
    top = np.argsort(-a, kind="stable")[:3]
    return (f"{name}: {int((a > 0).sum())} of {len(a)} units active; strongest: "
            + ", ".join(f"unit {j} ({a[j]:.2f})" for j in top) + ".")


def matrix_text(W: np.ndarray, name: str) -> str:
    """A weight matrix: its shape, range, and its largest weight's place."""
    i, j = np.unravel_index(int(np.abs(W).argmax()), W.shape)
    return (f"{name}, {W.shape[0]}×{W.shape[1]}: weights from {W.min():.3f} to {W.max():.3f}, mean |w| "
            f"{np.abs(W).mean():.3f}; the largest in size is {name}[{i}, {j}] = {W[i, j]:.3f}.")


def image_text(img: np.ndarray, name: str) -> str:
    """A signed 28x28 map: where it is most positive and most negative."""
    hi, lo = np.unravel_index(int(img.argmax()), img.shape), np.unravel_index(int(img.argmin()), img.shape)
    return (f"{name} as a {img.shape[0]}×{img.shape[1]} image: most positive at row {hi[0]}, column {hi[1]} "
            f"({img[hi]:.3f}); most negative at row {lo[0]}, column {lo[1]} ({img[lo]:.3f}).")


def per_item_text(values: np.ndarray, name: str, item: str = "digit") -> str:
    """One value per digit (or unit): the highest and the lowest."""
    hi, lo = int(values.argmax()), int(values.argmin())
    return f"{name}: highest for {item} {hi} ({values[hi]:.3f}), lowest for {item} {lo} ({values[lo]:.3f})."


def votes_text(pros: np.ndarray, cons: np.ndarray, column: np.ndarray, digit: int) -> str:
    """The strongest votes for and against a digit."""
    return (f"Strongest votes for {digit}: " + ", ".join(f"unit {j} ({column[j]:+.3f})" for j in pros[:3])
            + "; against: " + ", ".join(f"unit {j} ({column[j]:+.3f})" for j in cons[:3]) + ".")


def histogram_text(counts: np.ndarray, edges: np.ndarray, name: str) -> str:
    """A histogram: the range and where most values lie."""
    b = int(counts.argmax())
    return (f"{name}: {int(counts.sum()):,} values from {edges[0]:.3f} to {edges[-1]:.3f}; the most "
            f"({int(counts[b]):,}) between {edges[b]:.3f} and {edges[b + 1]:.3f}.")


def confusion_text(confusion: np.ndarray) -> str:
    """The confusion matrix: the three most common mistakes (true digit read as another)."""
    off = confusion.astype(float).copy()
    np.fill_diagonal(off, -1)
    flat = np.argsort(-off, axis=None, kind="stable")[:3]
    pairs = [np.unravel_index(int(k), off.shape) for k in flat]
    return ("Most common mistakes: " + ", ".join(f"{t} read as {p} ({int(confusion[t, p])})" for t, p in pairs
                                                  if confusion[t, p] > 0) + "."
            if off.max() > 0 else "No mistakes.")


def accuracy_text(per_class_accuracy: np.ndarray) -> str:
    """Accuracy per digit: the three hardest digits."""
    low = np.argsort(per_class_accuracy, kind="stable")[:3]
    return "Hardest digits: " + ", ".join(f"{d} ({per_class_accuracy[d]:.1%} right)" for d in low) + "."


def reliability_text(confidence: np.ndarray, accuracy: np.ndarray, counts: np.ndarray) -> str:
    """The reliability diagram: the busiest bin, and the bin where confidence and accuracy differ most."""
    full = np.flatnonzero(counts > 0)
    busiest = full[int(counts[full].argmax())]
    worst = full[int(np.abs(confidence[full] - accuracy[full]).argmax())]
    return (f"{int(counts[busiest]):,} answers are {confidence[busiest]:.1%} sure on average and "
            f"{accuracy[busiest]:.1%} right; the largest gap: {confidence[worst]:.1%} sure, "
            f"{accuracy[worst]:.1%} right ({int(counts[worst]):,} answers).")


def confidence_text(confidence: np.ndarray, correct: np.ndarray) -> str:
    """Confidence of right and wrong answers: their medians."""
    parts = [f"{word} answers: median confidence {np.median(confidence[mask]):.1%} ({int(mask.sum()):,})"
             for word, mask in (("right", correct), ("wrong", ~correct)) if mask.any()]
    return "; ".join(parts).capitalize() + "."


def order_text(order: np.ndarray, by: str) -> str:
    """The tile grid: which units come first and last in its order."""
    return f"Tiles ordered by {by}: first units {', '.join(map(str, order[:5].tolist()))}; last unit {order[-1]}."


def map_text(star: np.ndarray, near_labels: np.ndarray) -> str:
    """The hidden map: where the (2,) star is and what its nearest test images' labels are."""
    counts = np.bincount(near_labels, minlength=10)
    most = int(counts.argmax())
    return (f"Map: your input lands at ({star[0]:.1f}, {star[1]:.1f}); {counts[most]} of its "
            f"{len(near_labels)} nearest test images are {most}s "
            f"(their labels: {', '.join(map(str, near_labels.tolist()))}).")


def tiles_text(W1: np.ndarray, n: int) -> str:
    """The first n units' weight tiles: how many, and which unit's weights are largest."""
    norms = np.linalg.norm(W1[:, :n], axis=0)
    j = int(norms.argmax())
    return (f"The incoming weights of hidden units 0 to {min(n, W1.shape[1]) - 1} as 28×28 tiles; the largest "
            f"in size are unit {j}'s (norm {norms[j]:.2f}).")


def curve_text(points: list[tuple[float, float]], name: str, x_name: str) -> str:
    """A curve (x, y) points: where it starts and ends, and its lowest and highest y."""
    if not points:
        return f"{name}: no points yet."
    ys = [y for _, y in points]
    return (f"{name}: from {ys[0]:.3f} at {x_name} {points[0][0]:g} to {ys[-1]:.3f} at {x_name} {points[-1][0]:g}; "
            f"lowest {min(ys):.3f}, highest {max(ys):.3f}.")
