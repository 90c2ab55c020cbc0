"""How often the photo pipeline reads a photo right, per kind of clutter, against a plain threshold and crop.

    .venv/bin/python -m benchmarks.photo_accuracy [--per-kind 100] [--seed 0]

Photos are made by harness/photos.py from MNIST *training* digits (the model never saw them as photos):
the digit enlarged to 30-60 % of the short side, turned by up to 12 degrees, off-centre, ink on paper under
uneven light (or chalk on a board), noise, JPEG, plus one kind of clutter. The bar: at least 95 % right
over all kinds, and the plain reading (Otsu threshold, crop to all the ink) under half.
"""
import argparse
import sys
import time

import numpy as np

from harness.photos import CLUTTER, make_photo, plain_threshold_digit
from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistcore import forward, load_mnist, load_params, preprocess_photo, scale_input

BAR, PLAIN_BAR = 0.95, 0.5


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-kind", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    params = load_params(SHIPPED_MODEL)
    images, labels = load_mnist("train", DATA_DIR)
    rng = np.random.default_rng(args.seed)
    read = lambda d: -1 if d is None else int(forward(params, scale_input(d[None])).probs.argmax())
    ours_all, plain_all, seconds = [], [], []
    print(f"{'clutter':12s} {'pipeline':>9s} {'plain':>7s}   ({args.per_kind} photos each)")
    for kind in CLUTTER:
        ours, plain = [], []
        for _ in range(args.per_kind):
            i = int(rng.integers(len(images)))
            data = make_photo(images[i], kind, rng)
            t = time.perf_counter()
            ours.append(read(preprocess_photo(data)) == labels[i])
            seconds.append(time.perf_counter() - t)
            plain.append(read(plain_threshold_digit(data)) == labels[i])
        print(f"{kind:12s} {np.mean(ours):9.1%} {np.mean(plain):7.1%}")
        ours_all += ours
        plain_all += plain
    acc, plain_acc = float(np.mean(ours_all)), float(np.mean(plain_all))
    print(f"{'all':12s} {acc:9.1%} {plain_acc:7.1%}   median {np.median(seconds) * 1000:.0f} ms a photo")
    ok = acc >= BAR and plain_acc < PLAIN_BAR
    print(f"{'PASS' if ok else 'FAIL'}: pipeline {acc:.1%} (bar >= {BAR:.0%}), plain threshold {plain_acc:.1%} "
          f"(bar < {PLAIN_BAR:.0%})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
