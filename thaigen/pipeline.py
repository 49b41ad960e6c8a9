"""One sample from (config, seed, index): text -> fonts/runs -> render -> augment -> PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from thaigen.augment import augment
from thaigen.config import GenConfig
from thaigen.errors import ConfigError, FontError
from thaigen.fonts import FontPool
from thaigen.layout import Run, split_runs
from thaigen.render import render_line, sample_style
from thaigen.rng import Stage, stage_rng
from thaigen.text import SOURCES, CorpusError, Source, TextSample, sample_text, sources_with, user_corpus

MAX_ATTEMPTS = 50
"""Texts tried per sample before giving up (a text no font covers is redrawn)."""


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

    def metadata(self) -> dict[str, Any]:
        """JSON-ready record of the sample: label, category, size, and which font drew which run."""
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
                for r in self.runs
            ],
        }


def text_sources(config: GenConfig) -> Mapping[str, Source]:
    """The text sources this config draws from (built-ins, plus its corpus files if any).

    Raises:
        CorpusError: a corpus file is missing, empty, malformed, or has no line that fits.
    """
    if not config.corpus_files:
        return SOURCES
    return sources_with(user_corpus(config.corpus_files, config.max_text_length, config.ctc_time_steps))


def choose_runs(config: GenConfig, pool: FontPool, index: int) -> tuple[TextSample, list[Run]]:
    """Draw a text and a Thai font that, with fallbacks, covers all of it.

    Raises:
        NoCoveringFontError: MAX_ATTEMPTS texts in a row found no covering font.
    """
    sources = text_sources(config)
    for attempt in range(MAX_ATTEMPTS):
        rng = stage_rng(config.seed, index, Stage.TEXT, attempt)
        try:
            text = sample_text(rng, config.sources, config.max_text_length, config.ctc_time_steps, sources)
        except CorpusError:
            raise
        except ValueError as exc:
            raise ConfigError(f"{exc}; raise max_text_length / ctc_time_steps or drop that source") from None
        font_rng = stage_rng(config.seed, index, Stage.FONT, attempt)
        for font_index in font_rng.permutation(len(pool.thai)):
            primary = pool.thai[int(font_index)]
            runs = split_runs(text.text, primary, pool.fallbacks_for(primary))
            if runs is not None:
                return text, runs
    raise NoCoveringFontError(
        f"sample {index}: no configured font (with fallbacks) covers any of {MAX_ATTEMPTS} texts drawn,"
        f" e.g. {text.text!r}; add a font that has these characters"
    )


def encode_png(pixels: np.ndarray) -> bytes:
    """Encode RGB pixels as PNG (deterministic bytes for equal pixels)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def make_sample(config: GenConfig, pool: FontPool, index: int) -> Sample:
    """Build sample `index`: a pure function of (config, fonts, index)."""
    text, runs = choose_runs(config, pool, index)
    style = sample_style(stage_rng(config.seed, index, Stage.RENDER), config.render)
    line = render_line(runs, style, config.render.height)
    pixels = augment(line.image, config.augment.preset, stage_rng(config.seed, index, Stage.AUGMENT))
    is_val = stage_rng(config.seed, index, Stage.SPLIT).random() < config.val_fraction
    return Sample(
        index=index,
        label=text.text,
        category=text.category,
        split="val" if is_val else "train",
        png=encode_png(pixels),
        width=pixels.shape[1],
        height=pixels.shape[0],
        runs=tuple(runs),
        font_size=line.placed[0].size,
    )
