"""Tests for thaigen.text.thai: Thai mark-order validity."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thaigen.text.thai import (
    ABOVE_VOWELS,
    BELOW_VOWELS,
    CONSONANTS,
    STRESS_SET,
    THAI_LETTERS,
    TONE_MARKS,
    invalid_thai_positions,
    is_valid_thai,
)

VALID_WORDS = [
    *STRESS_SET,
    "เกื้อ",
    "ก็",
    "ศักดิ์",
    "เกาะ",
    "ฤา",
    "ต่าง ๆ",
    "รุ่น iPhone 15 Pro",
    "๑๒ ม.ค. ๖๗",
    "",
]


@pytest.mark.parametrize("text", VALID_WORDS)
def test_valid_words(text: str) -> None:
    assert is_valid_thai(text)
    assert invalid_thai_positions(text) == []


@pytest.mark.parametrize(
    ("text", "positions"),
    [
        ("ท" + "่" + "ี", [2]),  # tone before vowel
        ("ก" + "่" + "่", [2]),  # doubled tone
        ("ก" + "ี" + "่" + "้", [3]),  # doubled tone after a vowel
        ("่" + "ก", [0]),  # leading tone
        ("ิ" + "ก", [0]),  # leading vowel mark
        ("1" + "่", [1]),  # tone after a digit
        ("๑" + "ี", [1]),  # vowel after a Thai digit
        ("a" + "ุ", [1]),  # below vowel after Latin
        ("ก " + "้", [2]),  # tone after a space
        ("ก" + "ิ" + "ี", [2]),  # two vowel marks
        ("น" + "ำ" + "้", [2]),  # sara am before tone
        ("ก" + "็" + "่", [2]),  # tone on maitaikhu
        ("กๅ", [1]),  # lakkhangyao only after ฤ/ฦ
        ("เเก", [0]),  # doubled sara e instead of sara ae
        ("ก เ", [2]),  # dangling leading vowel
        ("า", [0]),  # following vowel with nothing to follow
    ],
)
def test_invalid_positions(text: str, positions: list[int]) -> None:
    assert invalid_thai_positions(text) == positions
    assert not is_valid_thai(text)


def test_every_consonant_takes_every_vowel_and_tone() -> None:
    for consonant in CONSONANTS:
        for vowel in ABOVE_VOWELS.replace("็", "") + BELOW_VOWELS.replace("ฺ", ""):
            for tone in TONE_MARKS:
                assert is_valid_thai(consonant + vowel + tone)
                assert not is_valid_thai(consonant + tone + vowel)


def _misplaced_reference(text: str) -> list[int]:
    """The typing-order rules read character by character (an oracle for the regular expression)."""
    consonant = set(CONSONANTS)
    found = []
    for i, ch in enumerate(text):
        before = text[i - 1] if i >= 1 else None  # None: not '' (which is `in` every string)
        before2 = text[i - 2] if i >= 2 else None
        after = text[i + 1] if i + 1 < len(text) else None
        on_consonant = before in consonant
        if ch in ABOVE_VOWELS + BELOW_VOWELS:
            ok = on_consonant
        elif ch in TONE_MARKS + "์ํ๎":
            ok = on_consonant or (before in set("ัิีึืุู") and before2 in consonant)
        elif ch == "ำ":
            ok = on_consonant or (before in set(TONE_MARKS) and before2 in consonant)
        elif ch == "ๅ":
            ok = before in ("ฤ", "ฦ")
        elif ch == "ะ":
            ok = on_consonant or before in set(TONE_MARKS + "า")
        elif ch == "า":
            ok = on_consonant or before in set(TONE_MARKS + "ฤฦ")
        elif ch in "เแโใไ":
            ok = after in consonant
        else:
            ok = True
        if not ok:
            found.append(i)
    return found


def test_regex_matches_the_rules_on_every_short_string() -> None:
    """Every string of up to 3 characters over the Thai letters, a digit, a Latin letter and spaces."""
    alphabet = THAI_LETTERS + "๑1a \n"
    for length in range(4):
        for chars in itertools.product(alphabet, repeat=length):
            text = "".join(chars)
            assert invalid_thai_positions(text) == _misplaced_reference(text), text
            assert is_valid_thai(text) == (not _misplaced_reference(text))


@given(st.text(alphabet=THAI_LETTERS + "๑1a ", max_size=30))
def test_regex_matches_the_rules_on_longer_strings(text: str) -> None:
    assert invalid_thai_positions(text) == _misplaced_reference(text)
