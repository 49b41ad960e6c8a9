"""One detection page from (config, seed, index): layout -> lines shaped and placed -> geometry -> polygons.

A polygon is each line's ink box plus a margin, sampled along its top and bottom edges so that a
bending warp (albumentations keypoints) bends it with the text; edges that stay straight collapse
back to 4 points. A line becomes `###` when it is fine print (illegible on purpose), when the image
edge cuts it, or when its polygon is under `page.min_text_px` wide or high (PaddleOCR's MakeShrinkMap
would ignore it). With `page.kie`, each line's record also says what it is (header, question, answer or
other) and the page's record which answers belong to which questions. With `char_boxes`, each labelled line's
record holds its grapheme clusters, each boxed by 4 corners that went through the page's geometry as keypoints.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import accumulate
from typing import Any

import cv2
import numpy as np
from pythainlp.tokenize import word_tokenize

from thaigen.augment.apply import augment_page, choose_preset
from thaigen.compose.backgrounds import draw_on, sample_backdrop
from thaigen.compose.crop import ink_box
from thaigen.compose.layouts import ASPECTS, LAYOUTS, STAMP_COLORS, Layout, Role
from thaigen.compose.page import Ink, Page, PageLine, shape_line
from thaigen.compose.quad import crop_quad
from thaigen.config.schema import GenConfig
from thaigen.dataset.detection import IGNORE, DetBox
from thaigen.dataset.png import encode_png
from thaigen.errors import ConfigError
from thaigen.pipeline.sample import split_of, target_characters, text_sources
from thaigen.rng import Stage, pick, stage_rng
from thaigen.text.running import MIN_CODE_POINTS, running
from thaigen.text.sources import TextSample, ctc_steps, sample_text
from thaigen.typeset.faces import pil_font
from thaigen.typeset.fonts import FontPool
from thaigen.typeset.render import ClusterBoxes, LineStyle, cluster_boxes, draw_line
from thaigen.typeset.runs import Run, split_runs
from thaigen.typeset.styles import TextStyle, sample_text_style, with_weight

TEXT_TRIES = 6
"""Texts tried for one slot before the slot stays empty (too narrow, or no font covers them)."""
PROSE = "running"
"""Source name of body prose (drawn from thaigen.text.running, past the label limit)."""
PROSE_PX = 0.4
"""First guess of a prose line's ink width per code point, in line boxes."""
PROSE_OVERSHOOT = 1.25
"""Prose drawn for a line, as a share of the code points guessed to fill it (the rest is cut off)."""
STRAIGHT_PX = 1.0
"""An edge whose sampled points stay this close to its chord is written as a straight edge."""
MAX_EDGE_POINTS = 12
PAGE_ATTEMPTS = 8
"""Drafts of a page tried before its config is declared unable to make one."""


@dataclass(frozen=True)
class LineLabel:
    """A line as labelled: its polygon (integer px inside the image) and transcription or `###`."""

    line: PageLine
    points: tuple[tuple[int, int], ...]
    ignore: str | None
    """Why it is `###`: "illegible", "cut" (by the image edge) or "small"; None when it is labelled."""
    role: str
    """What the line is to a reader: "header", "question", "answer" or "other" (key-information label)."""
    clusters: ClusterBoxes | None = None
    """The text's grapheme clusters boxed in the page image (char_boxes), for a labelled line."""

    @property
    def box(self) -> DetBox:
        return DetBox(IGNORE if self.ignore else self.line.text, self.points)


@dataclass(frozen=True)
class PageSample:
    """A finished page: its PNG, labels, crops of its labelled lines, and how it was made."""

    index: int
    split: str
    layout: str
    png: bytes
    width: int
    height: int
    labels: tuple[LineLabel, ...]
    crops: tuple[bytes | None, ...]
    """PNG of each labelled line cut as PaddleOCR's system cuts detector boxes (None for `###`, for a label past
    the rec limits, or when not asked)."""
    preset: str
    background: str
    scene: bool
    text_px: int
    links: tuple[tuple[int, int], ...] | None
    """(question, answer) line numbers of the page's key-value pairs; None when the config asks for no KIE labels
    (page.kie), and then the record carries no roles or links."""

    def metadata(self, crop_paths: tuple[str | None, ...]) -> dict[str, Any]:
        """JSON-ready record of the page and each of its lines."""
        return {
            "index": self.index,
            "split": self.split,
            "layout": self.layout,
            "width": self.width,
            "height": self.height,
            "preset": self.preset,
            "background": self.background,
            "scene": self.scene,
            "text_px": self.text_px,
            "lines": [
                {
                    "text": label.line.text,
                    "category": label.line.category,
                    "element": label.line.element,
                    "points": [list(p) for p in label.points],
                    "ignore": label.ignore,
                    "font_size": label.line.size,
                    "box_px": label.line.box_px,
                    "runs": [{"start": r.start, "end": r.start + len(r.text), "text": r.text, "font": r.font.path.name}
                             for r in label.line.runs],
                }
                | ({"crop": path} if path else {})
                | ({"kie": label.role} if self.links is not None else {})
                | ({"clusters": label.clusters.record(self.width, self.height)} if label.clusters is not None else {})
                for label, path in zip(self.labels, crop_paths)
            ],
        } | ({"links": [list(link) for link in self.links]} if self.links is not None else {})


@dataclass(frozen=True)
class ComposedPage:
    """A page sample with its final pixels and line-id mask (for checks)."""

    sample: PageSample
    pixels: np.ndarray
    ids: np.ndarray


class _Typesetter:
    """Shapes texts for a page's slots with the page's fonts (tried in a per-page order) and styles."""

    def __init__(self, config: GenConfig, pool: FontPool, rng: np.random.Generator) -> None:
        self.config, self.pool, self.rng = config, pool, rng
        self.sources = text_sources(config)
        self.allowed = target_characters(config)
        self.fonts = [pool.thai[i] for i in pool.font_order(rng)]
        self.prose_px = PROSE_PX
        """Ink width per code point of the page's last prose line, in line boxes (a guess until one is shaped)."""
        self.looks: dict[int, tuple[Ink, TextStyle]] = {}
        """id of an ink's runs (which the page line it becomes holds) -> the ink and its style, kept for char_boxes."""

    def __call__(self, sources: Mapping[str, float] | None, box_px: int, max_width: float, bold: bool | None = None) -> Ink | None:
        config = self.config
        for _ in range(TEXT_TRIES):
            text = sample_text(
                self.rng, sources or config.sources, config.max_text_length, config.ctc_time_steps, self.sources,
                self.allowed,
            )
            runs = self._runs(text.text)
            look = sample_text_style(self.rng, config.style)
            if runs is None:
                continue
            ink = self._shape(text, runs, box_px, look, bold)
            if ink.width <= max_width:
                return ink
        return None

    def exact(self, text: str, category: str, box_px: int, max_width: float, bold: bool | None = None) -> Ink | None:
        """Shape `text` itself (a receipt's amounts, its fixed words); None when it is wider than `max_width`,
        holds characters the target dictionary lacks, or no font covers it."""
        runs = self._runs(text)
        look = sample_text_style(self.rng, self.config.style)
        if runs is None or (self.allowed is not None and not self.allowed.issuperset(text)):
            return None
        ink = self._shape(TextSample(text, category), runs, box_px, look, bold)
        return ink if ink.width <= max_width else None

    def prose(self, box_px: int, max_width: float) -> Ink | None:
        """A line of running prose as wide as `max_width` allows: sentences drawn past the width (guessed from the
        page's last prose line), shaped, then cut at the last word boundary whose shaped line fits (None when not
        even one word does). Not bound by max_text_length: a det label has no limit (crops have, see _readable)."""
        look = sample_text_style(self.rng, self.config.style)
        text, ink = "", None
        for _ in range(TEXT_TRIES):
            longer = self._more_prose(text, math.ceil(PROSE_OVERSHOOT * max_width / (self.prose_px * box_px)))
            runs = self._runs(longer) if longer != text else None
            if runs is None:
                break
            text, ink = longer, self._shape(TextSample(longer, PROSE), runs, box_px, look, None)
            self.prose_px = ink.width / (box_px * len(text))
            if ink.width > max_width:
                cut = _cut(ink, box_px, max_width, look)
                if cut is not None:
                    self._keep(cut, look)
                return cut
        return ink

    def _more_prose(self, text: str, want: int) -> str:
        """`text` with sentences of the `running` source appended, space-separated, until `want` code points."""
        for _ in range(TEXT_TRIES):
            if len(text) >= want:
                break
            sentence = running(self.rng, max(MIN_CODE_POINTS, want - len(text) - 1))
            if self.allowed is None or self.allowed.issuperset(sentence):
                text = f"{text} {sentence}" if text else sentence
        return text

    def _runs(self, text: str) -> list[Run] | None:
        """Runs of `text` in the first of the page's fonts that (with fallbacks) covers it."""
        return next((r for f in self.fonts if (r := split_runs(text, f, self.pool.fallbacks_for(f))) is not None), None)

    def _shape(self, text: TextSample, runs: list[Run], box_px: int, look: TextStyle, bold: bool | None) -> Ink:
        if bold is not None:
            look = replace(look, bold=bold)
        ink = shape_line(text, with_weight(runs, look.bold, self.pool), box_px, look)
        self._keep(ink, look)
        return ink

    def _keep(self, ink: Ink, look: TextStyle) -> None:
        """Remember how `ink` was drawn, when the config asks for cluster boxes (holding it keeps the key unique)."""
        if self.config.char_boxes:
            self.looks[id(ink.runs)] = (ink, look)

    def clusters(self, line: PageLine, margin: float) -> ClusterBoxes:
        """A placed line's cluster boxes on the page (before geometry): drawn again as compose.page.shape_line drew
        its ink, then taken by the affine that took the ink's box, padded by `margin` line boxes (at least 1 px), to
        the line's quad (Page.place shifts it, Page.place_rotated turns it)."""
        ink, look = self.looks[id(line.runs)]
        assert ink.runs is line.runs
        box_px = ink.coverage.shape[0]
        boxes = cluster_boxes(draw_line(list(ink.runs), LineStyle(1.0, 1, 1, 0.5, 0, 255, look), box_px))
        pad, box = max(1.0, margin * box_px), ink_box(ink.coverage)
        corners = [[box.left - pad, box.top - pad], [box.right + pad, box.top - pad], [box.right + pad, box.bottom + pad]]
        return boxes.mapped(cv2.getAffineTransform(np.float32(corners), np.float32(line.points[:3])))


def _cut(ink: Ink, box_px: int, max_width: float, look: TextStyle) -> Ink | None:
    """`ink`'s line cut at the last word boundary (pythainlp's newmm, or a space) whose shaped line fits
    `max_width`: the cut is found by measuring advances (no drawing), then shaped; None when no word fits."""
    text = ink.text.text
    tokens = word_tokenize(text, engine="newmm", keep_whitespace=True)
    ends = sorted({len(text[:end].rstrip()) for end in accumulate(map(len, tokens))} - {0, len(text)})

    def advance(end: int) -> float:
        """Advance of text[:end] at the line's size, px (shaped, not drawn)."""
        return sum(pil_font(str(r.font.path), ink.size).getlength(r.text[: end - r.start]) for r in ink.runs if r.start < end)

    scale = ink.width / max(advance(len(text)), 1.0)
    fitting = bisect_right(ends, max_width, key=lambda end: advance(end) * scale)
    for end in reversed(ends[max(0, fitting - TEXT_TRIES) : fitting]):
        runs = [Run(r.text[: end - r.start], r.start, r.font, r.synthetic_bold) for r in ink.runs if r.start < end]
        cut = shape_line(TextSample(text[:end], ink.text.category), runs, box_px, look)
        if cut.width <= max_width:
            return cut
    return None


def _size(config: GenConfig, layout: str, rng: np.random.Generator) -> tuple[int, int]:
    """(width, height) of the page image."""
    long_side = int(rng.integers(config.page.long_side[0], config.page.long_side[1] + 1))
    low, high, landscape = ASPECTS[layout]
    short_side = round(long_side * rng.uniform(low, high))
    return (long_side, short_side) if landscape else (short_side, long_side)


def largest_page(config: GenConfig) -> tuple[int, int]:
    """(short side, long side) of the largest page this config can make, px."""
    long_side = config.page.long_side[1]
    return round(long_side * max(ASPECTS[name][1] for name, weight in config.page.layouts.items() if weight > 0)), long_side


def _edge(start: np.ndarray, end: np.ndarray, step: float) -> np.ndarray:
    segments = max(1, min(MAX_EDGE_POINTS - 1, math.ceil(float(np.linalg.norm(end - start)) / step)))
    return start + (end - start) * (np.arange(segments + 1, dtype=np.float32)[:, None] / segments)


def _outline(line: PageLine) -> np.ndarray:
    """The line's quad sampled every line box along its top and bottom edges: top left->right, bottom right->left."""
    q = line.points
    step = float(line.box_px)
    return np.concatenate([_edge(q[0], q[1], step), _edge(q[3], q[2], step)[::-1]])


def _straight(edge: np.ndarray) -> bool:
    start, end = edge[0], edge[-1]
    direction = (end - start) / max(float(np.linalg.norm(end - start)), 1e-6)
    normal = np.array([-direction[1], direction[0]], dtype=np.float32)
    return bool(np.abs((edge - start) @ normal).max() <= STRAIGHT_PX)


def _polygon(outline: np.ndarray) -> np.ndarray:
    """4 points when both moved edges are still straight, else every sampled point."""
    half = len(outline) // 2
    top, bottom = outline[:half], outline[half:]
    if _straight(top) and _straight(bottom):
        return np.array([top[0], top[-1], bottom[0], bottom[-1]], dtype=np.float32)
    return outline


def _label(
    config: GenConfig, line: PageLine, role: str, polygon: np.ndarray, width: int, height: int, clusters: ClusterBoxes | None
) -> LineLabel:
    inside = bool(
        (polygon[:, 0] >= -0.5).all() and (polygon[:, 0] <= width - 0.5).all()
        and (polygon[:, 1] >= -0.5).all() and (polygon[:, 1] <= height - 0.5).all()
    )
    points = np.rint(polygon)
    points[:, 0] = np.clip(points[:, 0], 0, width - 1)
    points[:, 1] = np.clip(points[:, 1], 0, height - 1)
    extent = points.max(axis=0) - points.min(axis=0)
    ignore = (
        "illegible" if line.illegible else "cut" if not inside else "small" if extent.min() < config.page.min_text_px else None
    )
    return LineLabel(line, tuple((int(x), int(y)) for x, y in points), ignore, role, None if ignore else clusters)


def _canvas(
    config: GenConfig, index: int, attempt: int, layout: str, rng: np.random.Generator
) -> tuple[Page, tuple[int, int, int, int], Any, bool]:
    """The page image with its paper (on a scene for some pages): Page, paper area, paper backdrop, on a scene."""
    width, height = _size(config, layout, rng)
    paper = sample_backdrop(stage_rng(config.seed, index, Stage.BACKGROUND, 2 * attempt), config.background, config.render)
    on_scene = layout != "sign" and bool(rng.random() < config.page.scene)
    if not on_scene:
        pixels = draw_on(paper, np.zeros((height, width), dtype=np.uint8), config.background.images)
        return Page(np.ascontiguousarray(pixels), config.page.box_margin), (0, 0, width, height), paper, False
    scene = sample_backdrop(stage_rng(config.seed, index, Stage.BACKGROUND, 2 * attempt + 1), config.background, config.render)
    pixels = np.ascontiguousarray(draw_on(scene, np.zeros((height, width), dtype=np.uint8), config.background.images))
    share = rng.uniform(0.74, 0.9)
    w, h = round(width * share), round(height * share)
    x0, y0 = int(rng.integers(0, width - w + 1)), int(rng.integers(0, height - h + 1))
    pixels[y0 : y0 + h, x0 : x0 + w] = draw_on(paper, np.zeros((h, w), dtype=np.uint8), config.background.images)
    return Page(pixels, config.page.box_margin), (x0, y0, x0 + w, y0 + h), paper, True


def _readable(config: GenConfig, text: str) -> bool:
    """Whether a line's label is within the rec limits (max_text_length, ctc_time_steps), so that its crop may
    join the crops' rec set (a body prose line may run past them: its det label has no limit, its crop is left out)."""
    return len(text) <= config.max_text_length and ctc_steps(text) <= config.ctc_time_steps


def compose_page(config: GenConfig, pool: FontPool, index: int) -> ComposedPage:
    """Build page `index` (a pure function of config, fonts and index), keeping its pixels and line ids.

    A page whose every box came out `###` (all cut, small or fine print) is redrawn, so that PaddleOCR's
    DB training never drops it.

    Raises:
        ConfigError: PAGE_ATTEMPTS drafts in a row placed no text line, or no line a detector can learn.
    """
    for attempt in range(PAGE_ATTEMPTS):
        page = _draft(config, pool, index, attempt)
        if isinstance(page, ComposedPage):
            return page
    raise ConfigError(f"page {index}: {page}")


def _draft(config: GenConfig, pool: FontPool, index: int, attempt: int) -> ComposedPage | str:
    """One draft of page `index`, or why it is unusable."""
    rng = stage_rng(config.seed, index, Stage.LAYOUT, attempt)
    names = sorted(config.page.layouts)
    layout_name = names[pick(rng.random(), [config.page.layouts[n] for n in names])]
    page, area, paper, on_scene = _canvas(config, index, attempt, layout_name, rng)
    text_px = int(rng.integers(config.page.text_px[0], config.page.text_px[1] + 1))
    accent = None if paper.light_on_dark else STAMP_COLORS[int(rng.integers(len(STAMP_COLORS)))]
    fine_print = bool(rng.random() < config.page.fine_print)
    typeset = _Typesetter(config, pool, stage_rng(config.seed, index, Stage.TEXT, attempt))
    layout = Layout(page, area, rng, typeset, text_px, paper.text_rgb, accent, fine_print)
    LAYOUTS[layout_name](layout)
    if not any(not line.illegible for line in page.lines):
        return (
            f"the {layout_name} layout fitted no text line on a {page.width}x{page.height} page;"
            f" lower page.text_px ({config.page.text_px[0]}-{config.page.text_px[1]}) or max_text_length, or raise page.long_side"
        )
    outlines = [_outline(line) for line in page.lines]
    clusters = [
        typeset.clusters(line, page.margin) if config.char_boxes and not line.illegible else None for line in page.lines
    ]
    keypoints = [*outlines, *(boxes.keypoints() for boxes in clusters if boxes is not None)]
    augment_rng = stage_rng(config.seed, index, Stage.AUGMENT, attempt)
    preset = choose_preset(augment_rng, config.augment.presets)
    moved = augment_page(page.pixels, page.ids, np.concatenate(keypoints), preset, config.augment.steps(preset), augment_rng)
    height, width = moved.image.shape[:2]
    polygons, start = [], 0
    for outline in outlines:
        polygons.append(_polygon(moved.points[start : start + len(outline)]))
        start += len(outline)
    for number, boxes in enumerate(clusters):
        if boxes is not None:
            clusters[number] = boxes.at_keypoints(moved.points[start : start + 4 * len(boxes.texts)])
            start += 4 * len(boxes.texts)
    labels = [
        _label(config, line, layout.roles.get(number, Role.OTHER).value, polygon, width, height, clusters[number])
        for number, (line, polygon) in enumerate(zip(page.lines, polygons))
    ]
    if all(label.ignore for label in labels):
        return f"every line of {PAGE_ATTEMPTS} drafts came out ### (cut, smaller than page.min_text_px, or fine print)"
    crops = tuple(
        encode_png(crop_quad(moved.image, np.array(label.points, dtype=np.float32)))
        if config.page.crops and label.ignore is None and _readable(config, label.line.text) else None
        for label in labels
    )
    sample = PageSample(
        index=index, split=split_of(config, index), layout=layout_name, png=encode_png(moved.image),
        width=width, height=height, labels=tuple(labels), crops=crops, preset=preset, background=paper.kind,
        scene=on_scene, text_px=text_px, links=tuple(layout.links) if config.page.kie else None,
    )
    return ComposedPage(sample, moved.image, moved.ids)


def make_page(config: GenConfig, pool: FontPool, index: int) -> PageSample:
    """Build page `index`: a pure function of (config, fonts, index)."""
    return compose_page(config, pool, index).sample
