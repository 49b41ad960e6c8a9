"""Font discovery and coverage: which fonts can draw which characters, scanned once per build."""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError
from PIL import Image, ImageDraw, ImageFont, features

from thaigen import cache
from thaigen.config.schema import FontsConfig
from thaigen.errors import FontError
from thaigen.resources import data_dir
from thaigen.typeset import faces
from thaigen.typeset.faces import pil_font

THAI_CONSONANTS = frozenset(chr(c) for c in range(0x0E01, 0x0E2F))
FONT_SUFFIXES = (".ttf", ".otf")
SHIPPED_FALLBACKS = ("noto/NotoSans-Regular.ttf", "noto/NotoSans-Bold.ttf")
"""Shipped fonts that serve only as fallbacks (no Thai): Latin, digits, punctuation."""

_MARK_PROBES = (("ที่", "ที"), ("ปั้น", "ปัน"), ("กู้", "กู"), ("น้ำ", "นำ"))
"""(with mark, without) pairs: a font that draws both the same drops marks."""
_TALL = "กญฎฏฐทธปฝฟฬ"
_EXTENT_CLUSTERS: tuple[str, ...] = (
    *(c + v + t for c in _TALL for v in ("", "ั", "ิ", "ี", "ึ", "ื", "็") for t in ("", "่", "้", "๊", "๋", "์")),
    *(c + v + t for c in _TALL for v in ("ุ", "ู", "ฺ") for t in ("", "่", "้", "๊", "๋")),
    *("ฤๅ", "ฦๅ", "ฐู", "ฎู", "ฏู", "ญู", "Á", "É", "Ç", "Å", "g", "j", "p", "q", "y", "ÿ", "Ä", "|"),
)
"""Candidates for the clusters reaching furthest above and below the baseline."""
_EXTREMES = 6
"""Tallest and deepest clusters kept per font to size its line box at any px size."""
_PROBE_PX = 200
_SCAN_VERSION = cache.digest(
    Path(__file__).read_bytes(),
    Path(faces.__file__).read_bytes(),
    repr([Image.__version__, *(features.version(f) for f in ("freetype2", "raqm", "harfbuzz"))]),
)
"""What a scan result depends on besides the font's bytes: this module's and faces' code, the rendering libraries."""


class MarkPositioningWarning(UserWarning):
    """A Thai font was left out because it cannot position Thai marks."""


@dataclass(frozen=True, eq=False)
class FontInfo:
    """One font file and what it can draw (compared by identity: each is scanned once per build)."""

    path: Path
    name: str
    sha256: str
    codepoints: frozenset[str] = field(repr=False)
    thai: bool
    bold: bool
    ascent_em: float
    """Line-box height above the baseline per px of font size (font metrics, widened to hold stacked marks)."""
    descent_em: float
    probe: str = field(repr=False)
    """The font's extreme clusters (see extent_probe)."""

    def covers(self, text: str) -> bool:
        """True when every character of `text` is in this font's cmap."""
        return all(ch in self.codepoints for ch in text)


@dataclass(frozen=True, eq=False)
class FontPool:
    """Thai fonts that draw lines, and fallbacks (in preference order) for what they lack."""

    thai: tuple[FontInfo, ...]
    fallbacks: tuple[FontInfo, ...]

    def fallbacks_for(self, primary: FontInfo) -> tuple[FontInfo, ...]:
        """Fallbacks for `primary`: same weight first, then the rest, all in pool order."""
        others = [f for f in self.fallbacks + self.thai if f != primary]
        return tuple(sorted(others, key=lambda f: f.bold != primary.bold))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _has_thai_mark_positioning(font: TTFont) -> bool:
    """True when GPOS has a 'mark' feature for the Thai script."""
    if "GPOS" not in font:
        return False
    table = font["GPOS"].table
    if table.ScriptList is None or table.FeatureList is None:
        return False
    for record in table.ScriptList.ScriptRecord:
        if record.ScriptTag != "thai":
            continue
        systems = [record.Script.DefaultLangSys] + [r.LangSys for r in record.Script.LangSysRecord]
        for system in filter(None, systems):
            tags = {table.FeatureList.FeatureRecord[i].FeatureTag for i in system.FeatureIndex}
            if "mark" in tags:
                return True
    return False


def _ink(font: ImageFont.FreeTypeFont, text: str) -> bytes:
    canvas = Image.new("L", (_PROBE_PX * 4, _PROBE_PX * 4))
    ImageDraw.Draw(canvas).text((_PROBE_PX, _PROBE_PX * 2), text, font=font, fill=255, anchor="ls")
    return canvas.tobytes()


def _drops_marks(path: Path) -> bool:
    """True when some mark renders no ink (e.g. a tone mark over an upper vowel vanishes)."""
    font = pil_font(str(path), _PROBE_PX)
    return any(_ink(font, marked) == _ink(font, bare) for marked, bare in _MARK_PROBES)


def extent_probe(font: ImageFont.FreeTypeFont, codepoints: frozenset[str]) -> str:
    """The font's tallest and deepest covered clusters, as one short string to measure at any size."""
    covered = [c for c in _EXTENT_CLUSTERS if all(ch in codepoints for ch in c)]
    boxes = [(font.getbbox(c, anchor="ls"), c) for c in covered]
    tallest = sorted(boxes, key=lambda item: item[0][1])[:_EXTREMES]
    deepest = sorted(boxes, key=lambda item: -item[0][3])[:_EXTREMES]
    return "".join(dict.fromkeys(c for _, c in tallest + deepest))


def extents_px(font: ImageFont.FreeTypeFont, probe: str) -> tuple[int, int]:
    """(ascent, descent) in px: the font's metrics widened to the (unhinted, as drawn) ink of `probe`."""
    ascent, descent = font.getmetrics()
    _, top, _, bottom = font.getbbox(probe, anchor="ls")
    return max(ascent, math.ceil(-top)), max(descent, math.ceil(bottom))


def _cached_scan(sha256: str) -> dict[str, object] | None:
    """The stored scan of the font with these bytes (None when absent or unreadable: it is then redone)."""
    data = cache.load("fonts", f"{sha256}-{_SCAN_VERSION}.json")
    try:
        return dict(json.loads(data)) if data is not None else None
    except ValueError:
        return None


def _store_scan(sha256: str, scan: dict[str, object]) -> None:
    """Keep a scan for the next run."""
    cache.store("fonts", f"{sha256}-{_SCAN_VERSION}.json", json.dumps(scan, ensure_ascii=False).encode("utf-8"))


def _measure(path: Path, codepoints: frozenset[str], thai: bool, positions_marks: bool) -> dict[str, object]:
    """The rendered part of a scan: why a Thai font is left out, or its extreme clusters and line box."""
    if thai and (not positions_marks or _drops_marks(path)):
        return {"left_out": "no GPOS mark positioning for Thai" if not positions_marks else "it drops Thai marks"}
    reference = pil_font(str(path), _PROBE_PX)
    probe = extent_probe(reference, codepoints)
    ascent, descent = extents_px(reference, probe)
    return {"left_out": None, "probe": probe, "ascent_em": ascent / _PROBE_PX, "descent_em": descent / _PROBE_PX}


def _read_font(path: Path) -> dict[str, object]:
    """The font file's cmap (as one string), weight, full name and whether GPOS positions Thai marks.

    Raises:
        FontError: the file is unreadable or has no usable character map.
    """
    try:
        with path.open("rb") as handle, TTFont(handle, lazy=True, fontNumber=0) as font:
            cmap = font.getBestCmap()
            positions_marks = _has_thai_mark_positioning(font)
            bold = bool(font["OS/2"].fsSelection & 0x20) if "OS/2" in font else False
            family = font["name"].getBestFullName() if "name" in font else None
    except (TTLibError, OSError, AssertionError, KeyError, ValueError) as exc:
        raise FontError(f"cannot read font file {path}: {exc}") from None
    if not cmap:
        raise FontError(f"font file {path} has no usable character map")
    return {"codepoints": "".join(sorted(chr(c) for c in cmap)), "positions_marks": positions_marks, "bold": bold,
            "name": family}


def scan_font(path: Path, *, need_thai: bool) -> FontInfo | None:
    """Read one font file's cmap and metrics (kept on disk by the file's sha256, so each font is scanned once).

    Returns None (with a MarkPositioningWarning) for a Thai font that cannot position Thai marks.

    Raises:
        FontError: the file is missing or unreadable, or `need_thai` and it has no Thai.
    """
    if not path.is_file():
        raise FontError(f"font file not found: {path}")
    sha256 = _sha256(path)
    scan = _cached_scan(sha256)
    if scan is None:
        scan = _read_font(path)
    codepoints = frozenset(str(scan["codepoints"]))
    missing = sorted(THAI_CONSONANTS - codepoints)
    thai = not missing
    if need_thai and not thai:
        if len(missing) == len(THAI_CONSONANTS):
            raise FontError(f"font {path} has no Thai: list it under fonts.fallback (fonts.files and fonts.dirs are "
                            "the Thai fonts lines are drawn in)")
        raise FontError(f"font {path} cannot draw Thai: no glyph for {''.join(missing[:8])}")
    if "left_out" not in scan:
        scan |= _measure(path, codepoints, thai, bool(scan["positions_marks"]))
        _store_scan(sha256, scan)
    if scan["left_out"]:
        warnings.warn(f"font {path} left out: {scan['left_out']}", MarkPositioningWarning, stacklevel=2)
        return None
    return FontInfo(
        path=path,
        name=str(scan["name"] or path.stem),
        sha256=sha256,
        codepoints=codepoints,
        thai=thai,
        bold=bool(scan["bold"]),
        ascent_em=float(scan["ascent_em"]),  # type: ignore[arg-type]
        descent_em=float(scan["descent_em"]),  # type: ignore[arg-type]
        probe=str(scan["probe"]),
    )


def _font_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise FontError(f"font folder not found: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in FONT_SUFFIXES)
    if not files:
        raise FontError(f"font folder {folder} holds no .ttf or .otf files")
    return files


def _scan_all(paths: Iterable[Path], *, need_thai: bool) -> list[FontInfo]:
    found = (scan_font(p, need_thai=need_thai) for p in paths)
    return [f for f in found if f is not None]


def shipped_thai_fonts() -> list[Path]:
    """The Thai font files thaigen ships."""
    root = data_dir("fonts")
    fallbacks = {root / rel for rel in SHIPPED_FALLBACKS}
    return [p for p in _font_files(root) if p not in fallbacks]


def load_pool(config: FontsConfig) -> FontPool:
    """Scan every configured font once and build the pool.

    Raises:
        FontError: a font is missing, unreadable or lacks Thai, or no usable Thai font is left.
    """
    thai_paths: list[Path] = shipped_thai_fonts() if config.shipped else []
    for folder in config.dirs:
        thai_paths += _font_files(folder)
    thai_paths += list(config.files)
    fallback_paths = [data_dir("fonts") / rel for rel in SHIPPED_FALLBACKS] + list(config.fallback)
    thai = _scan_all(_unique(thai_paths), need_thai=True)
    if not thai:
        raise FontError("no usable Thai font: every configured font was left out (see warnings above)")
    return FontPool(thai=tuple(thai), fallbacks=tuple(_scan_all(_unique(fallback_paths), need_thai=False)))


def _unique(paths: Sequence[Path]) -> list[Path]:
    seen: dict[Path, None] = {}
    for path in paths:
        seen.setdefault(path.resolve(), None)
    return list(seen)


def line_px_size(fonts: Sequence[FontInfo], box_px: float) -> int:
    """Largest font size (px) whose line box (max ascent + max descent of `fonts`) fits `box_px`."""
    per_px = max(f.ascent_em for f in fonts) + max(f.descent_em for f in fonts)
    return max(4, math.floor(box_px / per_px))
