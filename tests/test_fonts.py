"""Font scanning: coverage from cmaps, exclusion of fonts that cannot position Thai marks, clear errors."""

from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from thaigen.config.schema import FontsConfig
from thaigen.errors import FontError
from thaigen.resources import data_dir
from thaigen.typeset.fonts import FontPool, MarkPositioningWarning, load_pool, scan_font

FONTS = data_dir("fonts")
GARUDA = FONTS / "tlwg" / "Garuda.ttf"


def _without_gpos(tmp_path: Path) -> Path:
    font = TTFont(str(GARUDA))
    del font["GPOS"]
    path = tmp_path / "GarudaNoGPOS.ttf"
    font.save(str(path))
    return path


def test_shipped_fonts_are_small_licensed_and_usable(pool: FontPool) -> None:
    files = [p for p in FONTS.rglob("*") if p.suffix == ".ttf"]
    assert sum(p.stat().st_size for p in files) < 5 * 1024 * 1024
    for font in files:
        assert (font.parent / "COPYRIGHT").is_file(), f"{font} ships without its licence"
    assert len(pool.thai) >= 10
    assert all(f.thai and f.ascent_em > 0.5 and f.descent_em > 0.1 for f in pool.thai)
    assert {f.path.name for f in pool.fallbacks} == {"NotoSans-Regular.ttf", "NotoSans-Bold.ttf"}


def test_noto_sans_thai_lacks_latin_and_digits(pool: FontPool) -> None:
    noto = next(f for f in pool.thai if f.path.name == "NotoSansThai-Regular.ttf")
    assert noto.covers("ที่นี่ ฤๅษี")
    assert not noto.covers("1") and not noto.covers("A")


def test_font_without_thai_mark_positioning_is_excluded_with_warning(tmp_path: Path) -> None:
    broken = _without_gpos(tmp_path)
    with pytest.warns(MarkPositioningWarning, match="GarudaNoGPOS.ttf left out: no GPOS mark positioning"):
        assert scan_font(broken, need_thai=True) is None
    with pytest.warns(MarkPositioningWarning), pytest.raises(FontError, match="no usable Thai font"):
        load_pool(FontsConfig(shipped=False, files=(broken,)))


def test_user_font_folder_adds_fonts(tmp_path: Path, pool: FontPool) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "MyGaruda.ttf").write_bytes((FONTS / "tlwg" / "Garuda-Bold.ttf").read_bytes())
    bigger = load_pool(FontsConfig(dirs=(tmp_path / "mine",)))
    assert len(bigger.thai) == len(pool.thai) + 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.ttf", "font file not found: .*missing.ttf"),
        (lambda d: _write(d / "junk.ttf", b"\x00\x01\x00\x00garbage" * 10), "cannot read font file .*junk.ttf"),
        (lambda d: FONTS / "noto" / "NotoSans-Regular.ttf", "NotoSans-Regular.ttf has no Thai: list it under fonts.fallback"),
    ],
)
def test_bad_fonts_give_one_clear_error(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FontError, match=message):
        load_pool(FontsConfig(shipped=False, files=(make(tmp_path),)))


def test_missing_or_empty_font_folder(tmp_path: Path) -> None:
    with pytest.raises(FontError, match="font folder not found"):
        load_pool(FontsConfig(dirs=(tmp_path / "nope",)))
    with pytest.raises(FontError, match="holds no .ttf or .otf"):
        load_pool(FontsConfig(dirs=(tmp_path,)))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_scans_are_kept_on_disk_by_sha256_and_equal_a_fresh_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THAIGEN_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "copy" / "Garuda.ttf"
    copy.parent.mkdir()
    copy.write_bytes(GARUDA.read_bytes())
    fresh, cached = scan_font(GARUDA, need_thai=True), scan_font(copy, need_thai=True)
    assert len(list((tmp_path / "cache" / "fonts").glob("*.json"))) == 1
    assert fresh is not None and cached is not None and cached.path == copy
    assert {k: v for k, v in vars(fresh).items() if k != "path"} == {k: v for k, v in vars(cached).items() if k != "path"}
    broken = _without_gpos(tmp_path)
    for _ in range(2):
        with pytest.warns(MarkPositioningWarning, match="left out: no GPOS mark positioning"):
            assert scan_font(broken, need_thai=True) is None
    with pytest.raises(FontError, match="has no Thai: list it under fonts.fallback"):
        scan_font(FONTS / "noto" / "NotoSans-Regular.ttf", need_thai=True)
