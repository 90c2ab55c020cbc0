"""Text alternatives for the Weights, Test set and Learn pages' figures, in the visitor's language: the
sentences of `alt_text` with their words from the caller's `tr` (see `words`) and numbers written with the
language's decimal mark. In English (`tr` left as `same`) each reads exactly as its `alt_text` namesake.
"""
from __future__ import annotations

import numpy as np

from .style import percent
from .words import N_, Translate, percent_sign, same


def num(x: float, spec: str, tr: Translate = same) -> str:
    """format(x, spec) with the language's marks: 1,234.5 in English, 1.234,5 in German."""
    return num_text(format(x, spec), tr)


def pct(x: float, tr: Translate = same, digits: int = 1) -> str:
    """A share as a percentage: 0.991 -> "99.1%" in English, "99,1 %" in German."""
    return num(100 * x, f".{digits}f", tr) + percent_sign(tr)


def matrix_text(W: np.ndarray, name: str, tr: Translate = same) -> str:
    """A weight matrix: its shape, range, and its largest weight's place."""
    i, j = np.unravel_index(int(np.abs(W).argmax()), W.shape)
    return tr(N_("{name}, {rows}×{cols}: weights from {lo} to {hi}, mean |w| {mean}; the largest in size is "
                 "{name}[{i}, {j}] = {w}.")).format(
        name=name, rows=W.shape[0], cols=W.shape[1], lo=num(W.min(), ".3f", tr), hi=num(W.max(), ".3f", tr),
        mean=num(np.abs(W).mean(), ".3f", tr), i=i, j=j, w=num(W[i, j], ".3f", tr))


def image_text(img: np.ndarray, name: str, tr: Translate = same) -> str:
    """A signed 28x28 map: where it is most positive and most negative."""
    hi, lo = np.unravel_index(int(img.argmax()), img.shape), np.unravel_index(int(img.argmin()), img.shape)
    return tr(N_("{name} as a {h}×{w} image: most positive at row {r1}, column {c1} ({v1}); most negative at "
                 "row {r2}, column {c2} ({v2}).")).format(
        name=name, h=img.shape[0], w=img.shape[1], r1=hi[0], c1=hi[1], v1=num(img[hi], ".3f", tr),
        r2=lo[0], c2=lo[1], v2=num(img[lo], ".3f", tr))


def per_item_text(values: np.ndarray, name: str, item: str = "digit", tr: Translate = same) -> str:
    """One value per digit (or unit, item "unit"): the highest and the lowest."""
    hi, lo = int(values.argmax()), int(values.argmin())
    sentence = (N_("{name}: highest for digit {hi} ({v1}), lowest for digit {lo} ({v2}).") if item == "digit" else
                N_("{name}: highest for unit {hi} ({v1}), lowest for unit {lo} ({v2})."))
    return tr(sentence).format(name=name, hi=hi, lo=lo, v1=num(values[hi], ".3f", tr), v2=num(values[lo], ".3f", tr))


def votes_text(pros: np.ndarray, cons: np.ndarray, column: np.ndarray, digit: int, tr: Translate = same) -> str:
    """The strongest votes for and against a digit."""
    def units(js) -> str:
        return ", ".join(tr(N_("unit {j} ({w})")).format(j=j, w=num(column[j], "+.3f", tr)) for j in js[:3])
    return tr(N_("Strongest votes for {k}: {pros}; against: {cons}.")).format(k=digit, pros=units(pros),
                                                                             cons=units(cons))


def histogram_text(counts: np.ndarray, edges: np.ndarray, name: str, tr: Translate = same) -> str:
    """A histogram: the range and where most values lie."""
    b = int(counts.argmax())
    return tr(N_("{name}: {n} values from {lo} to {hi}; the most ({m}) between {a} and {b}.")).format(
        name=name, n=num(int(counts.sum()), ",", tr), lo=num(edges[0], ".3f", tr), hi=num(edges[-1], ".3f", tr),
        m=num(int(counts[b]), ",", tr), a=num(edges[b], ".3f", tr), b=num(edges[b + 1], ".3f", tr))


def confusion_text(confusion: np.ndarray, tr: Translate = same) -> str:
    """The confusion matrix: the three most common mistakes (true digit read as another)."""
    off = confusion.astype(float).copy()
    np.fill_diagonal(off, -1)
    if off.max() <= 0:
        return tr(N_("No mistakes."))
    pairs = [np.unravel_index(int(k), off.shape) for k in np.argsort(-off, axis=None, kind="stable")[:3]]
    return tr(N_("Most common mistakes: {list}.")).format(list=", ".join(
        tr(N_("{t} read as {p} ({n})")).format(t=t, p=p, n=int(confusion[t, p])) for t, p in pairs if confusion[t, p] > 0))


def accuracy_text(per_class_accuracy: np.ndarray, tr: Translate = same) -> str:
    """Accuracy per digit: the three hardest digits."""
    low = np.argsort(per_class_accuracy, kind="stable")[:3]
    return tr(N_("Hardest digits: {list}.")).format(list=", ".join(
        tr(N_("{d} ({p} right)")).format(d=d, p=pct(per_class_accuracy[d], tr)) for d in low))


def reliability_text(confidence: np.ndarray, accuracy: np.ndarray, counts: np.ndarray, tr: Translate = same) -> str:
    """The reliability diagram: the busiest bin, and the bin where confidence and accuracy differ most."""
    full = np.flatnonzero(counts > 0)
    busiest = full[int(counts[full].argmax())]
    worst = full[int(np.abs(confidence[full] - accuracy[full]).argmax())]
    return tr(N_("{n} answers are {c} sure on average and {a} right; the largest gap: {c2} sure, {a2} right "
                 "({n2} answers).")).format(
        n=num(int(counts[busiest]), ",", tr), c=pct(confidence[busiest], tr), a=pct(accuracy[busiest], tr),
        c2=pct(confidence[worst], tr), a2=pct(accuracy[worst], tr), n2=num(int(counts[worst]), ",", tr))


def confidence_text(confidence: np.ndarray, correct: np.ndarray, tr: Translate = same) -> str:
    """Confidence of right and wrong answers: their medians."""
    parts = [tr(sentence).format(p=pct(np.median(confidence[mask]), tr), n=num(int(mask.sum()), ",", tr))
             for sentence, mask in ((N_("Right answers: median confidence {p} ({n})"), correct),
                                    (N_("wrong answers: median confidence {p} ({n})"), ~correct)) if mask.any()]
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def order_text(order: np.ndarray, by: str, tr: Translate = same) -> str:
    """The tile grid: which units come first and last in its order (`by`, already in the language)."""
    return tr(N_("Tiles ordered by {by}: first units {first}; last unit {last}.")).format(
        by=by, first=", ".join(map(str, order[:5].tolist())), last=order[-1])


def tiles_text(W1: np.ndarray, n: int, tr: Translate = same) -> str:
    """The first n units' weight tiles: how many, and which unit's weights are largest."""
    norms = np.linalg.norm(W1[:, :n], axis=0)
    j = int(norms.argmax())
    return tr(N_("The incoming weights of hidden units 0 to {last} as 28×28 tiles; the largest in size are unit "
                 "{j}'s (norm {norm}).")).format(last=min(n, W1.shape[1]) - 1, j=j, norm=num(norms[j], ".2f", tr))


def curve_text(points: list[tuple[float, float]], name: str, x_name: str, tr: Translate = same) -> str:
    """A curve (x, y) points: where it starts and ends, and its lowest and highest y (names already translated)."""
    if not points:
        return tr(N_("{name}: no points yet.")).format(name=name)
    ys = [y for _, y in points]
    return tr(N_("{name}: from {y0} at {x_name} {x0} to {y1} at {x_name} {x1}; lowest {lo}, highest {hi}.")).format(
        name=name, x_name=x_name, y0=num(ys[0], ".3f", tr), x0=num(points[0][0], "g", tr), y1=num(ys[-1], ".3f", tr),
        x1=num(points[-1][0], "g", tr), lo=num(min(ys), ".3f", tr), hi=num(max(ys), ".3f", tr))


def share(p: float, tr: Translate = same) -> str:
    """`style.percent` (one decimal, never a false 0 or 100) in the language: "99.7%", "<0.1%"; "99,7 %"."""
    return num_text(percent(p)[:-1], tr) + percent_sign(tr)


def num_text(text: str, tr: Translate = same) -> str:
    """A number already written in English ("1,234.5") with the language's marks."""
    marks = tr(N_(".,"))
    return text if marks == ".," else text.translate(str.maketrans({".": marks[0], ",": marks[1]}))
