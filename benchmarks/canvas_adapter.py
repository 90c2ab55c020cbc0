"""Adapter for ../shared/tools/canvas_replay: the Draw page's preprocessing and the shipped model.

    cd ../shared/tools/canvas_replay && python canvas_replay.py --offline-only \\
        --offline-predict canvas_adapter:predict --offline-path ../../../main/benchmarks \\
        --split test --n-per-class 50 --stroke-width 18 --canvas-size 280

MODEL=path/to/model.pth selects another model file.
"""
import os

from mnistapp.paths import SHIPPED_MODEL
from mnistcore import forward, load_params, preprocess_canvas, scale_input

PARAMS = load_params(os.environ.get("MODEL", SHIPPED_MODEL))


def predict(rgba):
    """What the Draw page shows: None (the '–') for an empty canvas or a stray dot, else probabilities."""
    digit = preprocess_canvas(rgba)  # the Draw page's own path: mnistcore.preprocess.read_canvas
    return None if digit is None else forward(PARAMS, scale_input(digit[None])).probs[0]
