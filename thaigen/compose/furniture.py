"""Thai-form furniture drawn in a line's margins: underlines, dotted leaders, table rules, boxes, and the
cut-off ink of neighbouring lines. All of it stays outside the label ink's box and is never in the label."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from thaigen.compose.crop import Box


@dataclass(frozen=True)
class Where:
    """What furniture is placed against: the label ink's box, the font size and baseline (px, in the crop)."""

    box: Box
    size_px: int
    baseline: int
    neighbour_ink: np.ndarray | None
    """Ink of another line (same font and size) whose edges may show at the crop's top and bottom."""


def _thickness(rng: np.random.Generator, size_px: int) -> int:
    return int(rng.integers(1, max(2, round(size_px * 0.06)) + 1))


def _gap(rng: np.random.Generator, size_px: int, low: float, high: float) -> int:
    return max(1, round(rng.uniform(low, high) * size_px))


def underline(canvas: np.ndarray, at: Where, rng: np.random.Generator) -> None:
    """A solid line under the ink, about as wide as the text."""
    box, size_px = at.box, at.size_px
    thick = _thickness(rng, size_px)
    y = min(box.bottom + _gap(rng, size_px, 0.05, 0.15) + thick // 2, canvas.shape[0] - 1)
    x0 = max(0, box.left - int(rng.integers(0, size_px // 2 + 1)))
    x1 = min(canvas.shape[1] - 1, box.right + int(rng.integers(0, size_px // 2 + 1)))
    cv2.line(canvas, (x0, y), (x1, y), 255, thick, cv2.LINE_AA)


def leader(canvas: np.ndarray, at: Where, rng: np.random.Generator) -> None:
    """Dotted leaders (.........) on the baseline, left and right of the text, as on Thai forms."""
    box, size_px, baseline = at.box, at.size_px, at.baseline
    pitch = max(3, round(rng.uniform(0.2, 0.35) * size_px))
    radius = max(1, round(size_px * rng.uniform(0.03, 0.05)))
    gap = _gap(rng, size_px, 0.35, 0.6)
    y = min(baseline - radius, canvas.shape[0] - radius - 1)
    for x in range(box.left - gap, radius, -pitch):
        cv2.circle(canvas, (x, y), radius, 255, -1, cv2.LINE_AA)
    for x in range(box.right + gap, canvas.shape[1] - radius - 1, pitch):
        cv2.circle(canvas, (x, y), radius, 255, -1, cv2.LINE_AA)


def rules(canvas: np.ndarray, at: Where, rng: np.random.Generator) -> None:
    """Table rulings: lines through the whole crop above, below, left and right of the cell's text."""
    box, size_px = at.box, at.size_px
    height, width = canvas.shape
    thick = _thickness(rng, size_px)
    sides = rng.random(4) < 0.6
    if not sides.any():
        sides[int(rng.integers(4))] = True
    top, bottom, left, right = (_gap(rng, size_px, 0.1, 0.2) + thick for _ in range(4))
    if sides[0]:
        cv2.line(canvas, (0, box.top - top), (width - 1, box.top - top), 255, thick)
    if sides[1]:
        cv2.line(canvas, (0, box.bottom + bottom), (width - 1, box.bottom + bottom), 255, thick)
    if sides[2]:
        cv2.line(canvas, (box.left - left, 0), (box.left - left, height - 1), 255, thick)
    if sides[3]:
        cv2.line(canvas, (box.right + right, 0), (box.right + right, height - 1), 255, thick)


def frame_box(canvas: np.ndarray, at: Where, rng: np.random.Generator) -> None:
    """A rectangle around the text, as an input box on a form."""
    box, size_px = at.box, at.size_px
    thick = _thickness(rng, size_px)
    gap = _gap(rng, size_px, 0.1, 0.2) + thick
    cv2.rectangle(canvas, (box.left - gap, box.top - gap), (box.right - 1 + gap, box.bottom - 1 + gap), 255, thick)


def neighbours(canvas: np.ndarray, at: Where, rng: np.random.Generator) -> None:
    """The bottom of the line above and/or the top of the line below, cut off by the crop edge.

    Only rows at least 0.15 em away from the label's ink box are written.
    """
    box, size_px, other = at.box, at.size_px, at.neighbour_ink
    if other is None:
        return
    rows = np.flatnonzero(other.max(axis=1))
    if not len(rows):
        return
    gap = max(2, round(0.15 * size_px))
    above, below = rng.random(2) < 0.6
    shift = int(rng.integers(-size_px, size_px + 1))
    if above or not below:
        band = min(box.top - gap, int(rng.integers(max(1, size_px // 10), max(2, size_px // 3) + 1)))
        if band > 0:
            _paste(canvas, other[rows[-1] + 1 - band : rows[-1] + 1], 0, shift)
    if below:
        band = min(canvas.shape[0] - box.bottom - gap, int(rng.integers(max(1, size_px // 10), max(2, size_px // 3) + 1)))
        if band > 0:
            _paste(canvas, other[rows[0] : rows[0] + band], canvas.shape[0] - band, shift)


def _paste(canvas: np.ndarray, strip: np.ndarray, top: int, shift: int) -> None:
    """Max-merge `strip` into canvas rows from `top`, moved right by `shift` px, clipped to the canvas."""
    width = canvas.shape[1]
    src0, dst0 = max(0, -shift), max(0, shift)
    span = min(strip.shape[1] - src0, width - dst0)
    if span <= 0:
        return
    target = canvas[top : top + strip.shape[0], dst0 : dst0 + span]
    np.maximum(target, strip[: target.shape[0], src0 : src0 + span], out=target)


DRAWERS: dict[str, Callable[[np.ndarray, Where, np.random.Generator], None]] = {
    "underline": underline,
    "leader": leader,
    "rules": rules,
    "box": frame_box,
    "neighbours": neighbours,
}
"""Furniture kind -> function drawing it into a coverage canvas."""


def draw_furniture(shape: tuple[int, int], kinds: tuple[str, ...], at: Where, rng: np.random.Generator) -> np.ndarray:
    """Coverage (uint8, 255 = ink) of the chosen furniture on a canvas of `shape`."""
    canvas = np.zeros(shape, dtype=np.uint8)
    for kind in kinds:
        DRAWERS[kind](canvas, at, rng)
    return canvas
