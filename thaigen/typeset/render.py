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


def _slant(ink: np.ndarray, text: TextStyle, baseline: int, margins: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Scale the ink horizontally and shear it about the baseline, keeping the margins around the new ink.

    Returns the new ink and the 2x3 affine that took the canvas there (pixel centres, as cv2.warpAffine maps them).
    """
    height, width = ink.shape
    lean = abs(text.skew) * height
    matrix = np.array([[text.width, -text.skew, text.skew * baseline + lean + 1], [0, 1, 0]], dtype=np.float32)
    room = math.ceil(width * text.width + 2 * lean) + 2
    warped = cv2.warpAffine(ink, matrix, (room, height), flags=cv2.INTER_LINEAR)
    columns = np.flatnonzero(warped.max(axis=0))
    if not len(columns):
        return ink, np.eye(2, 3)
    left, right = margins
    moved = matrix.astype(np.float64)
    moved[0, 2] += left - columns[0]
    framed = cv2.copyMakeBorder(
        warped[:, columns[0] : columns[-1] + 1], 0, 0, left, right, cv2.BORDER_CONSTANT, value=0
    )
    return framed, moved


@dataclass(frozen=True)
class DrawnLine:
    """A drawn line: its coverage (uint8, 255 = ink), where each run went, and how the canvas was slanted."""

    ink: np.ndarray
    placed: tuple[PlacedRun, ...]
    slant: np.ndarray | None
    """2x3 affine from the canvas the runs were placed on to `ink` (pixel centres); None when not slanted."""


def draw_line(runs: Sequence[Run], style: LineStyle, height: int) -> DrawnLine:
    """The line shaped by raqm run by run and drawn, with where each run went."""
    placed, width = place_runs(runs, style, height)
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    for item in placed:
        shaped = _shape(str(item.run.font.path), item.size, item.run.text, item.stroke)
        draw.draw.draw_bitmap((item.x + shaped.offset[0], item.baseline + shaped.offset[1]), shaped.mask, 255)
    ink = np.asarray(mask)
    if not style.text.slanted:
        return DrawnLine(ink, placed, None)
    ink, matrix = _slant(ink, style.text, placed[0].baseline, (style.margin_left, style.margin_right))
    return DrawnLine(ink, placed, matrix)


def draw_ink(runs: Sequence[Run], style: LineStyle, height: int) -> tuple[np.ndarray, tuple[PlacedRun, ...]]:
    """The line's coverage (uint8, 255 = ink), shaped by raqm run by run, and where each run went."""
    line = draw_line(runs, style, height)
    return line.ink, line.placed


@dataclass(frozen=True)
class ClusterBoxes:
    """A line's grapheme clusters (typeset.runs.clusters, in label order) and a quad around each one's ink."""

    texts: tuple[str, ...]
    points: np.ndarray
    """(N, 4, 2) float64 px, corners clockwise from the top-left; (0, 0) is the image's top-left corner (a pixel's
    edge, not its centre), (width, height) its bottom-right."""

    def mapped(self, matrix: np.ndarray) -> ClusterBoxes:
        """The boxes moved by a 2x3 affine of corner coordinates (a shift, a scale)."""
        return ClusterBoxes(self.texts, self.points @ matrix[:, :2].T + matrix[:, 2])

    def warped(self, matrix: np.ndarray) -> ClusterBoxes:
        """The boxes moved by a 2x3 affine of pixel centres, as cv2.warpAffine moves the pixels."""
        return self.at_keypoints(self.keypoints() @ matrix[:, :2].T + matrix[:, 2])

    def keypoints(self) -> np.ndarray:
        """The corners as (4N, 2) float32 keypoints in pixel-centre coordinates (albumentations', OpenCV's)."""
        return (self.points.reshape(-1, 2) - 0.5).astype(np.float32)

    def at_keypoints(self, keypoints: np.ndarray) -> ClusterBoxes:
        """The boxes with their corners where `keypoints` (as made by keypoints(), then moved) went."""
        return ClusterBoxes(self.texts, np.asarray(keypoints, dtype=np.float64).reshape(-1, 4, 2) + 0.5)

    def record(self, width: int, height: int) -> list[dict[str, object]]:
        """JSON-ready: [{"text": cluster, "points": [[x, y] x 4]}], corners kept inside a width x height image, 0.1 px."""
        inside = np.clip(self.points, 0.0, (width, height)).round(1)
        return [{"text": text, "points": quad.tolist()} for text, quad in zip(self.texts, inside)]


def cluster_boxes(line: DrawnLine) -> ClusterBoxes:
    """Each grapheme cluster's ink box on the drawn line (a parallelogram once slanted).

    A run is shaped whole; a cluster ends where raqm's advance of the run's text up to its end puts the pen, starts
    its own advance before that (kerning into it included), and its ink is its ink shaped alone (Thai marks attach
    within their cluster), boxed tightly (not to the advance, as getbbox does). With letter spacing each cluster is
    a placed piece of its own. A cluster without ink (a space) spans its advance across the line's inked height.
    """
    texts: list[str] = []
    edges: list[tuple[float, float, float, float]] = []
    for item in line.placed:
        font = pil_font(str(item.run.font.path), item.size)
        end = 0
        for cluster in clusters(item.run.text):
            end += len(cluster)
            after = item.x + font.getlength(item.run.text[:end])
            pen = after - font.getlength(cluster)
            shaped = _shape(str(item.run.font.path), item.size, cluster, item.stroke)
            ink = shaped.mask.getbbox()
            texts.append(cluster)
            if ink is None:
                edges.append((pen, math.nan, after, math.nan))
                continue
            (dx, dy), (left, top, right, bottom) = shaped.offset, ink
            edges.append((pen + dx + left, item.baseline + dy + top, pen + dx + right, item.baseline + dy + bottom))
    x0, y0, x1, y1 = np.array(edges, dtype=np.float64).T
    y0, y1 = np.where(np.isnan(y0), np.nanmin(y0), y0), np.where(np.isnan(y1), np.nanmax(y1), y1)
    boxes = ClusterBoxes(tuple(texts), np.stack([x0, y0, x1, y0, x1, y1, x0, y1], axis=1).reshape(-1, 4, 2))
    return boxes if line.slant is None else boxes.warped(line.slant)
