"""Ensembles: per-line confidence choice and character voting on aligned readings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from trainers.inference.engine import Reading
from trainers.inference.ensemble import Combiner, Ensemble, most_confident, vote
from trainers.inference.image import Image


def test_confidence_choice_takes_the_surest_reading() -> None:
    assert most_confident([Reading("abc", 0.4), Reading("abd", 0.9), Reading("abe", 0.9)]).text == "abd"


def test_voting_outvotes_the_pivot_on_one_character() -> None:
    result = vote([Reading("12345", 0.9), Reading("12845", 0.8), Reading("12845", 0.7)])
    assert result.text == "12845"
    assert result.char_confidences == pytest.approx((1, 1, 1.5 / 2.4, 1, 1))


def test_voting_handles_insertions_and_deletions() -> None:
    assert vote([Reading("1234", 0.9), Reading("12x34", 0.8), Reading("12x34", 0.7)]).text == "12x34"
    assert vote([Reading("1234", 0.9), Reading("124", 0.8), Reading("124", 0.7)]).text == "124"
    assert vote([Reading("1234", 0.9), Reading("124", 0.5)]).text == "1234"  # two engines: the surer wins ties


def test_voting_without_confidences_is_a_plain_majority() -> None:
    assert vote([Reading("ab", 0.0), Reading("ac", 0.0), Reading("ac", 0.0)]).text == "ac"
    assert vote([Reading("", 0.0), Reading("", 0.0)]) == Reading("", 0.0, ())


def test_voting_keeps_thai_marks_in_place() -> None:
    readings = [Reading("น้ำตาล", 0.6), Reading("น้ําตาล", 0.9), Reading("น้ำตาล", 0.5)]
    assert vote(readings).text == "น้ำตาล"


class Canned:
    """An engine that always reads the same text."""

    def __init__(self, name: str, text: str, confidence: float) -> None:
        self.name = name
        self.reading = Reading(text, confidence)

    def read(self, images: Sequence[Image]) -> list[Reading]:
        return [self.reading for _ in images]


def test_an_ensemble_is_an_engine() -> None:
    members = [Canned("a", "x1", 0.3), Canned("b", "x2", 0.6), Canned("c", "x1", 0.5)]
    images = [np.zeros((4, 4, 3), np.uint8)] * 2
    assert [r.text for r in Ensemble(members, Combiner.VOTE).read(images)] == ["x1", "x1"]
    assert [r.text for r in Ensemble(members, Combiner.CONFIDENCE).read(images)] == ["x2", "x2"]
    assert Ensemble(members, Combiner.VOTE).name == "vote(a, b, c)"
    with pytest.raises(ValueError, match="at least two"):
        Ensemble(members[:1], Combiner.VOTE)
