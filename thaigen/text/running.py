"""Running Thai text: sentences of frequency-weighted words in part-of-speech patterns, and runs of
words that stack marks. Each source fills a length budget (the label limit) instead of a fixed size, so
long lines come out as long as the model may read them.
"""

from __future__ import annotations

import numpy as np

from thaigen.text.lexicon import common_words, stacked_words, words_by_tag
from thaigen.text.sources import address_pieces, corpus

MIN_CODE_POINTS = 10
"""Shortest running line aimed for (when the budget allows it)."""
BODY_CODE_POINTS = (40, 80)
"""Length of most body lines of an A4 document column, code points."""
SHORT_BODY_SHARE = 0.1
"""Share of body lines that are a paragraph's last, short line."""

CLAUSES: tuple[tuple[str, ...], ...] = (
    ("NOUN", "VERB", "NOUN"),
    ("NOUN", "ADJ", "VERB", "ADV"),
    ("PRON", "AUX", "VERB", "NOUN"),
    ("NOUN", "VERB", "ADP", "NOUN"),
    ("PRON", "VERB", "NOUN", "ADJ"),
    ("NOUN", "NOUN", "VERB", "ADV"),
    ("SCONJ", "NOUN", "VERB", "NOUN"),
    ("NOUN", "DET", "AUX", "VERB"),
    ("VERB", "NOUN", "ADP", "PROPN"),
    ("NOUN", "ADP", "NOUN", "VERB", "ADJ"),
    ("PART", "VERB", "NOUN", "DET"),
)
"""Clause shapes in Universal POS tags (subject-verb-object order, modifiers after the head)."""

CURATED_SHARE = 0.3
"""Share of hard words drawn from corpora/hard_words_th.txt rather than mined from the word lists."""


FIRST_WORD_TRIES = 50
"""Words drawn for a line's first word before a budget that none fits is given up on: the source then returns
the last word drawn, too long, and sample_text draws again or names the source that makes nothing that fits."""


def _target(rng: np.random.Generator, budget: int, shortest: int) -> int:
    """A line length to aim for, uniform in [min(shortest, budget), budget]."""
    low = min(shortest, budget)
    return int(rng.integers(low, budget + 1))


def _fill(words: list[str], word: str, gap: str, budget: int) -> bool:
    """Append `word` (after `gap` unless first) if the line stays within `budget`; report whether it did."""
    length = sum(map(len, words))
    if length + len(gap) + len(word) > budget:
        return False
    words.append(gap + word if words else word)
    return True


def running(rng: np.random.Generator, budget: int) -> str:
    """Clauses of POS-patterned, TNC-weighted words, run together or spaced as Thai prose is, up to a
    length drawn in [10, budget]."""
    return _clauses(rng, budget, _target(rng, budget, MIN_CODE_POINTS))


def body(rng: np.random.Generator, budget: int) -> str:
    """A body line of a printed document: running text as long as an A4 column holds, 40-80 code points
    (within the budget), one line in ten a paragraph's short last line of 10-40."""
    if budget <= BODY_CODE_POINTS[0] or rng.random() < SHORT_BODY_SHARE:
        return _clauses(rng, budget, _target(rng, min(budget, BODY_CODE_POINTS[0]), MIN_CODE_POINTS))
    longest = min(budget, BODY_CODE_POINTS[1])
    return _clauses(rng, longest, int(rng.integers(BODY_CODE_POINTS[0], longest + 1)))


def _clauses(rng: np.random.Generator, budget: int, target: int) -> str:
    """Clauses of POS-patterned words until the line reaches `target` code points (never past `budget`)."""
    tags = words_by_tag()
    words: list[str] = []
    misses = 0
    while sum(map(len, words)) < target:
        clause = CLAUSES[int(rng.integers(len(CLAUSES)))]
        gap = " " if words and rng.random() < 0.4 else ""
        first = tags[clause[0]].draw(rng)
        if not _fill(words, first, gap, budget):
            if words:
                break
            misses += 1
            if misses == FIRST_WORD_TRIES:
                return first
            continue
        for tag in clause[1:]:
            if not _fill(words, tags[tag].draw(rng), "", budget):
                break
    return "".join(words)


def hard_words(rng: np.random.Generator, budget: int) -> str:
    """Words that stack vowels and tone marks (ปั้น ฤๅษี ก๋วยเตี๋ยว สิทธิ์ ...), run together or spaced."""
    curated = corpus("hard_words_th.txt")
    mined = stacked_words()
    target = _target(rng, budget, MIN_CODE_POINTS // 2)
    words: list[str] = []
    misses = 0
    while sum(map(len, words)) < target:
        word = curated[int(rng.integers(len(curated)))] if rng.random() < CURATED_SHARE else mined.draw(rng)
        if not _fill(words, word, " " if rng.random() < 0.5 else "", budget):
            if words:
                break
            misses += 1
            if misses == FIRST_WORD_TRIES:
                return word
    return "".join(words)


def words(rng: np.random.Generator, budget: int) -> str:
    """1-4 dictionary words (Thai, ORST, Volubilis lists) weighted by TNC frequency, run together or spaced."""
    chosen: list[str] = []
    for _ in range(int(rng.integers(1, 5))):
        if not _fill(chosen, common_words().draw(rng), " " if rng.random() < 0.3 else "", budget) and chosen:
            break
    return "".join(chosen) or common_words().words[0]


def address_line(rng: np.random.Generator, budget: int) -> str:
    """Consecutive pieces of one Thai address (house, road, district, province, postcode), 2 or more
    where the budget allows, as an address field holds them."""
    pieces = address_pieces(rng)
    start = int(rng.integers(0, len(pieces) - 1))
    target = _target(rng, budget, MIN_CODE_POINTS)
    line: list[str] = []
    for piece in pieces[start:]:
        if (len(line) >= 2 and sum(map(len, line)) >= target) or not _fill(line, piece, " ", budget):
            break
    return "".join(line) or pieces[start]
