"""Tests for thaigen.text.thai: Thai mark-order validity."""

from __future__ import annotations

import pytest

from thaigen.text.thai import (
    ABOVE_VOWELS,
    BELOW_VOWELS,
    CONSONANTS,
    STRESS_SET,
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
