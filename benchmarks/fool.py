"""How often "fool it" (mnistcore.explain.fool) makes the network say another digit, on 100 test digits.

Run from the repository root:

    .venv/bin/python -m benchmarks.fool [--model mnist_model.pth] [--n 100] [--max-steps 200] [--step 0.02]

For each of the first n MNIST test digits and a target drawn at random among the nine other digits
(seeded), it takes signed steps of `step` against the gradient of -log y[target] with respect to the
pixels, at most `max-steps`, and prints how often the network ends up saying the target, the steps and
the ink that took (ink: the sum of |change| over the pixels, 1 = one pixel from blank to full).
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from mnistapp.paths import DATA_DIR, SHIPPED_MODEL
from mnistcore import load_mnist, load_params
from mnistcore.explain.attribution import fool


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=str(SHIPPED_MODEL))
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--max-steps", type=int, default=200)
    ap.add_argument("--step", type=float, default=0.02)
    args = ap.parse_args()
    params = load_params(args.model)
    images, labels = load_mnist("test", DATA_DIR)
    rng = np.random.default_rng(0)
    results, t = [], time.perf_counter()
    for img, label in zip(images[:args.n] / np.float32(255), labels[:args.n]):
        target = int((label + rng.integers(1, 10)) % 10)
        results.append(fool(params, img, target, step=args.step, max_steps=args.max_steps))
    seconds = time.perf_counter() - t
    ok = [r for r in results if r.success]
    print(f"{len(ok)} of {len(results)} test digits made to say their target within {args.max_steps} steps "
          f"of {args.step} ({len(ok) / len(results):.0%}); {seconds / len(results) * 1000:.0f} ms a digit")
    if ok:
        steps, ink = np.array([r.steps for r in ok]), np.array([r.ink for r in ok])
        touched = np.array([(np.abs(r.image - img) > 0.01).sum() for r, img in
                            zip(results, images[:args.n] / np.float32(255)) if r.success])
        print(f"  steps: median {np.median(steps):.0f}, 90th percentile {np.percentile(steps, 90):.0f}, max {steps.max()}")
        print(f"  ink changed: median {np.median(ink):.1f} pixels' worth; pixels touched: median {np.median(touched):.0f} of 784")
    return 0


if __name__ == "__main__":
    sys.exit(main())
