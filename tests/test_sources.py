"""The form_label source (thaigen.text.phrases.form_label through the catalog): field names as Thai forms print
them, NFC and within the budget the source is given."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from thaigen.text.catalog import sources_for
from thaigen.text.phrases import FORM_LABELS
from thaigen.text.sources import is_clean, sample_text

NEEDED = (
    "ชื่อ-นามสกุล", "ที่อยู่", "เลขประจำตัวประชาชน", "วันเดือนปีเกิด", "เบอร์โทรศัพท์", "อีเมล", "อาชีพ",
    "สัญชาติ", "ศาสนา", "วันที่", "ลายมือชื่อ",
)  # fmt: skip


def _draw(budget: int, seed: int = 0, count: int = 500) -> list[str]:
    rng = np.random.default_rng(seed)
    source = sources_for(budget)["form_label"]
    return [source(rng) for _ in range(count)]


def test_form_labels_are_clean_distinct_and_hold_the_common_fields() -> None:
    assert all(is_clean(label) and unicodedata.is_normalized("NFC", label) for label in FORM_LABELS)
    assert len(set(FORM_LABELS)) == len(FORM_LABELS)
    assert set(NEEDED) <= set(FORM_LABELS)


@pytest.mark.parametrize("budget", [4, 8, 12, 25, 48])
def test_form_labels_stay_within_their_budget(budget: int) -> None:
    labels = _draw(budget)
    assert all(len(label) <= budget and is_clean(label) for label in labels), [t for t in labels if len(t) > budget]
    bare = {label.removesuffix(":").split(". ", 1)[-1] for label in labels}
    assert bare <= set(FORM_LABELS)
    if budget <= 12:  # few enough that 500 draws reach every one
        assert bare == {label for label in FORM_LABELS if len(label) <= budget}


def test_form_labels_vary_and_repeat_by_seed() -> None:
    labels = _draw(48)
    assert len(set(labels)) > 0.8 * len(FORM_LABELS)
    assert any(label.endswith(":") for label in labels) and any(label[0].isdigit() for label in labels)
    assert _draw(48, seed=3) == _draw(48, seed=3) != _draw(48, seed=4)


def test_a_budget_below_every_label_gives_the_shortest_for_sample_text_to_refuse() -> None:
    shortest = min(map(len, FORM_LABELS))
    assert {len(label) for label in _draw(shortest - 1, count=50)} == {shortest}
    rng = np.random.default_rng(0)
    sample = sample_text(rng, {"form_label": 1.0}, 12, 14, sources_for(12))
    assert sample.category == "form_label" and len(sample.text) <= 12
