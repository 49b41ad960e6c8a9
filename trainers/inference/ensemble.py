"""Combine several engines' readings of the same lines: per-line confidence choice, or character voting.

Voting aligns every reading to the most confident one (the pivot) with Levenshtein opcodes, then
decides each pivot character and each gap between them by confidence-weighted majority; ties go to
the pivot. With two readings that disagree, the more confident one therefore wins; voting pays off
from three engines on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from enum import Enum

from rapidfuzz.distance import Levenshtein

from trainers.inference.engine import Engine, Reading
from trainers.inference.image import Image


class Combiner(Enum):
    """How an ensemble turns its members' readings of one line into one reading."""

    CONFIDENCE = "confidence"
    """The reading its engine is most confident about."""
    VOTE = "vote"
    """Confidence-weighted character voting on aligned readings."""


def most_confident(readings: Sequence[Reading]) -> Reading:
    """The reading with the highest confidence (the first of equals)."""
    return max(readings, key=lambda r: r.confidence)


def _weights(readings: Sequence[Reading]) -> list[float]:
    """Each reading's vote weight: its confidence, or 1 each when no engine gives any."""
    weights = [max(r.confidence, 0.0) for r in readings]
    return weights if any(weights) else [1.0] * len(readings)


def _winner(votes: dict[str, float], default: str) -> tuple[str, float]:
    """The most weighted candidate (ties: `default`) and its share of all weight."""
    best = max(votes.values())
    choice = default if votes.get(default) == best else max(votes, key=lambda k: votes[k])
    return choice, votes[choice] / sum(votes.values())


def vote(readings: Sequence[Reading]) -> Reading:
    """Character-level voting; the confidence of each kept character is its share of the vote."""
    weights = _weights(readings)
    pivot_index = max(range(len(readings)), key=lambda i: (readings[i].confidence, -i))
    pivot = readings[pivot_index].text
    slots: list[dict[str, float]] = [defaultdict(float) for _ in pivot]
    gaps: list[dict[str, float]] = [defaultdict(float) for _ in range(len(pivot) + 1)]
    for reading, weight in zip(readings, weights, strict=True):
        inserted: dict[int, str] = {}
        for op in Levenshtein.opcodes(pivot, reading.text):
            i1, i2, j1, j2 = op.src_start, op.src_end, op.dest_start, op.dest_end
            common = min(i2 - i1, j2 - j1) if op.tag in ("equal", "replace") else 0
            for k in range(i2 - i1):
                slots[i1 + k][reading.text[j1 + k] if k < common else ""] += weight
            if j2 - j1 > common:
                inserted[i2] = inserted.get(i2, "") + reading.text[j1 + common : j2]
        for gap, votes in enumerate(gaps):
            votes[inserted.get(gap, "")] += weight
    text, confidences = [], []
    for gap, votes in enumerate(gaps):
        piece, share = _winner(votes, "")
        text.append(piece)
        confidences += [share] * len(piece)
        if gap < len(pivot):
            char, share = _winner(slots[gap], pivot[gap])
            text.append(char)
            confidences += [share] * len(char)
    return Reading("".join(text), sum(confidences) / len(confidences) if confidences else 0.0, tuple(confidences))


COMBINE = {Combiner.CONFIDENCE: most_confident, Combiner.VOTE: vote}


class Ensemble:
    """Two or more engines read every line; a combiner makes one reading of them (an Engine)."""

    def __init__(self, members: Sequence[Engine], combiner: Combiner) -> None:
        if len(members) < 2:
            raise ValueError("an ensemble needs at least two engines")
        self.members = tuple(members)
        self.combiner = combiner

    @property
    def name(self) -> str:
        """E.g. 'vote(rec (onnxruntime), tesseract (tha+eng))'."""
        return f"{self.combiner.value}({', '.join(m.name for m in self.members)})"

    def combine(self, member_readings: Sequence[Sequence[Reading]]) -> list[Reading]:
        """Combine the members' readings (one list per member, lines in the same order)."""
        combine = COMBINE[self.combiner]
        return [combine(line) for line in zip(*member_readings, strict=True)]

    def read(self, images: Sequence[Image]) -> list[Reading]:
        """Every member reads the lines, then the combiner decides."""
        return self.combine([member.read(images) for member in self.members])
