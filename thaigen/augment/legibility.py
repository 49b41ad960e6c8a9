"""Whether an augmented line still shows its text: a degradation that leaves no legible text makes a wrong label,
not hard data."""

from __future__ import annotations

import cv2
import numpy as np

MIN_SEPARATION = 1.0
"""Least separation of ink from background (see `separation`) a kept line has; below it the preset's draw is
redrawn. Measured on 300 long lines per preset: `light` lines all score 3.5 and more (median 8.4); a `print_scan`
line whose strokes were gone scored 0.45, filled-in but legible ones 1.1-1.6; `fax` lines 0.9 and more (median
3.1), its lowest a long line broken by its downscale."""


_RING_INNER = np.ones((3, 3), np.uint8)
_RING_OUTER = np.ones((7, 7), np.uint8)
"""Dilations of the coverage by 1 and 3 px: the ring between them is the background read."""


def separation(image: np.ndarray, ink: np.ndarray) -> float:
    """How far the label's ink stands from the background around it, in their pooled spread (a Fisher ratio).

    `ink` is the label's coverage (H x W uint8, 0-255) where the geometry took it. Ink pixels are the coverage's
    core (at least 3/4 of its peak: thin strokes of a light face never reach full coverage), background the ring
    2-3 px around the coverage (the air beside and inside the strokes, where ink spread fills in and specks land,
    and where frames and neighbouring lines rarely reach); both are read from the image's luminance, so a
    light-on-dark line scores as a dark-on-light one. OpenCV calls only: it runs on every augmented line.
    """
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    peak = cv2.minMaxLoc(ink)[1]
    if peak == 0:
        return 0.0
    _, core = cv2.threshold(ink, max(32, int(peak) * 3 // 4) - 1, 255, cv2.THRESH_BINARY)
    _, touched = cv2.threshold(ink, 0, 255, cv2.THRESH_BINARY)
    outer = cv2.dilate(touched, _RING_OUTER)
    background = cv2.subtract(outer, cv2.dilate(touched, _RING_INNER))
    if cv2.countNonZero(background) == 0:
        return 0.0
    ink_mean, ink_std = cv2.meanStdDev(gray, mask=core)
    background_mean, background_std = cv2.meanStdDev(gray, mask=background)
    spread = float(ink_std[0, 0] + background_std[0, 0]) + 1.0
    return abs(float(background_mean[0, 0] - ink_mean[0, 0])) / spread


def legible(image: np.ndarray, ink: np.ndarray) -> bool:
    """True when the line's ink stands out from its background enough to be read (see `separation`)."""
    return separation(image, ink) >= MIN_SEPARATION
