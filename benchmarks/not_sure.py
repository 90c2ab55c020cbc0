"""How well "not sure" (mnistcore/explain/doubt.py) separates non-digits from real digits drawn on the canvas.

Run from the repository root (about a minute on an idle machine; most of it drawing):

    .venv/bin/python -m benchmarks.not_sure [--model mnist_model.pth] [--n 1000] [--seed 1]

Each digit's limit is set for the model as the app sets it (held-out training scans and drawings, at
most 2 % of each flagged). The score was chosen on seeds 11 and 31; docs/explain.md reports seeds 1, 21, 41.
Then, with `training/nondigits.py`, it draws n non-digits (letters from Pillow's built-in font traced as pen
strokes, scribbles, shapes, crossed-out digits, a quarter each) and n MNIST test digits traced as pen
strokes, all read through the app's `read_canvas`, and prints how many of each are flagged (`--seed s`
draws the non-digits with seed s, picks the test digits with s + 1 and draws them with s + 2). Then it
times one `not_sure` call on one drawing, as a stroke makes it (median of 200). Bars,
printed as PASS or FAIL (exit status 1 on a FAIL):
  at least 80 % of the non-digits flagged;  at most 3 % of the drawn real digits flagged.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from mnistapp.paths import DATA_DIR, DRAWN_DIGITS, SHIPPED_MODEL
from mnistcore import forward, load_mnist, load_params, scale_input
from mnistcore.explain.doubt import calibrate, doubt_scores, not_sure, reference_images
from training.nondigits import KINDS, digit_drawings, nondigit_drawings

NONDIGITS_FLAGGED, DIGITS_FLAGGED = 0.80, 0.03


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=str(SHIPPED_MODEL))
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    params = load_params(args.model)
    t = time.perf_counter()
    doubt = calibrate(params, *reference_images(DATA_DIR, DRAWN_DIGITS))
    print(f"limits per digit {' '.join(f'{v:.3f}' for v in doubt.limits)}, set in {time.perf_counter() - t:.1f} s; "
          f"held-out training digits flagged: {doubt.held_flagged:.2%}")
    nd, kinds = nondigit_drawings(args.n, seed=args.seed)
    images, labels = load_mnist("test", DATA_DIR)
    rng = np.random.default_rng(args.seed + 1)
    pick = rng.choice(len(images), args.n, replace=False)
    dd, kept = digit_drawings(images[pick], seed=args.seed + 2)
    nd_fwd, dd_fwd = forward(params, scale_input(nd)), forward(params, scale_input(dd))
    nd_flag = doubt_scores(doubt, params, nd_fwd) > doubt.threshold
    dd_flag = doubt_scores(doubt, params, dd_fwd) > doubt.threshold
    kinds = np.array(kinds)
    for kind in KINDS:
        m = kinds == kind
        print(f"  {kind:18s} {nd_flag[m].mean():6.1%} of {m.sum()} flagged "
              f"(softmax max >= 0.9 for {(nd_fwd.probs[m].max(axis=1) >= 0.9).mean():.0%} of them)")
    right = dd_fwd.probs.argmax(axis=1) == labels[pick][kept]
    print(f"drawn digits: read right {right.mean():.1%}; flagged {dd_flag.mean():.2%} of {len(dd)} "
          f"({dd_flag[right].mean():.2%} of those read right, {dd_flag[~right].mean():.0%} of those read wrong)")
    times = []
    for i in range(200):  # one stroke: the forward pass is the page's; not_sure is what the flag adds
        fwd = forward(params, scale_input(nd[i % len(nd)][None]))
        t = time.perf_counter()
        not_sure(doubt, params, fwd)
        times.append(time.perf_counter() - t)
    print(f"not_sure on one drawing: median {np.median(times) * 1e3:.2f} ms of 200")
    ok_nd, ok_dd = nd_flag.mean() >= NONDIGITS_FLAGGED, dd_flag.mean() <= DIGITS_FLAGGED
    print(f"{'PASS' if ok_nd else 'FAIL'}: non-digits flagged {nd_flag.mean():.1%} of {len(nd)} (bar >= 80 %)")
    print(f"{'PASS' if ok_dd else 'FAIL'}: drawn digits flagged {dd_flag.mean():.2%} of {len(dd)} (bar <= 3 %)")
    return 0 if ok_nd and ok_dd else 1


if __name__ == "__main__":
    sys.exit(main())
