"""Running Thai text, document phrases, hard words and character balance (thaigen.text.running, phrases,
balance, lexicon): lengths fill the budget, rare characters are reached, templates are sound."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from thaigen.cli import main
from thaigen.text.balance import ALPHABET, PUNCTUATION, rare_characters
from thaigen.text.catalog import BUDGETED, sources_for
from thaigen.text.lexicon import STACKED, all_words, tnc_character_shares, words_by_tag, words_with
from thaigen.text.phrases import SLOT, SLOTS, templates
from thaigen.text.sources import corpus, ctc_steps, is_clean, sample_text


def _draw(name: str, budget: int, count: int = 600, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    source = sources_for(budget)[name]
    return [source(rng) for _ in range(count)]


@pytest.mark.parametrize("name", ["running", "words", "hard_words"])
@pytest.mark.parametrize("budget", [12, 25, 48])
def test_word_sources_never_pass_their_budget(name: str, budget: int) -> None:
    texts = _draw(name, budget)
    assert all(0 < len(t) <= budget and is_clean(t) for t in texts), [t for t in texts if len(t) > budget][:3]


@pytest.mark.parametrize("name", sorted(BUDGETED))
def test_a_budget_no_word_fits_ends_the_draw(name: str) -> None:
    """At a budget of one code point (a valid max_text_length) every source returns: hard_words and running
    used to draw first words for ever; a line too long for the budget is sample_text's to refuse."""
    texts = _draw(name, 1, count=20)
    assert all(t and is_clean(t) for t in texts)


def test_a_label_limit_no_source_meets_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("max_text_length: 1\nsources: {hard_words: 1}\n", encoding="utf-8")
    code = main(["build", "--config", str(config), "--count", "2", "--out", str(tmp_path / "d"), "--quiet"])
    error = capsys.readouterr().err.splitlines()
    assert code == 2 and len(error) == 1
    assert error[0].startswith("thaigen: error: text source 'hard_words' made no text within 1 code points")


def test_running_lines_grow_with_the_budget() -> None:
    short, long = _draw("running", 25), _draw("running", 48)
    assert min(map(len, short)) >= 5 and np.mean([len(t) for t in short]) > 17
    assert sum(len(t) >= 30 for t in long) > len(long) // 3  # lines of 30-48 code points when the model allows
    assert len(set(long)) > 0.99 * len(long)


def test_running_text_is_made_of_tagged_words_in_order() -> None:
    tags = words_by_tag()
    assert {"NOUN", "VERB", "ADJ", "ADV", "ADP", "PRON", "AUX"} <= set(tags)
    assert len(tags["NOUN"].words) > 3000 and "ประเทศ" in tags["NOUN"].words
    rng = np.random.default_rng(1)
    draws = Counter(tags["NOUN"].draw(rng) for _ in range(5000))
    assert draws["คน"] > draws.get("สถานการศึกษา", 0)  # TNC-weighted: a common noun beats a rare one


def test_hard_words_stack_marks() -> None:
    curated = set(corpus("hard_words_th.txt"))
    texts = _draw("hard_words", 25)
    stacked = sum(bool(STACKED.search(t)) for t in texts)
    assert stacked > 0.95 * len(texts)
    assert any(word in t for t in texts for word in ("ปั้น", "ฤๅษี", "ก๋วยเตี๋ยว", "สิทธิ์") if word in curated)


def test_every_template_has_known_slots_and_fills_clean() -> None:
    pairs = templates()
    assert {domain for domain, _ in pairs} == {
        "letter", "receipt", "invoice", "form", "label", "sign", "notice", "bank", "mixed",
    }  # fmt: skip
    for _, template in pairs:
        assert SLOT.findall(template) and set(SLOT.findall(template)) <= set(SLOTS)
    for name in ("phrase", "mixed_phrase"):
        texts = _draw(name, 48, count=800)
        assert all(is_clean(t) and "{" not in t for t in texts)
        assert len(set(texts)) > 0.97 * len(texts)
    mixed = _draw("mixed_phrase", 48)
    assert sum(bool(re.search("[A-Za-z]", t)) and bool(re.search("[ก-๛]", t)) for t in mixed) > len(mixed) // 2


def test_rare_set_is_measured_and_holds_the_rare_letters() -> None:
    rare = rare_characters()
    shares = tnc_character_shares()
    assert set("ฃฅฦฌฎฏฐ๏๚๛๐๑๒๓๔๕๖๗๘๙") <= set(rare) and set(PUNCTUATION) <= set(rare)
    assert not set("กานเ่้") & set(rare)  # the commonest letters are not
    assert all(shares.get(ch, 0) < 0.002 for ch in rare if ch in ALPHABET)
    texts = _draw("rare", 25, count=4000)
    seen = Counter(ch for t in texts for ch in set(t))
    assert all(seen[ch] >= 20 for ch in rare), {ch: seen[ch] for ch in rare if seen[ch] < 20}
    assert all(is_clean(t) for t in texts)
    assert max(Counter(texts).values()) <= 4  # even ฃ ขวด comes with other words


def test_budgeted_sources_through_sample_text_honour_both_limits() -> None:
    weights = {name: 1.0 for name in BUDGETED}
    rng = np.random.default_rng(4)
    for _ in range(1500):
        sample = sample_text(rng, weights, 25, 30, sources_for(25))
        assert len(sample.text) <= 25 and ctc_steps(sample.text) <= 30 and sample.category in BUDGETED


@pytest.mark.parametrize("character", [*rare_characters(), "ก", "่", "ำ", "กา", "x", "\n", ""])
def test_words_with_finds_exactly_the_words_holding_the_character(character: str) -> None:
    expected = sorted((w for w in all_words() if character in w), key=lambda w: (len(w), w))
    assert list(words_with(character)) == expected


def test_body_lines_fill_a_document_column() -> None:
    body = sources_for(90)["body"]
    rng = np.random.default_rng(0)
    lengths = np.array([len(body(rng)) for _ in range(400)])
    assert lengths.max() <= 90 and lengths.min() >= 10
    assert 0.8 <= float(((lengths >= 40) & (lengths <= 80)).mean()) <= 0.97
    assert all(len(sources_for(25)["body"](rng)) <= 25 for _ in range(50))


def test_the_documents_recipe_builds_long_lines_through_the_print_and_scan_chain(tmp_path: Path) -> None:
    out = tmp_path / "documents"
    assert main(["build", "--recipe", "documents", "--count", "60", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["paddleocr"]["max_text_length"] == 90
    assert manifest["longest_label_code_points"] > 40
    presets = manifest["counts"]["by_preset"]
    assert presets.get("print_scan", 0) + presets.get("photocopy", 0) >= 15
