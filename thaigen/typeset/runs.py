"""Split a line into runs, each drawn by one font that covers all of it (browser-style fallback)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from thaigen.typeset.fonts import FontInfo


@dataclass(frozen=True)
class Run:
    """A span of the label, `text[start:end]`, drawn by one font."""

    text: str
    start: int
    font: FontInfo
    synthetic_bold: bool = False
    """Drawn with a stroke around the glyphs because the pool has no bold face of this font's family."""


CLUSTER_JOINERS = frozenset("\u0e33")
"""Spacing marks that belong to the cluster before them (SARA AM: Unicode GraphemeBreak SpacingMark)."""


def clusters(text: str) -> list[str]:
    """Split into grapheme clusters: base + following combining marks (vowels above/below, tone marks, SARA AM)."""
    found: list[str] = []
    for ch in text:
        if found and (unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in CLUSTER_JOINERS):
            found[-1] += ch
        else:
            found.append(ch)
    return found


def split_runs(text: str, primary: FontInfo, fallbacks: tuple[FontInfo, ...]) -> list[Run] | None:
    """Assign each cluster to `primary` if it covers it, else to the first fallback that does.

    Whitespace stays with the run it follows when that font has it. Returns None when some
    cluster has no covering font at all: such a text must never be drawn with `primary`.
    """
    runs: list[Run] = []
    position = 0
    for cluster in clusters(text):
        if runs and cluster.isspace() and runs[-1].font.covers(cluster):
            font: FontInfo | None = runs[-1].font
        elif primary.covers(cluster):
            font = primary
        else:
            font = next((f for f in fallbacks if f.covers(cluster)), None)
        if font is None:
            return None
        if runs and runs[-1].font is font:
            last = runs[-1]
            runs[-1] = Run(last.text + cluster, last.start, font)
        else:
            runs.append(Run(cluster, position, font))
        position += len(cluster)
    return runs
