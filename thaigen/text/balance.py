"""Character balance: lines built around one rare character each, so every character a Thai model must
know is seen often enough to learn.

The rare set is measured, not listed: the characters of :data:`ALPHABET` whose share of the Thai National
Corpus's character mass (words weighted by their counts) is under :data:`RARE_SHARE`, plus the ASCII
punctuation, which running Thai text almost never holds. The `rare` source draws one of them uniformly
and writes it the way Thai text uses it: inside a real word, as a letter's name (ฃ ขวด, ฅ คน: the
obsolete letters' few dictionary words are mostly typos), in a number, around a word, or as a verse
mark (๏ opens a stanza, ๚ and ๛ close one).
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from thaigen.text.lexicon import tnc_character_shares, tnc_frequencies, words_by_tag, words_with
from thaigen.text.sources import (
    amount,
    choice,
    corpus,
    digits,
    integer,
    letters,
    randint,
    to_thai_digits,
    weighted_index,
)
from thaigen.text.thai import (
    ABOVE_VOWELS,
    BELOW_VOWELS,
    CONSONANTS,
    DIGITS,
    FOLLOWING_VOWELS,
    LEADING_VOWELS,
    THAI_LETTERS,
    TONE_MARKS,
    VOWEL_LETTERS,
)

VERSE_MARKS = "๏๚๛"
PUNCTUATION = "()\"'!?;:%&+-/.,@#*=_"
ALPHABET: str = (
    CONSONANTS
    + VOWEL_LETTERS
    + LEADING_VOWELS
    + FOLLOWING_VOWELS
    + ABOVE_VOWELS
    + BELOW_VOWELS.replace("ฺ", "")
    + TONE_MARKS
    + "์"
    + DIGITS
    + "ฯๆ฿"
    + VERSE_MARKS
)
"""Thai characters every model must know. Left out: PHINTHU, NIKHAHIT and YAMAKKAN (ฺ ํ ๎: Pali and
Sanskrit transcription; a lone ํ before า is also the ำ trap)."""

RARE_SHARE = 0.002
"""Below 0.2 % of TNC's character mass a character is rare (ฆ is 0.015 %, ๆ 0.197 %, ซ 0.24 %)."""


OBSOLETE = "ฃฅ"
MIN_LINE = 10
"""Shortest line aimed for around a rare character (a bare ฃ ขวด would repeat)."""


@functools.cache
def rare_characters() -> str:
    """The rare set: ALPHABET characters under RARE_SHARE of TNC, then PUNCTUATION."""
    shares = tnc_character_shares()
    return "".join(ch for ch in ALPHABET if shares.get(ch, 0.0) < RARE_SHARE) + PUNCTUATION


@functools.cache
def letter_names() -> dict[str, str]:
    """Each consonant -> its name word (corpora/letter_names_th.txt)."""
    return dict(line.split(" ", 1) for line in corpus("letter_names_th.txt"))


def _filler(rng: np.random.Generator) -> str:
    return words_by_tag()[choice(rng, ("NOUN", "VERB", "ADJ"))].draw(rng)


@functools.cache
def _usable_words(character: str) -> tuple[str, ...]:
    """Words with `character` that TNC has seen (real words, not typos); all of them when none was seen."""
    words = words_with(character)
    seen = tnc_frequencies()
    return tuple(w for w in words if w in seen) or words


def _in_use(character: str, rng: np.random.Generator) -> str:
    """A short piece of text holding `character` as Thai writing uses it."""
    if character in letter_names() and (character in OBSOLETE or rng.random() < 0.2):
        return f"{character} {letter_names()[character]}"
    if character in DIGITS:
        number = list(str(integer(rng, 6)))
        number[randint(rng, 0, len(number) - 1)] = str(DIGITS.index(character))
        return to_thai_digits("".join(number).lstrip("0") or "0")
    if character in VERSE_MARKS:
        verse = _filler(rng) + _filler(rng)
        return {"๏": f"๏ {verse}", "๚": f"{verse} ๚", "๛": f"{verse} ๛"}[character]
    if character == "ฯ":
        return choice(rng, (f"{_filler(rng)}ฯ", "ฯลฯ", "ฯพณฯ", "กรุงเทพฯ", "นายกฯ"))
    if character == "ๆ":
        return f"{_filler(rng)}{choice(rng, ('ๆ', ' ๆ'))}"
    if character == "฿":
        return f"฿{amount(rng)}"
    if character in PUNCTUATION:
        return _punctuated(character, rng)
    if character.isascii() and character.isalnum():
        return f"{letters(rng, randint(rng, 1, 3))}{character}{digits(rng, randint(rng, 1, 4))}"
    if not _usable_words(character):
        return f"{_filler(rng)} {character}"
    return choice(rng, _usable_words(character))


def _punctuated(mark: str, rng: np.random.Generator) -> str:
    word, other = _filler(rng), _filler(rng)
    shapes = {
        "(": f"({word})",
        ")": f"{word} ({digits(rng, randint(rng, 1, 3))})",
        '"': f'"{word}"',
        "'": f"'{word}'",
        "%": f"{randint(rng, 1, 100)}%",
        "&": f"{word} & {other}",
        "+": f"{word}+{other}",
        "-": f"{word}-{other}",
        "/": f"{word}/{other}",
        "@": f"@{word}",
        "#": f"#{word}",
        "*": f"*{word}",
        "=": f"{word} = {other}",
        "_": f"{word}_{other}",
        ",": f"{word}, {other}",
    }
    return shapes.get(mark, f"{word}{mark}")


def rare(rng: np.random.Generator, budget: int) -> str:
    """One rare character in use, with running words around it up to a length drawn within `budget`."""
    return _around(_in_use(choice(rng, rare_characters()), rng), rng, budget)


def focused(rng: np.random.Generator, budget: int, characters: tuple[tuple[str, float], ...]) -> str:
    """Like :func:`rare`, around one of `characters` ((character, weight) pairs from build --focus) by weight."""
    cumulative = list(itertools.accumulate(w for _, w in characters))
    return _around(_in_use(characters[weighted_index(rng, cumulative)][0], rng), rng, budget)


def _around(core: str, rng: np.random.Generator, budget: int) -> str:
    """`core` with running words around it, up to a length drawn within `budget`."""
    target = randint(rng, min(max(len(core) + 4, MIN_LINE), budget), budget)
    words = [core]
    for _ in range(6):
        length = sum(len(w) + 1 for w in words) - 1
        if length >= target - 2:
            break
        word = _filler(rng)
        if length + 1 + len(word) <= budget:
            words.insert(randint(rng, 0, len(words)), word)
    gap = "" if all(c in THAI_LETTERS for c in core) and rng.random() < 0.5 else " "
    return gap.join(words)
