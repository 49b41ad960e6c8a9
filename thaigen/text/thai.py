"""Thai character classes and a check that combining marks sit in valid order.

The order check follows the spirit of the WTT 2.0 input sequence check: every
above/below vowel, tone mark and sign must sit on a consonant, in the typing
(and NFC) order consonant, above/below vowel, tone mark, with SARA AM last.
"""

from __future__ import annotations

import re
import unicodedata

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
THAI_BLOCK: str = "".join(chr(c) for c in range(0x0E00, 0x0E80) if unicodedata.category(chr(c)) != "Cn")
"""Every assigned character of Unicode's Thai block (87: consonants, vowels, marks, digits, signs ฯ ๆ ฿ ๏ ๚ ๛)."""

# Vowel marks that may carry a tone mark or sign (not MAITAIKHU, not PHINTHU).
_TONE_CARRYING_VOWELS: str = "ัิีึืุู"


_CONSONANT = f"[{CONSONANTS}]"
_MISPLACED = re.compile(
    # an above/below vowel not on a consonant
    f"[{ABOVE_VOWELS}{BELOW_VOWELS}](?<!{_CONSONANT}.)"
    # a tone mark or sign neither on a consonant nor on a consonant + tone-carrying vowel
    f"|[{TONE_MARKS}{ABOVE_SIGNS}](?<!{_CONSONANT}.)(?<!{_CONSONANT}[{_TONE_CARRYING_VOWELS}].)"
    # SARA AM neither after a consonant nor after a consonant + tone mark
    f"|\u0e33(?<!{_CONSONANT}.)(?<!{_CONSONANT}[{TONE_MARKS}].)"
    # LAKKHANGYAO not after ฤ / ฦ
    f"|\u0e45(?<![{VOWEL_LETTERS}].)"
    # SARA A after none of: consonant, tone mark, SARA AA
    f"|\u0e30(?<![{CONSONANTS}{TONE_MARKS}\u0e32].)"
    # SARA AA after none of: consonant, tone mark, ฤ / ฦ
    f"|\u0e32(?<![{CONSONANTS}{TONE_MARKS}{VOWEL_LETTERS}].)"
    # a leading vowel not before a consonant
    f"|[{LEADING_VOWELS}](?!{_CONSONANT})",
    re.DOTALL,
)
"""One misplaced Thai character per match. Every branch starts with the character it checks (so the scan
skips everything else) and looks around it: regular-expression speed, as start-up checks 200,000 words."""


def invalid_thai_positions(text: str) -> list[int]:
    """Find misplaced Thai vowels, tone marks and signs.

    Args:
        text: Any string; non-Thai characters are never reported.

    Returns:
        Sorted indices of Thai characters that break the typing order.
    """
    return [match.start() for match in _MISPLACED.finditer(text)]


def is_valid_thai(text: str) -> bool:
    """Return True if every Thai mark in ``text`` is in valid order."""
    return _MISPLACED.search(text) is None


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
