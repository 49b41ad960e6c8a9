"""thaigen.cache and its users: a cached table is the derived one, and a damaged entry is rebuilt."""

from __future__ import annotations

import marshal
from collections.abc import Iterator
from pathlib import Path

import pytest

from thaigen import cache
from thaigen.text import lexicon


@pytest.fixture()
def empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("THAIGEN_CACHE_DIR", str(tmp_path / "cache"))
    lexicon._tables.cache_clear()
    yield tmp_path / "cache"
    lexicon._tables.cache_clear()


def test_lexicon_tables_come_back_from_the_cache_unchanged(empty_cache: Path) -> None:
    derived = lexicon._tables()  # a miss: derived, then stored
    (entry,) = (empty_cache / "lexicon").iterdir()
    lexicon._tables.cache_clear()
    cached = lexicon._tables()
    assert cached is not derived and cached == derived
    assert cached == marshal.loads(entry.read_bytes())
    assert len(cached["words"]) > 100_000 and isinstance(cached["common"][1][0], float)


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", marshal.dumps({"tnc": {}})])
def test_a_damaged_lexicon_entry_is_rebuilt(empty_cache: Path, damage: bytes) -> None:
    lexicon._tables()
    (entry,) = (empty_cache / "lexicon").iterdir()
    good = entry.read_bytes()
    entry.write_bytes(damage)
    lexicon._tables.cache_clear()
    assert lexicon._tables()["words"] == marshal.loads(good)["words"]
    assert entry.read_bytes() == good


def test_an_unwritable_cache_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("THAIGEN_CACHE_DIR", str(blocker))
    cache.store("lexicon", "x", b"data")
    assert cache.load("lexicon", "x") is None
    assert list(tmp_path.iterdir()) == [blocker]


def test_unhinted_fonts_differ_from_the_file_only_in_prep(empty_cache: Path) -> None:
    """The cached copy keeps every other table byte for byte; its prep only inhibits instructions."""
    from fontTools.ttLib import TTFont

    from thaigen.resources import data_dir
    from thaigen.typeset import faces

    faces._unhinted_source.cache_clear()
    for name in ("tlwg/Garuda.ttf", "noto/NotoSansThai-Regular.ttf", "noto/NotoSans-Bold.ttf"):
        path = data_dir("fonts") / name
        copy = Path(str(faces._unhinted_source(path)))
        assert copy.parent == empty_cache / "faces"
        with TTFont(path, lazy=True) as original, TTFont(copy, lazy=True) as unhinted:
            assert set(unhinted.keys()) == set(original.keys()) | {"prep"}
            for tag in set(original.keys()) - {"prep", "head", "GlyphOrder"}:
                assert unhinted.reader[tag] == original.reader[tag], (name, tag)
            assert unhinted["prep"].program.getBytecode() == bytes([0xB1, 1, 1, 0x8E])  # PUSHB[1] 1 1, INSTCTRL
    faces._unhinted_source.cache_clear()


def test_fonts_draw_the_same_without_a_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unwritable cache: the unhinted copy is read from memory, and draws the same ink."""
    from thaigen.resources import data_dir
    from thaigen.typeset import faces

    path = str(data_dir("fonts") / "tlwg/Kinnari.ttf")
    faces._unhinted_source.cache_clear()
    faces.pil_font.cache_clear()
    monkeypatch.setenv("THAIGEN_CACHE_DIR", str(tmp_path / "cache"))
    cached = faces.pil_font(path, 40).getmask("ปั้นน้ำ ฐูฎู")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("THAIGEN_CACHE_DIR", str(blocker))
    faces._unhinted_source.cache_clear()
    faces.pil_font.cache_clear()
    assert isinstance(faces._unhinted_source(Path(path)), bytes)
    in_memory = faces.pil_font(path, 40).getmask("ปั้นน้ำ ฐูฎู")
    assert in_memory.size == cached.size and bytes(in_memory) == bytes(cached)
    faces._unhinted_source.cache_clear()
    faces.pil_font.cache_clear()
