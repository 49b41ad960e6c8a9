"""Offline Thai lexicons from pythainlp's corpus folder: words by part of speech, weighted by frequency,
words that stack marks, and words holding a given character.

Sources: the TDTB unigram tagger's lexicon (about 10,000 words with Universal POS tags), TNC word
frequencies (Thai National Corpus), and pythainlp's Thai, ORST (Royal Society) and Volubilis word lists.
All ship inside the pythainlp wheel; nothing is downloaded.
"""

from __future__ import annotations

import functools
import importlib.resources
import itertools
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from pythainlp.corpus import thai_orst_words, thai_volubilis_words, thai_words, tnc

from thaigen.text.sources import weighted_index
from thaigen.text.thai import THAI_LETTERS, is_valid_thai

MAX_WORD_CODE_POINTS = 20
"""Longest lexicon word kept (longer entries are compounds or phrases)."""

STACKED = re.compile("[ัิีึื็ุู][่้๊๋์]|[่้๊๋]ำ|ฤๅ|ฦๅ|[ญฐ][ุู]|[ฎฏ][ุู]|[ปฝฟ][ิีึื]")
"""Mark clusters that stress a renderer: a vowel with a tone mark or thanthakhat stacked on it, a tone
before SARA AM, ฤๅ / ฦๅ, a lower vowel under a descender, an upper vowel beside an ascender."""


@dataclass(frozen=True)
class WeightedWords:
    """Words and their cumulative draw weights."""

    words: tuple[str, ...]
    cumulative: tuple[float, ...]

    def draw(self, rng: np.random.Generator) -> str:
        """One word, with probability proportional to its weight."""
        return self.words[weighted_index(rng, self.cumulative)]


WORD_LETTERS = frozenset(THAI_LETTERS) - set("ฺํ๎")
"""Letters a lexicon word may hold: PHINTHU, NIKHAHIT and YAMAKKAN (Pali and Sanskrit transcription) are
left out, so running text never puts a handful of them into a dictionary."""


def _is_word(word: str) -> bool:
    """A clean pure-Thai word in valid mark order, not too long."""
    return 0 < len(word) <= MAX_WORD_CODE_POINTS and WORD_LETTERS.issuperset(word) and is_valid_thai(word)


@functools.cache
def tnc_frequencies() -> dict[str, int]:
    """Word -> count in the Thai National Corpus."""
    return {word: count for word, count in tnc.word_freqs()}


def _weighted(words: Iterable[str]) -> WeightedWords:
    """Sorted words weighted by the square root of their TNC count (common words first in mass, rare ones still drawn)."""
    frequencies = tnc_frequencies()
    ordered = tuple(sorted(set(words)))
    weights = (math.sqrt(frequencies.get(w, 0) + 1) for w in ordered)
    return WeightedWords(ordered, tuple(itertools.accumulate(weights)))


@functools.cache
def words_by_tag() -> dict[str, WeightedWords]:
    """Universal POS tag -> its pure-Thai words from the TDTB lexicon, TNC-weighted."""
    lexicon = importlib.resources.files("pythainlp.corpus") / "tdtb-unigram_tagger.json"
    tags: dict[str, list[str]] = defaultdict(list)
    for word, tag in json.loads(lexicon.read_text(encoding="utf-8-sig")).items():
        if _is_word(word):
            tags[tag].append(word)
    return {tag: _weighted(words) for tag, words in sorted(tags.items())}


@functools.cache
def all_words() -> tuple[str, ...]:
    """Every clean pure-Thai word of pythainlp's Thai, ORST and Volubilis lists, sorted."""
    words = itertools.chain(thai_words(), thai_orst_words(), thai_volubilis_words())
    return tuple(sorted({w for w in words if _is_word(w)}))


@functools.cache
def common_words() -> WeightedWords:
    """Every lexicon word, TNC-weighted."""
    return _weighted(all_words())


@functools.cache
def stacked_words() -> WeightedWords:
    """Words with at least one hard mark cluster (:data:`STACKED`), TNC-weighted."""
    return _weighted(w for w in all_words() if STACKED.search(w))


@functools.cache
def words_with(character: str) -> tuple[str, ...]:
    """Words holding `character`, shortest first (ties by code point)."""
    return tuple(sorted((w for w in all_words() if character in w), key=lambda w: (len(w), w)))
