"""Thai character classes and a check that combining marks sit in valid order.

The order check follows the spirit of the WTT 2.0 input sequence check: every
above/below vowel, tone mark and sign must sit on a consonant, in the typing
(and NFC) order consonant, above/below vowel, tone mark, with SARA AM last.
"""

from __future__ import annotations

CONSONANTS: str = "กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรลวศษสหฬอฮ"
VOWEL_LETTERS: str = "ฤฦ"  # independent vowels written like consonants
LEADING_VOWELS: str = "เแโใไ"
FOLLOWING_VOWELS: str = "ะาำๅ"
ABOVE_VOWELS: str = "ัิีึื็"
BELOW_VOWELS: str = "ฺุู"
TONE_MARKS: str = "่้๊๋"
ABOVE_SIGNS: str = "์ํ๎"  # thanthakhat, nikhahit, yamakkan
DIGITS: str = "๐๑๒๓๔๕๖๗๘๙"
SYMBOLS: str = "ฯๆ฿"

THAI_LETTERS: str = (
    CONSONANTS
    + VOWEL_LETTERS
    + LEADING_VOWELS
    + FOLLOWING_VOWELS
    + ABOVE_VOWELS
    + BELOW_VOWELS
    + TONE_MARKS
    + ABOVE_SIGNS
)
COMBINING_MARKS: str = ABOVE_VOWELS + BELOW_VOWELS + TONE_MARKS + ABOVE_SIGNS

# Vowel marks that may carry a tone mark or sign (not MAITAIKHU, not PHINTHU).
_TONE_CARRYING_VOWELS: str = "ัิีึืุู"


def _is_consonant_at(text: str, i: int) -> bool:
    """Return True if ``text[i]`` exists and is a Thai consonant."""
    return i >= 0 and text[i] in CONSONANTS


def _mark_on_cluster(text: str, i: int) -> bool:
    """Return True if position ``i`` follows a consonant, optionally plus one tone-carrying vowel."""
    if _is_consonant_at(text, i - 1):
        return True
    return i >= 2 and text[i - 1] in _TONE_CARRYING_VOWELS and _is_consonant_at(text, i - 2)


def _valid_at(text: str, i: int) -> bool:
    """Return True if the character at ``i`` is validly placed given what precedes and follows it."""
    ch = text[i]
    if ch in ABOVE_VOWELS or ch in BELOW_VOWELS:
        return _is_consonant_at(text, i - 1)
    if ch in TONE_MARKS or ch in ABOVE_SIGNS:
        return _mark_on_cluster(text, i)
    if ch == "ำ":
        return _is_consonant_at(text, i - 1) or (
            i >= 2 and text[i - 1] in TONE_MARKS and _is_consonant_at(text, i - 2)
        )
    if ch == "ๅ":
        return i >= 1 and text[i - 1] in VOWEL_LETTERS
    if ch in "ะา":
        return i >= 1 and (
            text[i - 1] in CONSONANTS
            or text[i - 1] in TONE_MARKS
            or (ch == "ะ" and text[i - 1] == "า")
            or (ch == "า" and text[i - 1] in VOWEL_LETTERS)
        )
    if ch in LEADING_VOWELS:
        return i + 1 < len(text) and text[i + 1] in CONSONANTS
    return True


def invalid_thai_positions(text: str) -> list[int]:
    """Find misplaced Thai vowels, tone marks and signs.

    Args:
        text: Any string; non-Thai characters are never reported.

    Returns:
        Sorted indices of Thai characters that break the typing order.
    """
    return [i for i in range(len(text)) if not _valid_at(text, i)]


def is_valid_thai(text: str) -> bool:
    """Return True if every Thai mark in ``text`` is in valid order."""
    return all(_valid_at(text, i) for i in range(len(text)))


STRESS_SET: tuple[str, ...] = (
    "ที่นี่",
    "น้ำ",
    "ปั้น",
    "กำลัง",
    "ปฏิบัติ",
    "ฤๅษี",
    "ญี่ปุ่น",
    "สิ้นสุด",
    "ฐูฎู",
    "ราคา 1,250.00 บาท",
)
"""Hard cases for Thai rendering: stacked marks, SARA AM, descender removal (ญ ฐ ฎ ฏ), ฤๅ,
and a Thai + digits + Latin-punctuation line that needs a fallback font for Noto Sans Thai."""
