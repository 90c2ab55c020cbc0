"""Which drawn digits a model misreads, and how many of those drawings lost a loop of their digit.

    .venv/bin/python -m benchmarks.drawn_errors [--model mnist_model.pth] [--width 18] [--start 55000] [--n 5000]

Each MNIST training digit from `--start` (by default the 5,000 held out for validation; never the test set)
is drawn once with `training/pen_strokes.py`, as `training/train.py` draws its pen strokes (threshold at 128, skeleton, round
pen of `--width` px on a 280 px canvas, then the Draw page's preprocessing), and read by the model. For the
digits with loops (0, 6 and 9 have one, 8 two) it counts the drawings with fewer loops than their digit:
mostly a loop the scan filled with ink above the threshold (counted too), which the skeleton then runs
through as a line or a knob (an 8 with a filled lower loop is drawn as a 9); a wide pen closes a few more.
It prints the accuracy per digit, the same split into drawings that kept their loops and drawings that lost
one, and the commonest misreadings.
"""
import argparse
import collections
import sys
from pathlib import Path

import numpy as np

from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistcore import forward, load_mnist, load_params, scale_input
from training import pen_strokes
from training.pen_strokes import LOOPS, lost_loops


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=SHIPPED_MODEL)
    ap.add_argument("--width", type=float, default=18.0, help="pen width, px of the 280 px canvas")
    ap.add_argument("--start", type=int, default=55000, help="first training image (55,000: the held-out ones)")
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    images, labels = load_mnist("train", DATA_DIR)
    images, labels = images[a.start:a.start + a.n], labels[a.start:a.start + a.n]
    rng = np.random.default_rng(a.seed)
    drawn = np.stack([pen_strokes.draw_digit(pen_strokes.skeleton_polylines(img), a.width, rng) for img in images])
    said = forward(load_params(a.model), scale_input(drawn.astype(np.float32) / 255)).probs.argmax(1)
    right = said == labels
    lost, filled = lost_loops(drawn, labels), lost_loops(images, labels)  # filled: already in the scan

    print(f"{a.model.name}: {len(labels)} training digits from {a.start} drawn with a {a.width:g} px pen: "
          f"{right.mean():.4f} read right")
    print("digit  drawings  right   lost a loop  right when lost  right when kept  scan lacks a loop")
    for d in range(10):
        m = labels == d
        cells = [f"{d:5d}  {m.sum():8d}  {right[m].mean():.3f}"]
        if d in LOOPS:
            k, kept = m & lost, m & ~lost
            when_lost = right[k].mean() if k.any() else float("nan")
            cells.append(f"  {k.sum():11d}  {when_lost:15.3f}  {right[kept].mean():15.3f}  {(m & filled).sum():17d}")
        print("".join(cells))
    wrong = ~right
    print(f"misread: {wrong.sum()}, of which drawings that lost a loop: {(wrong & lost).sum()}")
    common = collections.Counter(zip(labels[wrong].tolist(), said[wrong].tolist())).most_common(6)
    print("commonest misreadings (digit -> read as: count): " + ", ".join(f"{y} -> {p}: {c}" for (y, p), c in common))
    return 0


if __name__ == "__main__":
    sys.exit(main())
