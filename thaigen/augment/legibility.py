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


def separation(image: np.ndarray, ink: np.ndarray) -> float:
    """How far the label's ink stands from the background around it, in their pooled spread (a Fisher ratio).

    `ink` is the label's coverage (H x W, 0-255) where the geometry took it. Ink pixels are the coverage's core
    (at least 3/4 of its peak: thin strokes of a light face never reach full coverage), background the ring 2-3 px around the coverage (the air beside and inside the strokes, where ink
    spread fills in and specks land, and where frames and neighbouring lines rarely reach); both are read from
    the image's luminance, so a light-on-dark line scores as a dark-on-light one.
    """
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    if not ink.any():
        return 0.0
    core = ink >= max(32, int(ink.max()) * 3 // 4)
    touched = (ink > 0).astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    background = (cv2.dilate(touched, kernel, iterations=3) > 0) & (cv2.dilate(touched, kernel, iterations=1) == 0)
    if not background.any():
        return 0.0
    ink_values, background_values = gray[core].astype(np.float32), gray[background].astype(np.float32)
    spread = ink_values.std() + background_values.std() + 1.0
    return float(abs(background_values.mean() - ink_values.mean()) / spread)


def legible(image: np.ndarray, ink: np.ndarray) -> bool:
    """True when the line's ink stands out from its background enough to be read (see `separation`)."""
    return separation(image, ink) >= MIN_SEPARATION
