"""Text alternatives for the figures: one short sentence with the figure's answer, for screen readers and
for anyone whose browser has not drawn the chart yet (a slow link). Arrays in, a string out in the language
`lang` (the catalogue's words and numbers; English by default); pages show it as a caption under the figure.
"""
from __future__ import annotations

import numpy as np

from mnistapp.catalogue import SOURCE, number, translate

from .style import percent, short_number

SIDE = 28


def _n(x: float, lang: str, digits: int = 3) -> str:
    return number(float(x), lang, digits)


def _signed(x: float, lang: str) -> str:
    text = _n(x, lang)
    return text if text.startswith("-") else "+" + text


def _list(parts, lang: str) -> str:
    return translate(", ", lang).join(parts)


def bars_text(probs: np.ndarray, lang: str = SOURCE) -> str:
    """The softmax bars: the top three digits and their probabilities."""
    top = np.argsort(-probs, kind="stable")[:3]
    return translate("Top three: {digits}.", lang).format(
        digits=_list((f"{d} ({percent(probs[d], lang)})" for d in top), lang))


def hidden_text(a: np.ndarray, name: str = "a1", lang: str = SOURCE) -> str:
    """A layer's activations: how many are on, and the three strongest units."""
    top = np.argsort(-a, kind="stable")[:3]
    units = _list((translate("unit {j} ({a})", lang).format(j=j, a=_n(a[j], lang, 2)) for j in top), lang)
    return translate("{name}: {on} of {n} units active; strongest: {units}.", lang).format(
        name=name, on=int((a > 0).sum()), n=len(a), units=units)


def matrix_text(W: np.ndarray, name: str, lang: str = SOURCE) -> str:
    """A weight matrix: its shape, range, and its largest weight's place."""
    i, j = np.unravel_index(int(np.abs(W).argmax()), W.shape)
    return translate("{name}, {rows}×{cols}: weights from {lo} to {hi}, mean |w| {mean}; the largest in size is "
                     "{name}[{i}, {j}] = {w}.", lang).format(
        name=name, rows=W.shape[0], cols=W.shape[1], lo=_n(W.min(), lang), hi=_n(W.max(), lang),
        mean=_n(np.abs(W).mean(), lang), i=i, j=j, w=_n(W[i, j], lang))


def image_text(img: np.ndarray, name: str, lang: str = SOURCE) -> str:
    """A signed 28x28 map: where it is most positive and most negative."""
    hi, lo = np.unravel_index(int(img.argmax()), img.shape), np.unravel_index(int(img.argmin()), img.shape)
    return translate("{name} as a {h}×{w} image: most positive at row {r1}, column {c1} ({v1}); most negative at "
                     "row {r2}, column {c2} ({v2}).", lang).format(
        name=name, h=img.shape[0], w=img.shape[1], r1=hi[0], c1=hi[1], v1=_n(img[hi], lang),
        r2=lo[0], c2=lo[1], v2=_n(img[lo], lang))


def per_item_text(values: np.ndarray, name: str, item: str = "digit", lang: str = SOURCE) -> str:
    """One value per digit (or unit, `item` "unit"): the highest and the lowest."""
    hi, lo = int(values.argmax()), int(values.argmin())
    sentence = (translate("{name}: highest for unit {hi} ({v1}), lowest for unit {lo} ({v2}).", lang) if item == "unit"
                else translate("{name}: highest for digit {hi} ({v1}), lowest for digit {lo} ({v2}).", lang))
    return sentence.format(name=name, hi=hi, v1=_n(values[hi], lang), lo=lo, v2=_n(values[lo], lang))


def votes_text(pros: np.ndarray, cons: np.ndarray, column: np.ndarray, digit: int, lang: str = SOURCE) -> str:
    """The strongest votes for and against a digit."""
    def units(js):
        return _list((translate("unit {j} ({w})", lang).format(j=j, w=_signed(column[j], lang)) for j in js[:3]), lang)
    return translate("Strongest votes for {k}: {pros}; against: {cons}.", lang).format(
        k=digit, pros=units(pros), cons=units(cons))


def histogram_text(counts: np.ndarray, edges: np.ndarray, name: str, lang: str = SOURCE) -> str:
    """A histogram: the range and where most values lie."""
    b = int(counts.argmax())
    return translate("{name}: {n} values from {lo} to {hi}; the most ({m}) between {a} and {b}.", lang).format(
        name=name, n=_n(counts.sum(), lang, 0), lo=_n(edges[0], lang), hi=_n(edges[-1], lang),
        m=_n(counts[b], lang, 0), a=_n(edges[b], lang), b=_n(edges[b + 1], lang))


def confusion_text(confusion: np.ndarray, lang: str = SOURCE) -> str:
    """The confusion matrix: the three most common mistakes (true digit read as another)."""
    off = confusion.astype(float).copy()
    np.fill_diagonal(off, -1)
    if off.max() <= 0:
        return translate("No mistakes.", lang)
    flat = np.argsort(-off, axis=None, kind="stable")[:3]
    pairs = [np.unravel_index(int(k), off.shape) for k in flat]
    mistakes = _list((translate("{t} read as {p} ({n})", lang).format(t=t, p=p, n=int(confusion[t, p]))
                      for t, p in pairs if confusion[t, p] > 0), lang)
    return translate("Most common mistakes: {list}.", lang).format(list=mistakes)


def accuracy_text(per_class_accuracy: np.ndarray, lang: str = SOURCE) -> str:
    """Accuracy per digit: the three hardest digits."""
    low = np.argsort(per_class_accuracy, kind="stable")[:3]
    digits = _list((translate("{d} ({p} right)", lang).format(d=d, p=percent(per_class_accuracy[d], lang))
                    for d in low), lang)
    return translate("Hardest digits: {list}.", lang).format(list=digits)


def reliability_text(confidence: np.ndarray, accuracy: np.ndarray, counts: np.ndarray, lang: str = SOURCE) -> str:
    """The reliability diagram: the busiest bin, and the bin where confidence and accuracy differ most."""
    full = np.flatnonzero(counts > 0)
    busiest = full[int(counts[full].argmax())]
    worst = full[int(np.abs(confidence[full] - accuracy[full]).argmax())]
    return translate("{n} answers are {c} sure on average and {a} right; the largest gap: {c2} sure, {a2} right "
                     "({n2} answers).", lang).format(
        n=_n(counts[busiest], lang, 0), c=percent(confidence[busiest], lang), a=percent(accuracy[busiest], lang),
        c2=percent(confidence[worst], lang), a2=percent(accuracy[worst], lang), n2=_n(counts[worst], lang, 0))


def confidence_text(confidence: np.ndarray, correct: np.ndarray, lang: str = SOURCE) -> str:
    """Confidence of right and wrong answers: their medians."""
    sentences = {True: translate("Right answers: median confidence {p} ({n})", lang),
                 False: translate("wrong answers: median confidence {p} ({n})", lang)}
    parts = [sentences[right].format(p=percent(np.median(confidence[mask]), lang), n=_n(mask.sum(), lang, 0))
             for right, mask in ((True, correct), (False, ~correct)) if mask.any()]
    text = translate("; ", lang).join(parts)
    return text[:1].upper() + text[1:] + "."


def order_text(order: np.ndarray, by: str, lang: str = SOURCE) -> str:
    """The tile grid: which units come first and last in its order (`by`, already in the language)."""
    return translate("Tiles ordered by {by}: first units {first}; last unit {last}.", lang).format(
        by=by, first=", ".join(map(str, order[:5].tolist())), last=order[-1])


def map_text(star: np.ndarray, near_labels: np.ndarray, lang: str = SOURCE) -> str:
    """The hidden map: where the (2,) star is and what its nearest test images' labels are."""
    counts = np.bincount(near_labels, minlength=10)
    most = int(counts.argmax())
    return translate("Map: your input lands at ({x}, {y}); {n} of its {k} nearest test images are {d}s (their "
                     "labels: {labels}).", lang).format(
        x=_n(star[0], lang, 1), y=_n(star[1], lang, 1), n=counts[most], k=len(near_labels), d=most,
        labels=", ".join(map(str, near_labels.tolist())))


def tiles_text(W1: np.ndarray, n: int, lang: str = SOURCE) -> str:
    """The first n units' weight tiles: how many, and which unit's weights are largest."""
    norms = np.linalg.norm(W1[:, :n], axis=0)
    j = int(norms.argmax())
    return translate("The incoming weights of hidden units 0 to {last} as 28×28 tiles; the largest in size are unit "
                     "{j}'s (norm {norm}).", lang).format(last=min(n, W1.shape[1]) - 1, j=j, norm=_n(norms[j], lang, 2))


def curve_text(points: list[tuple[float, float]], name: str, x_name: str, lang: str = SOURCE) -> str:
    """A curve (x, y) points: where it starts and ends, and its lowest and highest y (names already translated)."""
    if not points:
        return translate("{name}: no points yet.", lang).format(name=name)
    ys = [y for _, y in points]
    return translate("{name}: from {y0} at {x_name} {x0} to {y1} at {x_name} {x1}; lowest {lo}, highest {hi}.",
                     lang).format(name=name, x_name=x_name, y0=_n(ys[0], lang), x0=short_number(points[0][0], lang),
                                  y1=_n(ys[-1], lang), x1=short_number(points[-1][0], lang), lo=_n(min(ys), lang),
                                  hi=_n(max(ys), lang))
