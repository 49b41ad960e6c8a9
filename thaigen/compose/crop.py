"""The crop around a line's ink: margins from tight to generous (as a detector's crops), room for furniture."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from thaigen.config.schema import FURNITURE_KINDS, FrameConfig

MIN_MARGIN_PX = 3
"""Least margin between the label's ink and the crop edge (it survives the resize to the output height)."""
FURNITURE_ROOM_EM = {"underline": (0.0, 0.3, 0.0, 0.0), "leader": (0.0, 0.0, 1.2, 1.2), "rules": (0.3, 0.3, 0.3, 0.3),
                     "box": (0.3, 0.3, 0.3, 0.3), "neighbours": (0.45, 0.45, 0.0, 0.0)}
"""Least margins (top, bottom, left, right, em) each furniture kind needs outside the ink."""


@dataclass(frozen=True)
class Frame:
    """Where the crop edges sit around the ink, and what furniture fills the margins."""

    recrop: bool
    """False: the font's line box and render.margin_x are kept (no furniture)."""
    margins: tuple[int, int, int, int]
    """Top, bottom, left, right, px from the ink's bounding box."""
    furniture: tuple[str, ...]
    seed: int
    """Draws for the furniture's placement."""


@dataclass(frozen=True)
class Box:
    """The label ink's bounding box in the crop, px (bottom and right exclusive)."""

    top: int
    bottom: int
    left: int
    right: int


def sample_frame(rng: np.random.Generator, config: FrameConfig, size_px: int) -> Frame:
    """Draw the crop margins and furniture for a line drawn at `size_px` (always the same draws)."""
    u = rng.random(5 + len(FURNITURE_KINDS))
    seed = int(rng.integers(0, 2**31 - 1))
    if u[0] >= config.recrop:
        return Frame(False, (0, 0, 0, 0), (), seed)
    chosen = tuple(k for k, pick in zip(FURNITURE_KINDS, u[5:]) if pick < config.furniture.get(k, 0.0))
    (y_low, y_high), (x_low, x_high) = config.margin_y, config.margin_x
    margins = [y_low + u[1] * (y_high - y_low), y_low + u[2] * (y_high - y_low)]
    margins += [x_low + u[3] * (x_high - x_low), x_low + u[4] * (x_high - x_low)]
    for kind in chosen:
        margins = [max(m, least) for m, least in zip(margins, FURNITURE_ROOM_EM[kind])]
    top, bottom, left, right = (max(MIN_MARGIN_PX, round(m * size_px)) for m in margins)
    return Frame(True, (top, bottom, left, right), chosen, seed)


def ink_box(ink: np.ndarray) -> Box:
    """Bounding box of the nonzero pixels of `ink`."""
    rows, columns = np.flatnonzero(ink.max(axis=1)), np.flatnonzero(ink.max(axis=0))
    return Box(int(rows[0]), int(rows[-1]) + 1, int(columns[0]), int(columns[-1]) + 1)


def recrop(ink: np.ndarray, frame: Frame) -> tuple[np.ndarray, Box]:
    """Cut (or pad with zeros) the canvas to the ink box plus the frame's margins."""
    box = ink_box(ink)
    top, bottom, left, right = frame.margins
    core = ink[box.top : box.bottom, box.left : box.right]
    framed = cv2.copyMakeBorder(core, top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)
    return framed, Box(top, top + core.shape[0], left, left + core.shape[1])


def to_height(height: int, *arrays: np.ndarray) -> list[np.ndarray]:
    """Scale same-size arrays to `height` px, keeping the aspect ratio (unchanged when already that high)."""
    current, wide = arrays[0].shape[:2]
    if current == height:
        return list(arrays)
    width = max(1, round(wide * height / current))
    method = cv2.INTER_AREA if current > height else cv2.INTER_LINEAR
    resized: dict[int, np.ndarray] = {}
    for array in arrays:  # the same array passed twice (ink without furniture) is resized once
        if id(array) not in resized:
            resized[id(array)] = cv2.resize(array, (width, height), interpolation=method)
    return [resized[id(array)] for array in arrays]
