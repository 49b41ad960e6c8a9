"""Run splitting: a Thai font draws what it covers, fallbacks draw the rest, nothing becomes tofu."""

from thaigen.typeset.fonts import FontPool
from thaigen.typeset.runs import split_runs


def _font(pool: FontPool, name: str):  # type: ignore[no-untyped-def]
    return next(f for f in pool.thai if f.path.name == name)


def test_noto_sans_thai_falls_back_for_digits(pool: FontPool) -> None:
    noto = _font(pool, "NotoSansThai-Regular.ttf")
    text = "ราคา 1,250.00 บาท"
    runs = split_runs(text, noto, pool.fallbacks_for(noto))
    assert runs is not None
    assert "".join(r.text for r in runs) == text
    assert [r.start for r in runs] == [0, 5, 14]  # a space stays with the run it follows
    assert [r.font.path.name for r in runs] == [
        "NotoSansThai-Regular.ttf",
        "NotoSans-Regular.ttf",
        "NotoSansThai-Regular.ttf",
    ]
    assert all(r.font.covers(r.text) for r in runs)


def test_bold_primary_prefers_bold_fallback(pool: FontPool) -> None:
    noto = _font(pool, "NotoSansThai-Bold.ttf")
    runs = split_runs("A ก", noto, pool.fallbacks_for(noto))
    assert runs is not None and runs[0].font.path.name == "NotoSans-Bold.ttf"


def test_marks_stay_with_their_base(pool: FontPool) -> None:
    garuda = _font(pool, "Garuda.ttf")
    runs = split_runs("น้ำ ปั้น", garuda, pool.fallbacks_for(garuda))
    assert runs is not None and len(runs) == 1


def test_uncovered_text_is_refused(pool: FontPool) -> None:
    garuda = _font(pool, "Garuda.ttf")
    assert split_runs("ก漢", garuda, pool.fallbacks_for(garuda)) is None
