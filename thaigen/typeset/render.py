"""Draw a shaped line (Pillow + raqm, i.e. HarfBuzz) on a canvas sized from font metrics."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, features

from thaigen.config.schema import RenderConfig
from thaigen.errors import EnvironmentProblem
from thaigen.typeset.faces import pil_font
from thaigen.typeset.fonts import FontInfo, extents_px, line_px_size
from thaigen.typeset.runs import Run, clusters
from thaigen.typeset.styles import PLAIN, TextStyle


def require_raqm() -> None:
    """Fail early, with the fix, when Pillow cannot shape text with raqm (HarfBuzz)."""
    if not features.check("raqm"):
        raise EnvironmentProblem(
            "Pillow was built without raqm, so Thai cannot be shaped; install a Pillow wheel from PyPI "
            "(pip install --force-reinstall pillow) and the FriBiDi library (apt-get install libfribidi0)"
        )


EDGE_SLACK_PX = 1
"""Room above and below the line box for anti-aliasing at the ink's edge."""
MIN_SIZE_PX = 6


@functools.lru_cache(maxsize=4096)
def _font_box(font: FontInfo, size: int) -> tuple[int, int]:
    return extents_px(pil_font(str(font.path), size), font.probe)


def _line_box(fonts: Sequence[FontInfo], size: int, stroke: float) -> tuple[int, int]:
    """(ascent, descent) px of a line drawn with `fonts` at `size`, from font metrics and probes, never the text."""
    boxes = [_font_box(f, size) for f in fonts]
    slack = EDGE_SLACK_PX + math.ceil(stroke)
    return max(b[0] for b in boxes) + slack, max(b[1] for b in boxes) + slack


@dataclass(frozen=True)
class _Shaped:
    """One piece of text shaped and rasterised once: its mask, where the mask goes, its ink box and advance."""

    mask: Image.core.ImagingCore
    offset: tuple[int, int]
    """Mask's top-left relative to the origin (left end of the baseline), px."""
    bbox: tuple[float, float, float, float]
    """(left, top, right, bottom) about the origin, as FreeTypeFont.getbbox gives it, px."""
    advance: float


@functools.lru_cache(maxsize=256)
def _shape(path: str, size: int, text: str, stroke: float) -> _Shaped:
    """Shape and rasterise `text` once for both layout and drawing (as ImageDraw.text draws it at an integer origin).

    Without a stroke the mask's own box is getbbox's; with one (fractional widths round differently) getbbox is asked.
    """
    font = pil_font(path, size)
    mask, offset = font.getmask2(text, "L", None, None, None, stroke, "ls", 255, (0, 0), stroke_filled=True)
    if stroke:
        bbox = font.getbbox(text, anchor="ls", stroke_width=stroke)
    else:
        bbox = (offset[0], offset[1], offset[0] + mask.size[0], offset[1] + mask.size[1])
    return _Shaped(mask, offset, bbox, font.getlength(text))


@dataclass(frozen=True)
class LineStyle:
    """Sampled drawing parameters of one clean line."""

    line_fill: float
    margin_left: int
    margin_right: int
    vertical_position: float
    """Where the line box sits in the vertical slack: 0 top, 1 bottom."""
    text_gray: int
    background_gray: int
    """Unused since backgrounds decide colours (backgrounds.sample_backdrop); still drawn because removing
    the draws would shift the RENDER stream and change every existing dataset's bytes for its seed."""
    text: TextStyle = PLAIN
    """Weight, spacing, width and slant of the glyphs."""


def sample_style(rng: np.random.Generator, config: RenderConfig) -> LineStyle:
    """Draw a LineStyle from the config's ranges."""
    return LineStyle(
        line_fill=float(rng.uniform(*config.line_fill)),
        margin_left=int(rng.integers(config.margin_x[0], config.margin_x[1] + 1)),
        margin_right=int(rng.integers(config.margin_x[0], config.margin_x[1] + 1)),
        vertical_position=float(rng.uniform(0.0, 1.0)),
        text_gray=int(rng.integers(config.text_gray[0], config.text_gray[1] + 1)),
        background_gray=int(rng.integers(config.background_gray[0], config.background_gray[1] + 1)),
    )


@dataclass(frozen=True)
class PlacedRun:
    """Where a run's origin (left end of its baseline) landed on the canvas, px (before any slant).

    With letter spacing, each grapheme cluster is placed (and shaped) as a run of its own.
    """

    run: Run
    x: int
    baseline: int
    size: int
    stroke: float = 0.0
    """Synthetic bold stroke width, px."""


def _pieces(runs: Sequence[Run], letter_spacing: float) -> list[Run]:
    """The runs, or with letter spacing their grapheme clusters, each to be shaped and drawn whole."""
    if not letter_spacing:
        return list(runs)
    pieces = []
    for run in runs:
        start = run.start
        for cluster in clusters(run.text):
            pieces.append(Run(cluster, start, run.font, run.synthetic_bold))
            start += len(cluster)
    return pieces


def place_runs(runs: Sequence[Run], style: LineStyle, height: int) -> tuple[tuple[PlacedRun, ...], int]:
    """Lay runs out left to right on one baseline; return placements and the canvas width."""
    fonts = [r.font for r in runs]
    bold = any(r.synthetic_bold for r in runs)
    size = line_px_size(fonts, style.line_fill * height - 2 * EDGE_SLACK_PX)
    ascent, descent = _line_box(fonts, size, style.text.stroke * size * bold)
    while ascent + descent > height and size > MIN_SIZE_PX:
        size -= 1
        ascent, descent = _line_box(fonts, size, style.text.stroke * size * bold)
    baseline = ascent + round(max(0, height - ascent - descent) * style.vertical_position)
    spacing = style.text.letter_spacing * size
    pen = 0.0
    origins: list[int] = []
    pieces = _pieces(runs, style.text.letter_spacing)
    strokes = [style.text.stroke * size if p.synthetic_bold else 0.0 for p in pieces]
    ink_left, ink_right = float("inf"), float("-inf")
    for piece, stroke in zip(pieces, strokes):
        shaped = _shape(str(piece.font.path), size, piece.text, stroke)
        origin = round(pen)
        left, _, right, _ = shaped.bbox
        if right > left:
            ink_left, ink_right = min(ink_left, origin + left), max(ink_right, origin + right)
        origins.append(origin)
        pen += shaped.advance + spacing
    shift = style.margin_left - math.floor(ink_left)
    width = math.ceil(ink_right) - math.floor(ink_left) + style.margin_left + style.margin_right
    placed = tuple(PlacedRun(p, o + shift, baseline, size, k) for p, o, k in zip(pieces, origins, strokes))
    return placed, width


def _slant(ink: np.ndarray, text: TextStyle, baseline: int, margins: tuple[int, int]) -> np.ndarray:
    """Scale the ink horizontally and shear it about the baseline, keeping the margins around the new ink."""
    height, width = ink.shape
    lean = abs(text.skew) * height
    matrix = np.array([[text.width, -text.skew, text.skew * baseline + lean + 1], [0, 1, 0]], dtype=np.float32)
    room = math.ceil(width * text.width + 2 * lean) + 2
    warped = cv2.warpAffine(ink, matrix, (room, height), flags=cv2.INTER_LINEAR)
    columns = np.flatnonzero(warped.max(axis=0))
    if not len(columns):
        return ink
    left, right = margins
    return cv2.copyMakeBorder(warped[:, columns[0] : columns[-1] + 1], 0, 0, left, right, cv2.BORDER_CONSTANT, value=0)


def draw_ink(runs: Sequence[Run], style: LineStyle, height: int) -> tuple[np.ndarray, tuple[PlacedRun, ...]]:
    """The line's coverage (uint8, 255 = ink), shaped by raqm run by run, and where each run went."""
    placed, width = place_runs(runs, style, height)
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    for item in placed:
        shaped = _shape(str(item.run.font.path), item.size, item.run.text, item.stroke)
        draw.draw.draw_bitmap((item.x + shaped.offset[0], item.baseline + shaped.offset[1]), shaped.mask, 255)
    ink = np.asarray(mask)
    if style.text.slanted:
        ink = _slant(ink, style.text, placed[0].baseline, (style.margin_left, style.margin_right))
    return ink, placed
