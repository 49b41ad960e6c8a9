"""Font scanning: coverage from cmaps, exclusion of fonts whose Thai marks HarfBuzz draws unusably, the font
table (sets, classes, licences), class weights, clear errors."""

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont

from thaigen.config.schema import FONT_CLASSES, FontsConfig
from thaigen.dataset.manifest import read_manifest
from thaigen.errors import FontError
from thaigen.resources import data_dir
from thaigen.typeset.families import FALLBACK, characters_by_font_class, classes_of, families
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
    assert sum(p.stat().st_size for p in files) < 25 * 1024 * 1024
    assert len(pool.thai) == 24  # the core set: what every recipe draws from by default
    assert all(f.thai and f.ascent_em > 0.5 and f.descent_em > 0.1 for f in pool.thai)
    assert {f.path.name for f in pool.fallbacks} == {"NotoSans-Regular.ttf", "NotoSans-Bold.ttf"}


def test_font_table_covers_every_shipped_file_once_with_its_licence() -> None:
    rows = families()
    files = sorted(p.relative_to(FONTS).as_posix() for p in FONTS.rglob("*") if p.suffix == ".ttf")
    owners = {f: [r.family for r in rows if r.matches(f)] for f in files}
    assert {f: o for f, o in owners.items() if len(o) != 1} == {}
    for row in rows:
        assert row.faces == sum(row.matches(f) for f in files), row.family
        assert row.set in ("core", "extended", "fallback") and set(row.classes) <= set(FONT_CLASSES), row.family
        licences = re.findall(r"`([^`]+)`", row.licence)
        assert licences and all((FONTS / name).is_file() for name in licences), row
    assert len({Path(f).name for f in files}) == len(files)  # manifests name fonts by file name
    thai = [r for r in rows if r.set != "fallback"]
    assert len({r.family for r in thai}) >= 40 and all(r.classes for r in thai)
    assert sum(r.faces for r in rows if r.set == "core") == 24


def test_evaluation_faces_are_never_in_the_pool() -> None:
    """The meter scores on faces thaigen never trains on: Arundina, Tlwg Typo, Tlwg Typewriter, Tlwg Mono."""
    banned = re.compile(r"arundina|tlwg ?typo|tlwg ?typewriter|tlwg ?mono", re.IGNORECASE)
    names = [f for r in families() for f in (r.family, r.files)] + [p.name for p in FONTS.rglob("*.[ot]tf")]
    assert not [n for n in names if banned.search(n)]
    assert not [f.name for f in load_pool(FontsConfig(set="all")).thai if banned.search(f.name)]


def test_probe_admits_marks_placed_by_harfbuzz_fallback_shaper() -> None:
    """TH Krub has no GPOS: HarfBuzz's Thai fallback shaper places its marks through private-use glyphs."""
    krub = FONTS / "national" / "THKrub.ttf"
    with TTFont(str(krub), lazy=True) as font:
        assert "GPOS" not in font and 0xF70A in font.getBestCmap()
    assert scan_font(krub, need_thai=True) is not None


def test_class_weights_draw_fonts_in_proportion() -> None:
    pool = load_pool(FontsConfig(set="all", classes={"national": 3, "monospace": 1}))
    assert pool.weights is not None
    firsts = Counter(
        classes_of(pool.thai[pool.font_order(np.random.default_rng(seed))[0]].path) for seed in range(800)
    )
    national = sum(n for c, n in firsts.items() if "national" in c)
    assert set(firsts) <= {c for c in map(classes_of, (f.path for f in pool.thai)) if {"national", "monospace"} & set(c)}
    assert 0.68 < national / 800 < 0.82  # 3:1
    order = pool.font_order(np.random.default_rng(5))
    assert order == pool.font_order(np.random.default_rng(5))  # deterministic
    assert all(pool.weights[i] > 0 for i in order)  # a font of no weighted class is never tried


def test_class_without_fonts_in_the_pool_is_a_clear_error() -> None:
    with pytest.raises(FontError, match="no font of class 'national' in the pool"):
        load_pool(FontsConfig(classes={"national": 1}))
    with pytest.raises(ValueError, match="unknown font class 'loopy'"):
        FontsConfig(classes={"loopy": 1})


def test_noto_sans_thai_lacks_latin_and_digits(pool: FontPool) -> None:
    noto = next(f for f in pool.thai if f.path.name == "NotoSansThai-Regular.ttf")
    assert noto.covers("ที่นี่ ฤๅษี")
    assert not noto.covers("1") and not noto.covers("A")


def test_font_without_thai_mark_positioning_is_excluded_with_warning(tmp_path: Path) -> None:
    broken = _without_gpos(tmp_path)
    with pytest.warns(MarkPositioningWarning, match="GarudaNoGPOS.ttf left out: it draws Thai marks into other ink"):
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
        with pytest.warns(MarkPositioningWarning, match="left out: it draws Thai marks into other ink"):
            assert scan_font(broken, need_thai=True) is None
    with pytest.raises(FontError, match="has no Thai: list it under fonts.fallback"):
        scan_font(FONTS / "noto" / "NotoSans-Regular.ttf", need_thai=True)


def test_manifest_counts_characters_by_font_class(small_dataset) -> None:  # type: ignore[no-untyped-def]
    counts = read_manifest(small_dataset("mixed", 40, 3) / "manifest.json")["counts"]
    by_class = counts["by_font_class"]
    assert set(by_class) <= set(FONT_CLASSES) | {FALLBACK} and by_class.get("looped", 0) > 0
    assert sum(by_class.values()) >= sum(counts["characters_by_font"].values())
    assert characters_by_font_class({"THKrub.ttf": 5, "NotoSans-Bold.ttf": 2, "Mine.ttf": 1}) == {
        "fallback": 2, "looped": 5, "national": 5, "other": 1
    }
