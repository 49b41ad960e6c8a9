"""Text styles drawn per sample: weight (real bold faces or a synthetic stroke), spacing, width, slant."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from thaigen.config.schema import Chance, StyleConfig
from thaigen.typeset.fonts import FontInfo, FontPool
from thaigen.typeset.runs import Run

_WEIGHT_WORDS = re.compile(r"[\s-]+(bold|regular|book|normal|roman)$", re.IGNORECASE)


@dataclass(frozen=True)
class TextStyle:
    """How the glyphs of one line are drawn (PLAIN: as the font designs them)."""

    bold: bool = False
    stroke: float = 0.0
    """Synthetic bold stroke, em; drawn only for runs flagged synthetic_bold."""
    letter_spacing: float = 0.0
    """Extra advance after each grapheme cluster, em."""
    width: float = 1.0
    """Horizontal scale of the drawn line."""
    skew: float = 0.0
    """Horizontal shift per px above the baseline."""

    @property
    def slanted(self) -> bool:
        """True when the drawn line needs an affine warp (width or skew)."""
        return self.width != 1.0 or self.skew != 0.0


PLAIN = TextStyle()


def sample_text_style(rng: np.random.Generator, config: StyleConfig) -> TextStyle:
    """Draw a TextStyle (always the same draws, so every field is stable)."""
    u = rng.random(8)

    def chance(effect: Chance, applies: float, strength: float, neutral: float) -> float:
        low, high = effect.range
        return low + strength * (high - low) if applies < effect.p else neutral

    return TextStyle(
        bold=bool(u[0] < config.bold),
        stroke=config.stroke[0] + u[1] * (config.stroke[1] - config.stroke[0]),
        letter_spacing=chance(config.letter_spacing, u[2], u[3], 0.0),
        width=chance(config.width, u[4], u[5], 1.0),
        skew=chance(config.skew, u[6], u[7], 0.0),
    )


def family(font: FontInfo) -> str:
    """The font's family name: its full name without a trailing weight word."""
    return _WEIGHT_WORDS.sub("", font.name)


@functools.lru_cache(maxsize=8)
def _faces(pool: FontPool) -> dict[tuple[str, bool], FontInfo]:
    faces: dict[tuple[str, bool], FontInfo] = {}
    for font in pool.thai + pool.fallbacks:
        faces.setdefault((family(font), font.bold), font)
    return faces


def with_weight(runs: list[Run], bold: bool, pool: FontPool) -> list[Run]:
    """Each run in its family's face of the wanted weight when the pool has one covering the run's text.

    A bold line whose run has no bold face gets a synthetic stroke instead (Run.synthetic_bold).
    """
    faces = _faces(pool)
    weighted = []
    for run in runs:
        face = faces.get((family(run.font), bold))
        if face is not None and face.covers(run.text):
            weighted.append(Run(run.text, run.start, face))
        else:
            weighted.append(Run(run.text, run.start, run.font, synthetic_bold=bold and not run.font.bold))
    return weighted
