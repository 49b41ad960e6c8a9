"""Text styles: bold faces or synthetic strokes, spacing between grapheme clusters only, width and slant."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from thaigen.compose.furniture import DRAWERS
from thaigen.config.loading import make_config
from thaigen.config.schema import FURNITURE_KINDS
from thaigen.text.thai import COMBINING_MARKS, STRESS_SET
from thaigen.typeset.fonts import FontPool
from thaigen.typeset.render import LineStyle, draw_ink, place_runs
from thaigen.typeset.runs import clusters, split_runs
from thaigen.typeset.styles import TextStyle, family, with_weight

BASE = LineStyle(line_fill=0.9, margin_left=4, margin_right=4, vertical_position=0.5, text_gray=0, background_gray=255)


def _font(pool: FontPool, name: str):  # type: ignore[no-untyped-def]
    return next(f for f in pool.thai if f.path.name == name)


def test_clusters_keep_marks_and_sara_am_with_their_base() -> None:
    assert clusters("น้ำ") == ["น้ำ"]
    assert clusters("ที่นี่") == ["ที่", "นี่"]
    assert clusters("กำลัง") == ["กำ", "ลั", "ง"]


@pytest.mark.parametrize("text", STRESS_SET)
def test_letter_spacing_places_whole_clusters_only(pool: FontPool, text: str) -> None:
    font = _font(pool, "Garuda.ttf")
    runs = split_runs(text, font, pool.fallbacks_for(font))
    assert runs is not None
    style = replace(BASE, text=TextStyle(letter_spacing=0.2))
    placed, _ = place_runs(runs, style, 48)
    assert "".join(p.run.text for p in placed) == text
    for item in placed:
        assert clusters(item.run.text) == [item.run.text]
        assert item.run.text[0] not in COMBINING_MARKS + "ำ"
    assert [p.x for p in placed] == sorted(p.x for p in placed)
    plain, _ = draw_ink(runs, BASE, 48)
    spaced, _ = draw_ink(runs, style, 48)
    assert spaced.shape[1] > plain.shape[1] if len(clusters(text)) > 1 else np.array_equal(spaced, plain)


def test_bold_uses_the_shipped_bold_face(pool: FontPool) -> None:
    regular = _font(pool, "Garuda.ttf")
    runs = split_runs("ราคา 1,250.00 บาท", regular, pool.fallbacks_for(regular))
    assert runs is not None
    bold = with_weight(runs, True, pool)
    assert all(r.font.bold and not r.synthetic_bold for r in bold)
    assert {family(r.font) for r in bold} == {family(r.font) for r in runs}
    assert [r.font for r in with_weight(bold, False, pool)] == [r.font for r in runs]


def test_synthetic_bold_without_a_bold_face(pool: FontPool) -> None:
    regular = _font(pool, "Garuda.ttf")
    alone = FontPool(thai=(regular,), fallbacks=())
    runs = with_weight(split_runs("ปั้นน้ำ", regular, ()) or [], True, alone)
    assert [r.synthetic_bold for r in runs] == [True]
    plain, _ = draw_ink(runs, BASE, 48)
    heavy, _ = draw_ink(runs, replace(BASE, text=TextStyle(bold=True, stroke=0.04)), 48)
    assert np.count_nonzero(heavy > 127) > 1.2 * np.count_nonzero(plain > 127)
    assert not (heavy[0].any() or heavy[-1].any() or heavy[:, 0].any() or heavy[:, -1].any())


@pytest.mark.parametrize(("width", "skew"), [(0.8, 0.0), (1.2, 0.0), (1.0, 0.3), (1.0, -0.1), (0.8, 0.3)])
def test_width_and_slant_keep_margins(pool: FontPool, width: float, skew: float) -> None:
    font = _font(pool, "Kinnari.ttf")
    runs = split_runs("ฟื้นฟู ปั๋ง ฐูฎู", font, pool.fallbacks_for(font))
    assert runs is not None
    ink, _ = draw_ink(runs, replace(BASE, text=TextStyle(width=width, skew=skew)), 48)
    columns = np.flatnonzero(ink.max(axis=0))
    assert columns[0] == BASE.margin_left and ink.shape[1] - 1 - columns[-1] == BASE.margin_right
    assert not (ink[0].any() or ink[-1].any())


def test_every_furniture_kind_has_a_drawer() -> None:
    assert set(DRAWERS) == set(FURNITURE_KINDS)
    assert set(make_config().frame.furniture) == set(FURNITURE_KINDS)
