"""Split a line into runs, each drawn by one font that covers all of it (browser-style fallback)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from thaigen.fonts import FontInfo


@dataclass(frozen=True)
class Run:
    """A span of the label, `text[start:end]`, drawn by one font."""

    text: str
    start: int
    font: FontInfo


def _clusters(text: str) -> list[str]:
    """Split into base + following combining marks (Thai vowels above/below, tone marks)."""
    clusters: list[str] = []
    for ch in text:
        if clusters and unicodedata.category(ch) in ("Mn", "Mc", "Me"):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def split_runs(text: str, primary: FontInfo, fallbacks: tuple[FontInfo, ...]) -> list[Run] | None:
    """Assign each cluster to `primary` if it covers it, else to the first fallback that does.

    Whitespace stays with the run it follows when that font has it. Returns None when some
    cluster has no covering font at all: such a text must never be drawn with `primary`.
    """
    runs: list[Run] = []
    position = 0
    for cluster in _clusters(text):
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
