"""Tests for the text sources (thaigen.text): every source makes clean, valid, deterministic labels."""

from __future__ import annotations

import calendar
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from pythainlp.util import normalize

from thaigen.text.catalog import NAMES, sources_for
from thaigen.text.sources import (
    BE_OFFSET,
    BE_YEARS,
    MONTHS_ABBR,
    MONTHS_FULL,
    CorpusError,
    TextSample,
    corpus_path,
    ctc_steps,
    load_corpus,
    sample_text,
    thai_id_check_digit,
)
from thaigen.text.thai import is_valid_thai

N_SAMPLES = 300
BUDGET = 25
FOCUS = {"ฃ": 2.0, "7": 1.0, "ต": 1.0}
SOURCES = sources_for(BUDGET, focus=FOCUS)
CORPUS_FILES = ["roads.txt", "latin_words.txt", "sentences_th.txt"]
_ARABIC = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def _samples(source: str, seed: int = 0) -> list[str]:
    """N_SAMPLES texts from one source."""
    rng = np.random.default_rng(seed)
    return [SOURCES[source](rng) for _ in range(N_SAMPLES)]


@pytest.mark.parametrize("source", NAMES)
def test_source_texts_are_clean(source: str) -> None:
    for text in _samples(source):
        assert text, source
        assert unicodedata.normalize("NFC", text) == text
        assert is_valid_thai(text), text
        assert normalize(text) == text, text  # pythainlp reorders/dedups marks and spaces
        assert text == text.strip() and "  " not in text, text
        assert not re.search(r"[\t\n\r]", text), text


@pytest.mark.parametrize("source", NAMES)
def test_sources_are_deterministic(source: str) -> None:
    assert _samples(source, seed=3) == _samples(source, seed=3)
    assert _samples(source, seed=3) != _samples(source, seed=4)


def test_sample_text_is_deterministic() -> None:
    weights = {name: 1.0 for name in SOURCES}

    def run(seed: int) -> list[TextSample]:
        rng = np.random.default_rng(seed)
        return [sample_text(rng, weights, 40, 45, sources_for(40, focus=FOCUS)) for _ in range(400)]

    assert run(11) == run(11)
    assert run(11) != run(12)
    assert {s.category for s in run(11)} == set(SOURCES)


def test_national_id_check_digit_known_values() -> None:
    # 1*13 + 2*12 + 3*11 + 4*10 + 5*9 + 6*8 + 7*7 + 8*6 + 9*5 + 0*4 + 1*3 + 2*2 = 352 = 32*11,
    # so (11 - 0) % 10 = 1.
    assert thai_id_check_digit("123456789012") == 1
    # 1*13 + 7*3 = 34, 34 % 11 = 1, (11 - 1) % 10 = 0.
    assert thai_id_check_digit("100000000070") == 0
    # 3*13 + 1*12 = 51, 51 % 11 = 7, 11 - 7 = 4: the full ID is 3100000000004.
    assert thai_id_check_digit("310000000000") == 4
    with pytest.raises(ValueError):
        thai_id_check_digit("๑๒๓๔๕๖๗๘๙๐๑๒")


def test_national_ids_verify() -> None:
    layouts = (r"\d{13}", r"\d \d{4} \d{5} \d{2} \d", r"\d-\d{4}-\d{5}-\d{2}-\d")
    for text in _samples("national_id"):
        assert any(re.fullmatch(layout, text) for layout in layouts), text
        digits = re.sub(r"[ -]", "", text)
        assert digits[0] in "12345678"
        assert thai_id_check_digit(digits[:12]) == int(digits[12]), text


def _parse_date(text: str) -> tuple[int, int, int]:
    """(day, month, BE year) of a generated date."""
    text = text.translate(_ARABIC).removeprefix("วันที่ ")
    numeric = re.fullmatch(r"(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})", text)
    if numeric:
        day, month, year = (int(g) for g in numeric.groups())
    else:
        named = re.fullmatch(r"(\d{1,2}) (\S+) (?:พ\.ศ\. )?(\d{2}|\d{4})", text)
        assert named, text
        day, year = int(named[1]), int(named[3])
        months = MONTHS_FULL if named[2] in MONTHS_FULL else MONTHS_ABBR
        month = months.index(named[2]) + 1
    return day, month, year if year >= 100 else 2500 + year


def test_dates_exist() -> None:
    for text in _samples("date"):
        day, month, year = _parse_date(text)
        assert BE_YEARS[0] <= year <= BE_YEARS[1], text
        assert 1 <= day <= calendar.monthrange(year - BE_OFFSET, month)[1], text


def test_times_are_valid() -> None:
    for text in _samples("time"):
        match = re.search(r"(\d{1,2})[:.](\d{2})(?::(\d{2}))?", text.translate(_ARABIC))
        assert match, text
        assert int(match[1]) < 24 and int(match[2]) < 60 and int(match[3] or 0) < 60, text


def test_phones_have_thai_lengths() -> None:
    for text in _samples("phone"):
        digits = re.sub(r"\D", "", text.replace("+66", "0"))
        assert digits[0] == "0" and len(digits) in (9, 10), text


def test_names_have_title_and_family_name() -> None:
    for text in _samples("name"):
        assert re.match(r"(นาย|นางสาว|นาง|ด\.ช\.|ด\.ญ\.|ดร\.)", text), text
        assert len(text.split(" ")) in (2, 3), text


def test_sample_text_honours_limits() -> None:
    rng = np.random.default_rng(5)
    weights = {name: 1.0 for name in SOURCES}
    for _ in range(2000):
        sample = sample_text(rng, weights, 20, 22, sources_for(20, focus=FOCUS))
        assert len(sample.text) <= 20 and ctc_steps(sample.text) <= 22
        assert sample.category in SOURCES


def test_sample_text_zero_weight_never_picked() -> None:
    rng = np.random.default_rng(6)
    weights = {"date": 1.0, "phone": 0.0}
    assert {sample_text(rng, weights, 40, 45).category for _ in range(200)} == {"date"}


def test_sample_text_errors() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="unknown text source 'nope'; known: address, "):
        sample_text(rng, {"nope": 1.0, "date": 1.0}, 40, 45)
    with pytest.raises(ValueError, match="'sentence'"):
        sample_text(rng, {"sentence": 1.0}, 1, 45)
    with pytest.raises(ValueError):
        sample_text(rng, {"date": 0.0}, 40, 45)
    with pytest.raises(ValueError):
        sample_text(rng, {"date": -1.0}, 40, 45)


def test_ctc_steps() -> None:
    assert ctc_steps("aab") == 4
    assert ctc_steps("11") == 3
    assert ctc_steps("") == 0
    assert ctc_steps("น้ำ") == 3


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_corpus_files_load(name: str) -> None:
    path = corpus_path(name)
    assert path.read_text(encoding="utf-8").startswith("# ")
    items = load_corpus(path)
    assert items and list(items) == sorted(set(items))


def test_sentences_are_short() -> None:
    assert all(len(s) <= 30 for s in load_corpus(corpus_path("sentences_th.txt")))


def test_empty_or_missing_corpus_raises(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# header only\n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="empty.txt"):
        load_corpus(empty)
    with pytest.raises(CorpusError, match="missing.txt"):
        load_corpus(tmp_path / "missing.txt")


def test_malformed_corpus_raises(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("# test\nท\u0e48\u0e35\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="bad.txt"):
        load_corpus(bad)
