"""What the "why this digit" views add to a stroke on the Draw page, measured on the server's side.

Run from the repository root:

    .venv/bin/python -m benchmarks.why_views [--n 200]

For n MNIST test digits drawn as pen strokes (nondigits.digit_drawings, on a 280 px canvas), it times
what one stroke's rerun computes: the page's own work (read_canvas, forward, the softmax bars and the
hidden grid) and, on top of it, the "not sure" flag (always on) and each view while its expander is
open (its engine calls and figures; Streamlit's own sending is not included). "Fool it" computes only
when a digit is picked, never on a stroke, and is timed per pick. The views take turns digit by digit,
so a change in the machine's load hits them alike; medians are printed with their ratio to the page's
own work. The end-to-end bar (pen-up to final Prediction, median <= 150 ms on 200 digits) is measured
in the browser with ../shared/tools/canvas_replay.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from mnistapp.figures.bars import softmax_bars_html
from mnistapp.figures.images import activation_rgb, attribution_png, png_data_url
from mnistapp.paths import DATA_DIR, DRAWN_DIGITS, SHIPPED_MODEL
from mnistcore import forward, load_mnist, load_params, scale_input
from mnistcore.explain.attribution import contributions, fool, linear_attribution, switch_off
from mnistcore.explain.doubt import calibrate, not_sure, reference_images
from mnistcore.preprocess import canvas_ink, digit_steps, plain_resize, read_canvas
from training.pen_strokes import draw_canvas, simplify, skeleton_polylines, smooth


def canvases(n: int, seed: int = 0) -> list[np.ndarray]:
    images, _ = load_mnist("test", DATA_DIR)
    rng = np.random.default_rng(seed)
    out = []
    for img in images[:n]:
        lines = [smooth(simplify(line, 1.0)) for line in skeleton_polylines(img)]
        ink = draw_canvas(lines, 18.0)
        rgba = np.zeros(ink.shape + (4,), np.uint8)
        rgba[..., :3] = np.round(ink * 255).astype(np.uint8)[..., None]
        rgba[..., 3] = 255
        out.append(rgba)
    rng.shuffle(out)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    params = load_params(SHIPPED_MODEL)
    doubt = calibrate(params, *reference_images(DATA_DIR, DRAWN_DIGITS))
    rgbas = canvases(args.n)

    def page(rgba):
        digit = read_canvas(rgba).digit
        fwd = forward(params, scale_input(digit[None]))
        softmax_bars_html(fwd.probs[0], fwd.logits[0], winner=int(fwd.probs[0].argmax()))
        png_data_url(activation_rgb(fwd.activations[1][0], 32))
        contributions(params, fwd, int(fwd.probs[0].argmax()))
        return digit, fwd

    def flag(rgba, digit, fwd):
        not_sure(doubt, params, fwd)

    def attribution(rgba, digit, fwd):
        k = int(fwd.probs[0].argmax())
        k2 = int(np.argsort(-fwd.probs[0])[1])
        C, c0 = linear_attribution(params, fwd.x[0])
        attribution_png(C[:, k])
        attribution_png(C[:, k] - C[:, k2])

    def units(rgba, digit, fwd):
        top = [c.unit for c in contributions(params, fwd, int(fwd.probs[0].argmax()), n=3)]
        off = forward(switch_off(params, top), fwd.x)
        softmax_bars_html(off.probs[0], off.logits[0])

    def steps(rgba, digit, fwd):
        for step in digit_steps(canvas_ink(rgba), frozenset({"crop"})):
            x = step.image.reshape(1, -1) if step.name == "scale" else scale_input(plain_resize(step.image)[None])
            forward(params, x)

    def fool_pick(rgba, digit, fwd):
        fool(params, digit, (int(fwd.probs[0].argmax()) + 1) % 10)

    parts = {"not sure flag": flag, "attribution (open)": attribution, "units off (open, 3 units)": units,
             "preprocessing steps (open)": steps, "fool it (per pick, not per stroke)": fool_pick}
    times = {name: [] for name in ["page's own work", *parts]}
    for rgba in rgbas:
        t = time.perf_counter()
        digit, fwd = page(rgba)
        times["page's own work"].append(time.perf_counter() - t)
        for name, fn in parts.items():
            t = time.perf_counter()
            fn(rgba, digit, fwd)
            times[name].append(time.perf_counter() - t)
    base = np.median(times["page's own work"])
    for name, ts in times.items():
        print(f"{name:36s} median {np.median(ts) * 1000:6.1f} ms  ({np.median(ts) / base:4.2f}x the page's own work)")
    per_stroke = sum(np.median(times[k]) for k in ["page's own work", "not sure flag", "attribution (open)",
                                                   "units off (open, 3 units)", "preprocessing steps (open)"])
    print(f"a stroke with every view open: median about {per_stroke * 1000:.0f} ms of server compute "
          f"({per_stroke / base:.1f}x the page's own work)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
