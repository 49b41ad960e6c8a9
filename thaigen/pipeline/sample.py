"""One sample from (config, seed, index): text -> fonts/runs -> render -> augment -> PNG bytes."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from thaigen.augment.apply import augment, choose_preset
from thaigen.compose.backgrounds import Backdrop, draw_on, sample_backdrop
from thaigen.compose.crop import Frame, ink_box, recrop, sample_frame, to_height
from thaigen.compose.furniture import Where, draw_furniture
from thaigen.config.schema import GenConfig
from thaigen.dataset.dictionary import encodable_characters
from thaigen.dataset.png import encode_png
from thaigen.errors import ConfigError, FontError
from thaigen.rng import Stage, stage_rng
from thaigen.text.catalog import sources_for
from thaigen.text.sources import Source, TextSample, ctc_steps, numbered_corpus_items, sample_text, user_corpus
from thaigen.typeset.fonts import FontPool
from thaigen.typeset.render import ClusterBoxes, LineStyle, cluster_boxes, draw_ink, draw_line, sample_style
from thaigen.typeset.runs import Run, split_runs
from thaigen.typeset.styles import TextStyle, sample_text_style, with_weight

DRAWING_FORMAT = 4
"""Bumped whenever the same config and seed start to give other bytes (recorded in build.json and the manifest,
so a build never resumes, nor a merge joins, across formats).
1: hinted glyphs, Pillow's PNG encoder at level 3.
2: unhinted glyphs (typeset.faces); OpenCV's PNG encoder, Up row filter, zlib level 1, gray images as grayscale
   (dataset.png).
3: a preset's transforms draw one after another from the sample's stream, not each from the same seed
   (augment.apply.drive); luminance noise in the built-in presets light, scan and tilted (augment.presets).
4: addresses from one real place (text.addresses: subdistrict, district, province and postcode belong together);
   a preset's draw that leaves the text illegible is drawn again (augment.legibility); det pages: document body
   lines as wide as their column, receipts that add up, form and ID-card labels from the form_label source."""
MAX_ATTEMPTS = 50
"""Texts tried per sample before giving up (a text no font covers is redrawn)."""
MAX_WIDTH_PX = 30_000
"""Widest line drawn (OpenCV's warps and encoders stop near 32,767 px; PaddleOCR shrinks lines to 320 px anyway)."""


class NoCoveringFontError(FontError):
    """No configured font (with fallbacks) can draw the texts this config makes."""


@dataclass(frozen=True)
class Sample:
    """A finished sample: encoded image, label and everything drawn to make it."""

    index: int
    label: str
    category: str
    split: str
    png: bytes
    width: int
    height: int
    runs: tuple[Run, ...]
    font_size: int
    text_style: TextStyle
    backdrop: Backdrop
    frame: Frame
    preset: str
    clusters: ClusterBoxes | None = None
    """The label's grapheme clusters and their boxes in the image, when the config asks for them (char_boxes)."""

    def metadata(self) -> dict[str, Any]:
        """JSON-ready record: label, category, size, which font drew which run, and how the line was styled."""
        style = self.text_style
        return {
            "index": self.index,
            "label": self.label,
            "category": self.category,
            "split": self.split,
            "width": self.width,
            "height": self.height,
            "font_size": self.font_size,
            "runs": [
                {"start": r.start, "end": r.start + len(r.text), "text": r.text, "font": r.font.path.name}
                | ({"synthetic_bold": True} if r.synthetic_bold else {})
                for r in self.runs
            ],
            "style": {
                "bold": style.bold,
                "letter_spacing_em": round(style.letter_spacing, 4),
                "width": round(style.width, 4),
                "skew": round(style.skew, 4),
            },
            "background": self.backdrop.kind,
            "light_on_dark": self.backdrop.light_on_dark,
            "text_rgb": list(self.backdrop.text_rgb),
            "crop": "recrop" if self.frame.recrop else "line",
            "furniture": list(self.frame.furniture),
            "preset": self.preset,
        } | ({"clusters": self.clusters.record(self.width, self.height)} if self.clusters is not None else {})


class CorpusDropWarning(UserWarning):
    """Lines of a user's corpus file that no sample will ever show."""


@dataclass(frozen=True)
class Composed:
    """A sample's pixels before encoding, and where the label's ink is in them (for checks)."""

    sample: Sample
    pixels: np.ndarray
    ink: np.ndarray


def text_sources(config: GenConfig) -> Mapping[str, Source]:
    """The text sources this config draws from (built-ins bound to its label limit, plus its corpus files).

    Raises:
        CorpusError: a corpus file is missing, empty, malformed, or has no line that fits.
    """
    lines = user_corpus(config.corpus_files, config.max_text_length, config.ctc_time_steps) if config.corpus_files else ()
    return sources_for(config.max_text_length, lines, config.focus_characters)


def load_text_sources(config: GenConfig) -> None:
    """Draw once from every source the config weights (a throwaway generator: no sample changes), so the
    word lists and lexicons they read are loaded before workers fork."""
    sources = text_sources(config)
    for name in sorted(n for n, weight in config.sources.items() if weight > 0):
        sources[name](np.random.default_rng(0))


def warn_corpus_drops(config: GenConfig, pool: FontPool) -> None:
    """One warning per corpus file (corpus_files) some of whose lines are never drawn: longer than the label
    limits, holding characters the target dictionary lacks, or that no Thai font (with fallbacks) covers.

    Raises:
        CorpusError: a corpus file is missing or not UTF-8.
    """
    allowed = target_characters(config)
    for path in config.corpus_files:
        dropped: dict[str, list[int]] = {}
        items = numbered_corpus_items(path)
        for number, line in items:
            if len(line) > config.max_text_length or ctc_steps(line) > config.ctc_time_steps:
                why = (f"longer than max_text_length {config.max_text_length} code points or "
                       f"ctc_time_steps {config.ctc_time_steps}")
            elif allowed is not None and not allowed.issuperset(line):
                why = "holding characters the target dictionary lacks"
            elif not any(split_runs(line, font, pool.fallbacks_for(font)) is not None for font in pool.thai):
                why = "that no configured font (with fallbacks) covers"
            else:
                continue
            dropped.setdefault(why, []).append(number)
        if dropped:
            said = "; ".join(f"{len(numbers)} {why} (first: line {numbers[0]})" for why, numbers in dropped.items())
            count = sum(map(len, dropped.values()))
            warnings.warn(f"corpus file {path}: {count} of {len(items)} lines never drawn: {said}", CorpusDropWarning,
                          stacklevel=2)


def split_of(config: GenConfig, index: int) -> str:
    """Sample `index`'s split, "train" or "val", drawn on its own (microseconds, nothing rendered)."""
    return "val" if stage_rng(config.seed, index, Stage.SPLIT).random() < config.val_fraction else "train"


def target_characters(config: GenConfig) -> frozenset[str] | None:
    """The characters labels may hold under the config's target dictionary (None: any).

    Raises:
        DatasetError: the dictionary file is missing, unreadable or has no one-character entry.
    """
    return encodable_characters(config.dictionary) if config.dictionary else None


def choose_runs(config: GenConfig, pool: FontPool, index: int) -> tuple[TextSample, list[Run]]:
    """Draw a text and a Thai font that, with fallbacks, covers all of it.

    Raises:
        CorpusError: a corpus file is missing, empty, malformed, or has no line that fits.
        NoFittingTextError: a source makes no text within the label limits.
        NoCoveringFontError: MAX_ATTEMPTS texts in a row found no covering font.
    """
    sources = text_sources(config)
    for attempt in range(MAX_ATTEMPTS):
        rng = stage_rng(config.seed, index, Stage.TEXT, attempt)
        text = sample_text(
            rng, config.sources, config.max_text_length, config.ctc_time_steps, sources, target_characters(config)
        )
        font_rng = stage_rng(config.seed, index, Stage.FONT, attempt)
        for font_index in pool.font_order(font_rng):
            primary = pool.thai[int(font_index)]
            runs = split_runs(text.text, primary, pool.fallbacks_for(primary))
            if runs is not None:
                return text, runs
    raise NoCoveringFontError(
        f"sample {index}: no configured font (with fallbacks) covers any of {MAX_ATTEMPTS} texts drawn,"
        f" e.g. {text.text!r}; add a font that has these characters"
    )


def _neighbour_ink(config: GenConfig, pool: FontPool, runs: list[Run], style: LineStyle, index: int) -> np.ndarray | None:
    """Ink of another text in the label's primary font and style: the line above or below on the page."""
    rng = stage_rng(config.seed, index, Stage.FRAME, attempt=1)
    other = sample_text(rng, config.sources, config.max_text_length, config.ctc_time_steps, text_sources(config))
    other_runs = split_runs(other.text, runs[0].font, pool.fallbacks_for(runs[0].font))
    if other_runs is None:
        return None
    return draw_ink(other_runs, replace(style, text=replace(style.text, letter_spacing=0.0)), config.render.height)[0]


def _frame_line(
    config: GenConfig, pool: FontPool, index: int, runs: list[Run], style: LineStyle
) -> tuple[np.ndarray, np.ndarray, Frame, int, ClusterBoxes | None]:
    """The label's ink and all ink (label + furniture) on the sample's crop, the frame, the font size, and the
    label's cluster boxes on the crop (when the config asks for them)."""
    line = draw_line(runs, style, config.render.height)
    ink, placed = line.ink, line.placed
    boxes = cluster_boxes(line) if config.char_boxes else None
    size = placed[0].size
    frame = sample_frame(stage_rng(config.seed, index, Stage.FRAME), config.frame, size)
    if not frame.recrop:
        return ink, ink, frame, size, boxes
    before = ink_box(ink)
    framed, box = recrop(ink, frame)
    if boxes is not None:
        boxes = boxes.mapped(np.array([[1.0, 0.0, box.left - before.left], [0.0, 1.0, box.top - before.top]]))
    baseline = placed[0].baseline - before.top + box.top
    neighbour = _neighbour_ink(config, pool, runs, style, index) if "neighbours" in frame.furniture else None
    where = Where(box, size, baseline, neighbour)
    if not frame.furniture:
        return framed, framed, frame, size, boxes
    furniture = draw_furniture(framed.shape, frame.furniture, where, np.random.default_rng(frame.seed))
    return framed, np.maximum(framed, furniture), frame, size, boxes


def _to_height(height: int, boxes: ClusterBoxes | None, *arrays: np.ndarray) -> tuple[list[np.ndarray], ClusterBoxes | None]:
    """to_height, the boxes scaled as the arrays are."""
    scaled = to_height(height, *arrays)
    if boxes is None:
        return scaled, None
    (old_h, old_w), (new_h, new_w) = arrays[0].shape[:2], scaled[0].shape[:2]
    return scaled, boxes.mapped(np.array([[new_w / old_w, 0.0, 0.0], [0.0, new_h / old_h, 0.0]]))


def compose_sample(config: GenConfig, pool: FontPool, index: int) -> Composed:
    """Build sample `index` (a pure function of config, fonts and index), keeping its pixels and ink.

    Raises:
        ConfigError: the line would be wider than MAX_WIDTH_PX (and the errors of choose_runs).
    """
    text, runs = choose_runs(config, pool, index)
    render_rng = stage_rng(config.seed, index, Stage.RENDER)
    line_style = sample_style(render_rng, config.render)
    look = sample_text_style(render_rng, config.style)
    runs = with_weight(runs, look.bold, pool)
    style = replace(line_style, text=look)
    ink, coverage, frame, size, boxes = _frame_line(config, pool, index, runs, style)
    backdrop = sample_backdrop(stage_rng(config.seed, index, Stage.BACKGROUND), config.background, config.render)
    (ink, coverage), boxes = _to_height(config.render.height, boxes, ink, coverage)
    if coverage.shape[1] > MAX_WIDTH_PX:
        raise ConfigError(
            f"sample {index}: its line is {coverage.shape[1]} px wide, over {MAX_WIDTH_PX}; lower max_text_length,"
            " ctc_time_steps or render.height, or use shorter corpus lines"
        )
    pixels = draw_on(backdrop, coverage, config.background.images)
    augment_rng = stage_rng(config.seed, index, Stage.AUGMENT)
    preset = choose_preset(augment_rng, config.augment.presets)
    keypoints = None if boxes is None else boxes.keypoints()
    augmented = augment(pixels, ink, preset, config.augment.steps(preset), augment_rng, keypoints)
    if boxes is not None:
        boxes = boxes.at_keypoints(augmented.keypoints)
    (pixels, ink), boxes = _to_height(config.render.height, boxes, augmented.image, augmented.ink)
    sample = Sample(
        index=index,
        label=text.text,
        category=text.category,
        split=split_of(config, index),
        png=encode_png(pixels),
        width=pixels.shape[1],
        height=pixels.shape[0],
        runs=tuple(runs),
        font_size=size,
        text_style=look,
        backdrop=backdrop,
        frame=frame,
        preset=augmented.preset,
        clusters=boxes,
    )
    return Composed(sample, pixels, ink)


def make_sample(config: GenConfig, pool: FontPool, index: int) -> Sample:
    """Build sample `index`: a pure function of (config, fonts, index)."""
    return compose_sample(config, pool, index).sample
