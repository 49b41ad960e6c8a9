"""A page canvas that text lines and furniture are drawn onto, keeping each line's text, ink and polygon.

Every line is shaped and drawn whole by the line renderer (thaigen.typeset.render.draw_ink), then
blended onto the page in its colour. The page keeps a line-id mask (line i's ink pixels hold i + 1)
so that geometry can move the ink and the polygons together and checks can find each line's ink.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from thaigen.text.sources import TextSample
from thaigen.typeset.render import LineStyle, draw_ink
from thaigen.typeset.runs import Run
from thaigen.typeset.styles import TextStyle

INK_LEVEL = 96
"""Coverage (0-255) from which a pixel counts as a line's ink in the id mask."""
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class PageLine:
    """One text region on the page: its text, how it was drawn, and its polygon (float px, clockwise from top-left)."""

    text: str
    category: str
    element: str
    runs: tuple[Run, ...]
    size: int
    """Font size, px."""
    box_px: int
    """Line box (ascent + descent), px."""
    points: np.ndarray
    illegible: bool = False
    """Drawn too small or too faint to read on purpose: labelled `###`."""


@dataclass(frozen=True)
class Ink:
    """A shaped line ready to place: its coverage (line box high, margins of 1 px) and how it was made."""

    coverage: np.ndarray
    text: TextSample
    runs: tuple[Run, ...]
    size: int

    @property
    def width(self) -> int:
        """Width of the ink's bounding box, px."""
        return int(self.coverage.shape[1])


def shape_line(text: TextSample, runs: list[Run], box_px: int, look: TextStyle) -> Ink:
    """Draw `runs` with a line box of `box_px`, cropped to its ink horizontally (1 px margins)."""
    style = LineStyle(1.0, 1, 1, 0.5, 0, 255, look)
    coverage, placed = draw_ink(runs, style, box_px)
    return Ink(coverage, text, tuple(runs), placed[0].size)


@dataclass
class Page:
    """An RGB canvas with the lines drawn so far and their id mask."""

    pixels: np.ndarray
    margin: float
    """Polygon margin around ink, share of the line box."""
    lines: list[PageLine] = field(default_factory=list)
    ids: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.ids = np.zeros(self.pixels.shape[:2], dtype=np.uint16)

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    def _blend(self, coverage: np.ndarray, left: int, top: int, color: RGB, line_id: int | None) -> None:
        """Blend `coverage` (uint8) at (left, top) in `color`, clipped to the canvas."""
        h, w = coverage.shape
        x0, y0, x1, y1 = max(left, 0), max(top, 0), min(left + w, self.width), min(top + h, self.height)
        if x0 >= x1 or y0 >= y1:
            return
        part = coverage[y0 - top : y1 - top, x0 - left : x1 - left]
        alpha = part.astype(np.float32)[:, :, None] * np.float32(1 / 255)
        region = self.pixels[y0:y1, x0:x1].astype(np.float32)
        blended = region + (np.array(color, dtype=np.float32) - region) * alpha
        self.pixels[y0:y1, x0:x1] = np.rint(blended).astype(np.uint8)
        if line_id is not None:
            self.ids[y0:y1, x0:x1][part >= INK_LEVEL] = line_id

    def place(self, ink: Ink, left: int, top: int, element: str, color: RGB, illegible: bool = False) -> PageLine:
        """Draw a shaped line with its line box's top-left at (left, top); return the recorded line."""
        box_px = ink.coverage.shape[0]
        rows = np.flatnonzero(ink.coverage.max(axis=1))
        columns = np.flatnonzero(ink.coverage.max(axis=0))
        pad = max(1.0, self.margin * box_px)
        x0, x1 = left + columns[0] - pad, left + columns[-1] + 1 + pad
        y0, y1 = top + rows[0] - pad, top + rows[-1] + 1 + pad
        points = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
        return self._record(ink, points, element, illegible, lambda line_id: self._blend(ink.coverage, left, top, color, line_id))

    def place_rotated(self, ink: Ink, center: tuple[float, float], degrees: float, element: str, color: RGB) -> PageLine:
        """Draw a shaped line rotated by `degrees` (counter-clockwise) about `center`; the polygon turns with it."""
        h, w = ink.coverage.shape
        pad = max(1.0, self.margin * h)
        rows = np.flatnonzero(ink.coverage.max(axis=1))
        columns = np.flatnonzero(ink.coverage.max(axis=0))
        corners = np.array(
            [[columns[0] - pad, rows[0] - pad], [columns[-1] + 1 + pad, rows[0] - pad],
             [columns[-1] + 1 + pad, rows[-1] + 1 + pad], [columns[0] - pad, rows[-1] + 1 + pad]],
            dtype=np.float32,
        )
        side = math.ceil(math.hypot(w, h)) + 2
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0) + np.array(
            [[0, 0, (side - w) / 2], [0, 0, (side - h) / 2]]
        )
        turned = cv2.warpAffine(ink.coverage, matrix, (side, side), flags=cv2.INTER_LINEAR)
        left, top = round(center[0] - side / 2), round(center[1] - side / 2)
        points = cv2.transform(corners[None], matrix)[0] + np.array([left, top], dtype=np.float32)
        return self._record(ink, points, element, False, lambda line_id: self._blend(turned, left, top, color, line_id))

    def _record(self, ink: Ink, points: np.ndarray, element: str, illegible: bool, draw: Callable[[int], None]) -> PageLine:
        line = PageLine(ink.text.text, ink.text.category, element, ink.runs, ink.size, ink.coverage.shape[0], points, illegible)
        self.lines.append(line)
        draw(len(self.lines))
        return line

    def rule(self, start: tuple[int, int], end: tuple[int, int], thickness: int, color: RGB, dashed: int = 0) -> None:
        """A straight line (a dashed one when `dashed` gives the dash length, px); not text, no polygon."""
        reach = thickness + 2
        left, top = min(start[0], end[0]) - reach, min(start[1], end[1]) - reach
        mask = np.zeros((abs(end[1] - start[1]) + 2 * reach + 1, abs(end[0] - start[0]) + 2 * reach + 1), dtype=np.uint8)
        a, b = np.array(start, dtype=np.float64) - (left, top), np.array(end, dtype=np.float64) - (left, top)
        length = float(np.linalg.norm(b - a))
        spans = [(0.0, 1.0)] if not dashed or not length else [
            (float(s) / length, min(float(s) + dashed, length) / length) for s in np.arange(0.0, length, 2.0 * dashed)
        ]
        for low, high in spans:
            p, q = a + (b - a) * low, a + (b - a) * high
            cv2.line(mask, (round(p[0]), round(p[1])), (round(q[0]), round(q[1])), 255, thickness, cv2.LINE_AA)
        self._blend(mask, left, top, color, None)

    def box(self, x0: int, y0: int, x1: int, y1: int, thickness: int, color: RGB) -> None:
        """A rectangle outline (a form field, a table cell, a stamp's frame)."""
        for start, end in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))):
            self.rule(start, end, thickness, color)

    def fill(self, x0: int, y0: int, x1: int, y1: int, color: RGB) -> None:
        """A filled rectangle (a sign's panel, a card's photo area)."""
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, self.width), min(y1, self.height)
        self.pixels[y0:y1, x0:x1] = color

    def photo(self, left: int, top: int, width: int, height: int, shade: int, face: int) -> None:
        """A card's photo area: a pale panel with the silhouette of a head and shoulders, clipped to it."""
        panel = np.empty((height, width, 3), dtype=np.uint8)
        panel[:] = (shade, min(255, shade + 8), 255 - (255 - shade) // 2)
        for center, axes in (((width // 2, height * 2 // 5), (width // 4, height // 5)),
                             ((width // 2, height), (width * 2 // 5, height // 3))):
            cv2.ellipse(panel, center, axes, 0, 0, 360, (face, face, face), -1, cv2.LINE_AA)
        bottom, right = min(top + height, self.height), min(left + width, self.width)
        self.pixels[top:bottom, left:right] = panel[: bottom - top, : right - left]


def luma(color: RGB) -> float:
    """Rec. 601 luma of a colour."""
    return 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]

