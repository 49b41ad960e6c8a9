"""Offline Thai lexicons from pythainlp's corpus folder: words by part of speech, weighted by frequency,
words that stack marks, and words holding a given character.

Sources: the TDTB unigram tagger's lexicon (about 10,000 words with Universal POS tags), TNC word
frequencies (Thai National Corpus), and pythainlp's Thai, ORST (Royal Society) and Volubilis word lists.
All ship inside the pythainlp wheel; nothing is downloaded. What is derived from them is kept in thaigen's
cache (thaigen.cache) by pythainlp's version and this code.
"""

from __future__ import annotations

import functools
import importlib.resources
import itertools
import json
import marshal
import math
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pythainlp
from pythainlp.corpus import thai_orst_words, thai_volubilis_words, thai_words, tnc

from thaigen import cache
from thaigen.text import thai
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


def _weighted(words: Iterable[str], frequencies: Mapping[str, int]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Sorted words and their cumulative weights: the square root of their TNC count (common words first in
    mass, rare ones still drawn)."""
    ordered = tuple(sorted(set(words)))
    weights = (math.sqrt(frequencies.get(w, 0) + 1) for w in ordered)
    return ordered, tuple(itertools.accumulate(weights))


def _derive() -> dict[str, Any]:
    """Every table this module offers, from pythainlp's corpora (about a second: four word lists and TNC read,
    200,000 words checked and sorted)."""
    frequencies = {word: count for word, count in tnc.word_freqs()}
    characters: Counter[str] = Counter()
    for word, count in frequencies.items():
        for ch in word:
            characters[ch] += count
    total = sum(characters.values())
    listed = itertools.chain(thai_words(), thai_orst_words(), thai_volubilis_words())
    words = tuple(sorted({w for w in listed if _is_word(w)}))
    lexicon = importlib.resources.files("pythainlp.corpus") / "tdtb-unigram_tagger.json"
    tags: dict[str, list[str]] = defaultdict(list)
    for word, tag in json.loads(lexicon.read_text(encoding="utf-8-sig")).items():
        if _is_word(word):
            tags[tag].append(word)
    return {
        "tnc": frequencies,
        "character_shares": {ch: n / total for ch, n in characters.items()},
        "words": words,
        "by_tag": {tag: _weighted(tagged, frequencies) for tag, tagged in sorted(tags.items())},
        "common": _weighted(words, frequencies),
        "stacked": _weighted((w for w in words if STACKED.search(w)), frequencies),
    }


_TABLES_VERSION = cache.digest(
    Path(__file__).read_bytes(),
    Path(thai.__file__).read_bytes(),
    pythainlp.__version__,
    sys.version,
    str(marshal.version),
)
"""What the tables depend on besides pythainlp's corpora (which its version pins): this code, the mark-order
rules, and marshal's format."""


_TABLE_KEYS = {"tnc", "character_shares", "words", "by_tag", "common", "stacked"}


@functools.cache
def _tables() -> dict[str, Any]:
    """The derived tables, from the cache when it holds them (marshal: 0.07 s against a second to derive)."""
    name = f"tables-{_TABLES_VERSION}.marshal"
    data = cache.load("lexicon", name)
    if data is not None:
        try:
            tables = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            tables = None
        if isinstance(tables, dict) and tables.keys() == _TABLE_KEYS:
            return tables
    tables = _derive()
    cache.store("lexicon", name, marshal.dumps(tables))
    return tables


def tnc_frequencies() -> dict[str, int]:
    """Word -> count in the Thai National Corpus."""
    return _tables()["tnc"]


def tnc_character_shares() -> dict[str, float]:
    """Character -> its share of TNC's character mass."""
    return _tables()["character_shares"]


@functools.cache
def words_by_tag() -> dict[str, WeightedWords]:
    """Universal POS tag -> its pure-Thai words from the TDTB lexicon, TNC-weighted."""
    return {tag: WeightedWords(*pair) for tag, pair in _tables()["by_tag"].items()}


def all_words() -> tuple[str, ...]:
    """Every clean pure-Thai word of pythainlp's Thai, ORST and Volubilis lists, sorted."""
    return _tables()["words"]


@functools.cache
def common_words() -> WeightedWords:
    """Every lexicon word, TNC-weighted."""
    return WeightedWords(*_tables()["common"])


@functools.cache
def stacked_words() -> WeightedWords:
    """Words with at least one hard mark cluster (:data:`STACKED`), TNC-weighted."""
    return WeightedWords(*_tables()["stacked"])


@functools.cache
def _word_block() -> str:
    """Every word of all_words() on a line of its own, with a newline before the first and after the last."""
    return "\n" + "\n".join(all_words()) + "\n"


@functools.cache
def words_with(character: str) -> tuple[str, ...]:
    """Words holding `character`, shortest first (ties by code point)."""
    return tuple(sorted(_holding(character), key=lambda w: (len(w), w)))


def _holding(character: str) -> list[str]:
    """The words of all_words() that hold `character` (every word holds the empty string).

    Found with str.find in one block of all the words (9x faster than testing each of 200,000 words for the
    rare characters, which only a few words hold).
    """
    if not character:
        return list(all_words())
    if "\n" in character:
        return []
    block, found = _word_block(), []
    at = block.find(character)
    while at != -1:
        end = block.find("\n", at)
        found.append(block[block.rfind("\n", 0, at) + 1 : end])
        at = block.find(character, end)
    return found
