"""benchmarks/drawn_errors.py's loop count: the holes in a digit's ink, as the skeleton sees it."""

import numpy as np

from training.pen_strokes import loops

r, c = np.mgrid[:28, :28]


def ring(cy, cx, outer, inner):
    d = np.hypot(r - cy, c - cx)
    return ((d <= outer) & (d > inner)).astype(np.uint8) * 255


def test_an_eight_has_two_loops_and_loses_one_when_its_lower_loop_is_filled():
    eight = np.maximum(ring(8, 14, 5, 3), ring(19, 14, 6, 4))
    assert loops(eight) == 2
    filled = np.maximum(ring(8, 14, 5, 3), ring(19, 14, 6, -1))
    assert loops(filled) == 1


def test_a_one_pixel_diagonal_ring_is_one_loop_and_faint_ink_is_no_ink():
    diamond = (np.abs(r - 14) + np.abs(c - 14) == 6).astype(np.uint8) * 255  # pixels touch only at corners
    assert loops(diamond) == 1
    assert loops(diamond // 2) == 0  # grey 127, under the 128 threshold
    gap = diamond.copy()
    gap[8, 14] = 0  # the top corner: the ring is open
    assert loops(gap) == 0
    assert loops(np.maximum(diamond, ring(14, 14, 2, -1))) == 1  # a dot inside the loop is a second piece, no loop


def test_loops_in_separate_pieces_add_up():
    assert loops(np.maximum(ring(7, 7, 5, 3), ring(20, 20, 5, 3))) == 2
