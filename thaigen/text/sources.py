"""Text sources: realistic Thai OCR labels (words, names, addresses, dates, numbers...).

Every source is a function ``(rng) -> str`` registered in :data:`SOURCES`. Its
output is NFC, in valid Thai mark order, single-spaced and stripped. All
randomness comes from the passed-in ``numpy.random.Generator``.
"""

from __future__ import annotations

import bisect
import calendar
import functools
import itertools
import math
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
from pythainlp.corpus import (
    thai_family_names,
    thai_female_names,
    thai_male_names,
    thai_words,
)

from thaigen.errors import ConfigError, ThaigenError
from thaigen.resources import data_dir
from thaigen.text.addresses import draw_place
from thaigen.text.thai import THAI_LETTERS, is_valid_thai

T = TypeVar("T")
MAX_TRIES: int = 100
_THAI_DIGITS: dict[int, int] = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


class CorpusError(ThaigenError, ValueError):
    """A corpus file is missing, empty or holds malformed lines."""


class NoFittingTextError(ConfigError, ValueError):
    """A text source made no text within the configured label limits."""


@dataclass(frozen=True)
class TextSample:
    """One generated label.

    Attributes:
        text: NFC text in valid Thai order, single-spaced, stripped.
        category: Name of the source that made it.
    """

    text: str
    category: str


# ---------------------------------------------------------------- helpers


def is_clean(text: str) -> bool:
    """Return True if ``text`` is non-empty, NFC, valid Thai, single-spaced and stripped."""
    return (
        bool(text)
        and " ".join(text.split()) == text
        and unicodedata.normalize("NFC", text) == text
        and is_valid_thai(text)
    )


def to_thai_digits(text: str) -> str:
    """Replace ASCII digits 0-9 with Thai digits ๐-๙."""
    return text.translate(_THAI_DIGITS)


def ctc_steps(text: str) -> int:
    """CTC time steps a label needs: one per code point plus a blank between repeats."""
    return len(text) + sum(1 for a, b in itertools.pairwise(text) if a == b)


def randint(rng: np.random.Generator, low: int, high: int) -> int:
    """Uniform integer in ``[low, high]`` (both inclusive)."""
    return int(rng.integers(low, high + 1))


def choice(rng: np.random.Generator, items: Sequence[T]) -> T:
    """Uniformly pick one item of a sequence."""
    return items[int(rng.integers(len(items)))]


def weighted_index(rng: np.random.Generator, cumulative: Sequence[float]) -> int:
    """Pick an index with probability proportional to its weight, given cumulative positive weights."""
    return min(bisect.bisect_right(cumulative, rng.random() * cumulative[-1]), len(cumulative) - 1)


def digits(rng: np.random.Generator, count: int) -> str:
    """Random string of ``count`` ASCII digits (leading zeros allowed)."""
    return "".join(str(d) for d in rng.integers(0, 10, size=count))


def letters(rng: np.random.Generator, count: int) -> str:
    """Random string of ``count`` uppercase ASCII letters."""
    return "".join(chr(65 + int(c)) for c in rng.integers(0, 26, size=count))


def integer(rng: np.random.Generator, max_digits: int) -> int:
    """Integer with a uniformly chosen number of digits (1..max_digits), so magnitudes vary."""
    width = randint(rng, 1, max_digits)
    return randint(rng, 0 if width == 1 else 10 ** (width - 1), 10**width - 1)


# ---------------------------------------------------------------- corpora


def corpus_path(name: str) -> Path:
    """Path of a shipped corpus file (``corpora/`` beside the package, or inside it in a wheel)."""
    return data_dir("corpora") / name


def numbered_corpus_items(path: Path) -> list[tuple[int, str]]:
    """(1-based line number, item) of each item line of a corpus file, in file order: NFC, stripped, '#'
    comment lines and blanks skipped.

    Raises:
        CorpusError: The file is missing or not UTF-8.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CorpusError(f"cannot read corpus file {path}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise CorpusError(f"corpus file {path} is not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    kept = ((n, unicodedata.normalize("NFC", line.strip())) for n, line in enumerate(lines, start=1)
            if not line.lstrip().startswith("#"))
    return [(n, item) for n, item in kept if item]


def load_corpus(path: Path) -> tuple[str, ...]:
    """Read a corpus file: UTF-8, one item per line, '#' comment lines and blanks skipped.

    Args:
        path: The file to read.

    Returns:
        The distinct items, sorted.

    Raises:
        CorpusError: The file is missing or not UTF-8, has no items, or an item is not clean text.
    """
    items = sorted({item for _, item in numbered_corpus_items(path)})
    if not items:
        raise CorpusError(f"corpus file {path} has no items")
    bad = [item for item in items if not is_clean(item)]
    if bad:
        raise CorpusError(f"corpus file {path} has malformed items: {bad[:5]}")
    return tuple(items)


@functools.cache
def corpus(name: str) -> tuple[str, ...]:
    """Items of ``corpora/<name>``, loaded once."""
    return load_corpus(corpus_path(name))


def _pure_thai(words: Iterable[str]) -> tuple[str, ...]:
    """Sorted distinct words made only of Thai letters, in valid order."""
    return tuple(
        sorted(w for w in set(words) if w and all(c in THAI_LETTERS for c in w) and is_clean(w))
    )


@functools.cache
def thai_word_list() -> tuple[str, ...]:
    """Pythainlp's Thai dictionary words, filtered to clean pure-Thai words."""
    return _pure_thai(thai_words())


@functools.cache
def given_names(female: bool) -> tuple[str, ...]:
    """Pythainlp's Thai female or male given names, filtered."""
    return _pure_thai(thai_female_names() if female else thai_male_names())


@functools.cache
def family_names() -> tuple[str, ...]:
    """Pythainlp's Thai family names, filtered."""
    return _pure_thai(thai_family_names())


# ---------------------------------------------------------------- sources


def thai_word(rng: np.random.Generator) -> str:
    """1-3 dictionary words, joined by nothing or a space."""
    words = [choice(rng, thai_word_list()) for _ in range(randint(rng, 1, 3))]
    return choice(rng, ("", " ")).join(words)


def arabic_digits(rng: np.random.Generator) -> str:
    """A number in ASCII digits: integer, decimal, thousands-grouped, or a code like 12/345."""
    shape = randint(rng, 0, 4)
    if shape == 0:
        return str(integer(rng, 7))
    if shape == 1:
        return f"{integer(rng, 5)}.{digits(rng, randint(rng, 1, 3))}"
    if shape == 2:
        grouped = f"{integer(rng, 9):,}"
        return grouped if rng.random() < 0.5 else f"{grouped}.{digits(rng, 2)}"
    separator = "/" if shape == 3 else "-"
    return f"{integer(rng, 4)}{separator}{integer(rng, 4)}"


def thai_digits(rng: np.random.Generator) -> str:
    """The shapes of :func:`arabic_digits`, written with Thai digits ๐-๙."""
    return to_thai_digits(arabic_digits(rng))


# (title, female, weight); ดร. is used for both genders.
_TITLES: tuple[tuple[str, bool, float], ...] = (
    ("นาย", False, 0.40),
    ("นาง", True, 0.20),
    ("นางสาว", True, 0.25),
    ("ด.ช.", False, 0.04),
    ("ด.ญ.", True, 0.04),
    ("ดร.", False, 0.035),
    ("ดร.", True, 0.035),
)
_TITLE_CUMULATIVE: tuple[float, ...] = tuple(itertools.accumulate(w for _, _, w in _TITLES))


def name(rng: np.random.Generator) -> str:
    """Title + given name of the matching gender + space + family name."""
    title, female, _ = _TITLES[weighted_index(rng, _TITLE_CUMULATIVE)]
    gap = " " if rng.random() < 0.2 else ""
    return f"{title}{gap}{choice(rng, given_names(female))} {choice(rng, family_names())}"


def _labelled(rng: np.random.Generator, labels: Sequence[str], value: str) -> str:
    """Prefix ``value`` with a random label; full-word labels may take a space, abbreviations never."""
    label = choice(rng, labels)
    gap = " " if not label.endswith(".") and rng.random() < 0.5 else ""
    return f"{label}{gap}{value}"


CAPITAL_SHORT_SHARE: float = 0.3
"""Share of capital districts written as just เมือง (อ.เมือง), as addresses often do."""


def address_pieces(rng: np.random.Generator) -> list[str]:
    """All pieces of one full address, in writing order; its subdistrict, district, province and postcode
    belong together (:func:`thaigen.text.addresses.draw_place`)."""
    place = draw_place(rng)
    house = str(randint(rng, 1, 999))
    if rng.random() < 0.5:
        house += f"/{randint(rng, 1, 199)}"
    pieces = [_labelled(rng, ("เลขที่", "บ้านเลขที่"), house) if rng.random() < 0.7 else house]
    if not place.bangkok:
        pieces.append(_labelled(rng, ("หมู่", "หมู่ที่", "ม."), str(randint(rng, 1, 15))))
    if rng.random() < 0.6:
        soi = choice(rng, corpus("roads.txt"))
        if rng.random() < 0.5:
            soi += f" {randint(rng, 1, 120)}"
        pieces.append(_labelled(rng, ("ซอย", "ซ."), soi))
    pieces.append(_labelled(rng, ("ถนน", "ถ."), choice(rng, corpus("roads.txt"))))
    if place.bangkok:
        pieces.append(_labelled(rng, ("แขวง",), place.subdistrict))
        pieces.append(_labelled(rng, ("เขต",), place.district))
        pieces.append(choice(rng, (place.province, "กรุงเทพฯ")))
    else:
        short = place.capital and rng.random() < CAPITAL_SHORT_SHARE
        pieces.append(_labelled(rng, ("ตำบล", "ต."), place.subdistrict))
        pieces.append(_labelled(rng, ("อำเภอ", "อ."), "เมือง" if short else place.district))
        pieces.append(_labelled(rng, ("จังหวัด", "จ."), place.province))
    pieces.append(choice(rng, place.postcodes))
    return pieces


def address(rng: np.random.Generator) -> str:
    """1-3 consecutive pieces of a Thai address, as one line of a form."""
    pieces = address_pieces(rng)
    count = randint(rng, 1, 3)
    start = randint(rng, 0, len(pieces) - count)
    return " ".join(pieces[start : start + count])


MONTHS_FULL: tuple[str, ...] = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
MONTHS_ABBR: tuple[str, ...] = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip
BE_OFFSET: int = 543
BE_YEARS: tuple[int, int] = (2500, 2570)
_DATE_FORMATS: tuple[str, ...] = (
    "{d} {full} {y}",
    "{d} {full} พ.ศ. {y}",
    "{d} {abbr} {y}",
    "{d} {abbr} {yy}",
    "{dd}/{mm}/{y}",
    "{d}/{m}/{yy}",
    "{dd}-{mm}-{y}",
    "วันที่ {d} {full} {y}",
    "วันที่ {d} {abbr} {y}",
    "วันที่ {dd}/{mm}/{y}",
)


def date(rng: np.random.Generator) -> str:
    """A Buddhist-Era date with a day that exists in its month, sometimes in Thai digits."""
    year = randint(rng, *BE_YEARS)
    month = randint(rng, 1, 12)
    day = randint(rng, 1, calendar.monthrange(year - BE_OFFSET, month)[1])
    text = choice(rng, _DATE_FORMATS).format(
        d=day, dd=f"{day:02d}", m=month, mm=f"{month:02d}", y=year, yy=f"{year % 100:02d}",
        full=MONTHS_FULL[month - 1], abbr=MONTHS_ABBR[month - 1],
    )  # fmt: skip
    return to_thai_digits(text) if rng.random() < 0.2 else text


_TIME_FORMATS: tuple[str, ...] = (
    "{h:02d}:{m:02d} น.",
    "{h:02d}.{m:02d} น.",
    "{h}.{m:02d} น.",
    "เวลา {h}.{m:02d} น.",
    "เวลา {h:02d}:{m:02d} น.",
    "{h:02d}:{m:02d}",
    "{h:02d}:{m:02d}:{s:02d}",
)


def time(rng: np.random.Generator) -> str:
    """A clock time in Thai style ('14:30 น.', 'เวลา 8.00 น.'), sometimes in Thai digits."""
    minute = 0 if rng.random() < 0.3 else randint(rng, 0, 59)
    text = choice(rng, _TIME_FORMATS).format(h=randint(rng, 0, 23), m=minute, s=randint(rng, 0, 59))
    return to_thai_digits(text) if rng.random() < 0.1 else text


_PRICE_LABELS: tuple[str, ...] = (
    "", "ราคา ", "รวม ", "ยอดรวม ", "ส่วนลด ", "คงเหลือ ", "เงินทอน ", "ค่าบริการ ",
)  # fmt: skip


def amount(rng: np.random.Generator) -> str:
    """A money amount: with or without thousands separators and satang."""
    baht = integer(rng, 6)
    text = f"{baht:,}" if rng.random() < 0.7 else str(baht)
    satang = rng.random()
    if satang < 0.3:
        return f"{text}.00"
    return f"{text}.{digits(rng, 2)}" if satang < 0.45 else text


def price(rng: np.random.Generator) -> str:
    """A price as on a receipt: '1,250.00 บาท', '฿1,250', 'ราคา 350.-'."""
    style = randint(rng, 0, 2)
    if style == 0:
        return f"{choice(rng, _PRICE_LABELS)}{amount(rng)} บาท"
    if style == 1:
        return f"{choice(rng, _PRICE_LABELS)}฿{amount(rng)}"
    return f"{choice(rng, _PRICE_LABELS)}{integer(rng, 5):,}.-"


_PHONE_LABELS: tuple[str, ...] = ("", "", "โทร. ", "โทร ", "Tel. ", "เบอร์โทรศัพท์ ")


def mobile(rng: np.random.Generator) -> str:
    """A mobile number (06/08/09) in one of the common layouts."""
    number = f"0{choice(rng, '689')}{digits(rng, 8)}"
    layout = randint(rng, 0, 3)
    if layout == 0:
        return f"{number[:3]}-{number[3:6]}-{number[6:]}"
    if layout == 1:
        return number
    if layout == 2:
        return f"{number[:3]} {number[3:6]} {number[6:]}"
    return f"+66 {number[1:3]} {number[3:6]} {number[6:]}"


def _landline(rng: np.random.Generator) -> str:
    """A landline number: Bangkok '02-123-4567' or provincial '053-123-456'."""
    if rng.random() < 0.5:
        return f"02-{digits(rng, 3)}-{digits(rng, 4)}"
    return f"0{choice(rng, '34567')}{digits(rng, 1)}-{digits(rng, 3)}-{digits(rng, 3)}"


def phone(rng: np.random.Generator) -> str:
    """A Thai phone number, mobile or landline, sometimes labelled."""
    number = mobile(rng) if rng.random() < 0.7 else _landline(rng)
    return f"{choice(rng, _PHONE_LABELS)}{number}"


def thai_id_check_digit(first12: str) -> int:
    """Check digit of a Thai national ID: (11 - sum(d_i * (14 - i)) % 11) % 10 over the first 12 digits.

    Raises:
        ValueError: ``first12`` is not exactly 12 ASCII digits.
    """
    if len(first12) != 12 or not (first12.isascii() and first12.isdigit()):
        raise ValueError(f"need 12 ASCII digits, got {first12!r}")
    total = sum(int(d) * (13 - i) for i, d in enumerate(first12))
    return (11 - total % 11) % 10


_ID_GROUPS: tuple[tuple[int, int], ...] = ((0, 1), (1, 5), (5, 10), (10, 12), (12, 13))  # 1-4-5-2-1


def national_id(rng: np.random.Generator) -> str:
    """A 13-digit Thai national ID with a valid check digit, plain or grouped 1-4-5-2-1."""
    first12 = f"{randint(rng, 1, 8)}{digits(rng, 11)}"
    number = f"{first12}{thai_id_check_digit(first12)}"
    separator = choice(rng, ("", " ", "-"))
    return separator.join(number[start:end] for start, end in _ID_GROUPS)


def sentence(rng: np.random.Generator) -> str:
    """A short everyday Thai sentence or phrase from ``corpora/sentences_th.txt``."""
    return choice(rng, corpus("sentences_th.txt"))


_EMAIL_DOMAINS: tuple[str, ...] = (
    "example.com", "gmail.com", "hotmail.com", "outlook.com", "yahoo.co.th", "company.co.th",
)  # fmt: skip
_UNITS: tuple[str, ...] = ("ml", "g", "kg", "cm", "mm", "GB", "W", "mAh")
_PRODUCT_LINES: tuple[str, ...] = (
    "Galaxy", "iPhone", "iPad", "Redmi", "Pixel", "Reno", "MacBook", "ThinkPad", "Vivo",
)  # fmt: skip
_PRODUCT_SUFFIXES: tuple[str, ...] = ("Pro", "Max", "Plus", "Ultra", "Lite", "Mini", "Air", "SE", "FE")
_PRODUCT_VARIANTS: tuple[str, ...] = (
    "Premium", "Classic", "Original", "Extra", "Gold", "Fresh", "Light", "Family",
)  # fmt: skip


def _mixed_model(rng: np.random.Generator) -> str:
    """'รุ่น iPhone 15 Pro'."""
    text = f"รุ่น {choice(rng, _PRODUCT_LINES)} {randint(rng, 1, 30)}"
    return f"{text} {choice(rng, _PRODUCT_SUFFIXES)}" if rng.random() < 0.5 else text


def _mixed_email(rng: np.random.Generator) -> str:
    """'อีเมล somchai@example.com'."""
    user = choice(rng, corpus("latin_words.txt"))
    if rng.random() < 0.5:
        user += digits(rng, randint(rng, 1, 4))
    return f"{choice(rng, ('อีเมล ', 'อีเมล: ', 'E-mail: '))}{user}@{choice(rng, _EMAIL_DOMAINS)}"


def _mixed_model_price(rng: np.random.Generator) -> str:
    """'Model ABC-123 ราคา 990 บาท'."""
    return f"Model {letters(rng, randint(rng, 2, 3))}-{digits(rng, 3)} ราคา {integer(rng, 5):,} บาท"


def _mixed_otp(rng: np.random.Generator) -> str:
    """'รหัส OTP 482913' or with a reference code."""
    code = f"รหัส OTP {digits(rng, 6)}"
    return f"{code} (Ref: {letters(rng, 4)})" if rng.random() < 0.3 else code


def _mixed_room(rng: np.random.Generator) -> str:
    """'ชั้น 3 ห้อง B205'."""
    return f"ชั้น {randint(rng, 1, 40)} ห้อง {letters(rng, 1)}{randint(rng, 101, 999)}"


def _mixed_parcel(rng: np.random.Generator) -> str:
    """Thailand Post tracking number: 'เลขพัสดุ EF123456789TH'."""
    return f"เลขพัสดุ {letters(rng, 2)}{digits(rng, 9)}TH"


def _mixed_size(rng: np.random.Generator) -> str:
    """'Premium ขนาด 500 ml'."""
    return f"{choice(rng, _PRODUCT_VARIANTS)} ขนาด {randint(rng, 1, 2000)} {choice(rng, _UNITS)}"


def _mixed_website(rng: np.random.Generator) -> str:
    """'เว็บไซต์ www.somchai.co.th'."""
    user = choice(rng, corpus("latin_words.txt"))
    return f"{choice(rng, ('', 'เว็บไซต์ '))}www.{user}.co.th"


_MIXED_TEMPLATES: tuple[Callable[[np.random.Generator], str], ...] = (
    _mixed_model,
    _mixed_email,
    _mixed_model_price,
    _mixed_otp,
    _mixed_room,
    _mixed_parcel,
    _mixed_size,
    _mixed_website,
)


def mixed(rng: np.random.Generator) -> str:
    """A line mixing Thai, Latin and digits (product models, e-mails, codes, rooms)."""
    return choice(rng, _MIXED_TEMPLATES)(rng)


Source = Callable[[np.random.Generator], str]
"""A text source: draws one line of text from the generator."""

SOURCES: dict[str, Source] = {
    "thai_word": thai_word,
    "arabic_digits": arabic_digits,
    "thai_digits": thai_digits,
    "name": name,
    "address": address,
    "date": date,
    "time": time,
    "price": price,
    "phone": phone,
    "national_id": national_id,
    "sentence": sentence,
    "mixed": mixed,
}


# ---------------------------------------------------------------- sampling


def _pick_source(rng: np.random.Generator, weights: Mapping[str, float], sources: Mapping[str, Source]) -> str:
    """Pick a source name with probability proportional to its weight (names visited sorted).

    A name of weight 0 is never drawn, so it need not be in `sources` (a config's `corpus: 0` without files).
    """
    unknown = sorted(name for name, weight in weights.items() if weight != 0 and name not in sources)
    if unknown:
        raise ValueError(f"unknown text source {unknown[0]!r}; known: {', '.join(sorted(sources))}")
    names = [n for n in sorted(weights) if weights[n] != 0]
    if any(not math.isfinite(weights[n]) or weights[n] < 0 for n in names) or not names:
        raise ValueError(f"text source weights must be finite, >= 0 and not all 0: {dict(weights)}")
    cumulative = list(itertools.accumulate(weights[n] for n in names))
    return names[weighted_index(rng, cumulative)]


def sample_text(
    rng: np.random.Generator,
    weights: Mapping[str, float],
    max_code_points: int,
    max_ctc_steps: int,
    sources: Mapping[str, Source] = SOURCES,
    allowed: frozenset[str] | None = None,
) -> TextSample:
    """Pick a source by weight and generate a text that fits the label limits.

    Args:
        rng: Source of randomness.
        weights: Source name -> relative weight (>= 0).
        max_code_points: Longest allowed text, in code points.
        max_ctc_steps: Most CTC steps allowed (see :func:`ctc_steps`).
        sources: The registry to draw from (default: the built-in SOURCES).
        allowed: When given, only texts made of these characters fit (a target dictionary's).

    Returns:
        The text and the name of the source that made it.

    Raises:
        ValueError: Unknown source or bad weights (a GenConfig never has them).
        NoFittingTextError: No fitting text in ``MAX_TRIES`` tries.
    """
    source = _pick_source(rng, weights, sources)
    generate = sources[source]
    for _ in range(MAX_TRIES):
        text = generate(rng)
        fits = len(text) <= max_code_points and ctc_steps(text) <= max_ctc_steps
        if fits and (allowed is None or allowed.issuperset(text)):
            return TextSample(text, source)
    within = " and the target dictionary's characters" if allowed is not None else ""
    raise NoFittingTextError(
        f"text source {source!r} made no text within {max_code_points} code points,"
        f" {max_ctc_steps} CTC steps{within} in {MAX_TRIES} tries; raise max_text_length / ctc_time_steps"
        " or drop that source"
    )


USER_CORPUS = "corpus"
"""Source name under which a config's own corpus files are drawn."""


@functools.cache
def user_corpus(paths: tuple[Path, ...], max_code_points: int, max_ctc_steps: int) -> tuple[str, ...]:
    """Lines of the user's corpus files that fit the label limits (NFC, valid Thai order).

    Raises:
        CorpusError: a file is missing, empty or malformed, or no line fits the limits.
    """
    lines = sorted({line for path in paths for line in load_corpus(path)})
    fitting = tuple(t for t in lines if len(t) <= max_code_points and ctc_steps(t) <= max_ctc_steps)
    if not fitting:
        names = ", ".join(str(p) for p in paths)
        raise CorpusError(f"no line of {names} fits {max_code_points} code points and {max_ctc_steps} CTC steps")
    return fitting

