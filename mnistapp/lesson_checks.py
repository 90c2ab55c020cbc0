"""The lesson's tasks as checks: plain functions of the network's arrays, no Streamlit, so tests call them.

Each returns whether a student's drawing, pick or training meets its step's task.
"""
from __future__ import annotations

import numpy as np

from mnistcore import Forward, Params
from mnistcore.explain.attribution import contributions
from mnistcore.preprocess import ink_box

SMALL = 0.5      # step 2: the ink's box at most half the canvas's side...
OFF_CENTRE = 0.15  # ...and its centre at least this share of the side away from the canvas's centre
N_TOP = 4        # step 3: the units that push the answer most, shown among as many that push it least
TRAINED = 0.95   # step 6: the accuracy a trained network must reach


def reads_right(probs: np.ndarray | None, meant: int | None) -> bool:
    """Step 1: the network's answer is the digit the student meant."""
    return probs is not None and meant is not None and int(np.argmax(probs)) == meant


def small_and_off_centre(ink: np.ndarray | None) -> bool:
    """Step 2: (H, W) ink whose box is at most SMALL of the side and off the centre by OFF_CENTRE of it."""
    box = ink_box(ink) if ink is not None else None
    if box is None:
        return False
    top, bottom, left, right = box
    h, w = ink.shape
    centre = np.array([(top + bottom) / 2 / h - 0.5, (left + right) / 2 / w - 0.5])
    return max(bottom - top, right - left) <= SMALL * max(h, w) and float(np.abs(centre).max()) >= OFF_CENTRE


def unit_choices(params: Params, fwd: Forward, k: int) -> tuple[list[int], list[int]]:
    """Step 3: (the N_TOP units that push logit k up the most, and N_TOP units that push it down the most),
    for the one-hidden-layer networks whose units are pictures of their input."""
    top = [c.unit for c in contributions(params, fwd, k, n=N_TOP)]
    push = fwd.activations[-1][0] * params.Ws[-1][:, k]  # (H,) a1[j] * W2[j, k], as contributions computes it
    bottom = [int(j) for j in np.argsort(push, kind="stable")[:N_TOP] if j not in top]
    return top, bottom


def shuffled(units: list[int], seed: int) -> list[int]:
    """The units in an order that does not give the answer away, the same on every rerun for one drawing."""
    return [units[i] for i in np.random.default_rng(seed).permutation(len(units))]


def runner_up(logits: np.ndarray) -> int:
    """Step 4: the digit with the second highest score."""
    return int(np.argsort(-np.asarray(logits), kind="stable")[1])


def gallery(wrong: np.ndarray, n_images: int, rng: np.random.Generator, n: int = 8, n_wrong: int = 2) -> list[int]:
    """Step 5: n of n_images test images, n_wrong of them from `wrong` (the model's mistakes), in a random order."""
    right = np.setdiff1d(np.arange(n_images), wrong)
    n_wrong = min(n_wrong, len(wrong))
    picked = np.concatenate([rng.choice(wrong, n_wrong, replace=False), rng.choice(right, n - n_wrong, replace=False)])
    return [int(i) for i in rng.permutation(picked)]


def trained_accuracy(heldout_acc: list, test_acc: float | None) -> float | None:
    """Step 6: the best accuracy a training has reached so far (held-out points (step, accuracy), or the
    test set's at its end), or None before any."""
    values = [a for _, a in heldout_acc] + ([test_acc] if test_acc is not None else [])
    return max(values) if values else None
