"""Reading order of detected boxes: PaddleOCR's `sorted_boxes` (tools/infer/predict_system.py).

Boxes are sorted by their first corner (top-left), top to bottom then left to right; then a box whose
top-left is within `SAME_LINE_PX` vertically of the box before it, and left of it, moves before it
(bubbling back along the run of such boxes), so a line whose boxes sit a few pixels apart reads left to right.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SAME_LINE_PX = 10
"""Vertical distance between top-left corners, px, under which two boxes count as one line."""


def reading_order(boxes: Sequence[np.ndarray]) -> list[int]:
    """Indices of `boxes` (each N x 2, first corner top-left) in PaddleOCR's reading order."""
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i][0][1], boxes[i][0][0]))
    for i in range(len(order) - 1):
        for j in range(i, -1, -1):
            below, above = boxes[order[j + 1]][0], boxes[order[j]][0]
            if abs(below[1] - above[1]) < SAME_LINE_PX and below[0] < above[0]:
                order[j], order[j + 1] = order[j + 1], order[j]
            else:
                break
    return order


def sorted_boxes(boxes: Sequence[np.ndarray]) -> list[np.ndarray]:
    """`boxes` in reading order (PaddleOCR's sorted_boxes)."""
    return [boxes[i] for i in reading_order(boxes)]
