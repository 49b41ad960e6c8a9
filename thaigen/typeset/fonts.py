"""Font discovery and coverage: which fonts can draw which characters, scanned once per build."""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTFont, TTLibError
from PIL import Image, ImageDraw, ImageFont, features

from thaigen import cache
from thaigen.config.schema import FontsConfig
from thaigen.errors import FontError
from thaigen.resources import data_dir
from thaigen.typeset import faces
from thaigen.typeset.faces import pil_font
from thaigen.typeset.families import OTHER, family_of

THAI_CONSONANTS = frozenset(chr(c) for c in range(0x0E01, 0x0E2F))
FONT_SUFFIXES = (".ttf", ".otf")
SHIPPED_FALLBACKS = ("noto/NotoSans-Regular.ttf", "noto/NotoSans-Bold.ttf")
"""Shipped fonts that serve only as fallbacks (no Thai): Latin, digits, punctuation."""

_MARK_PROBES = (("ที่", "ที"), ("ปั้น", "ปัน"), ("กู้", "กู"), ("น้ำ", "นำ"))
"""(with mark, without) pairs: a font that draws both the same drops marks."""
_CROWDED_MARKS = (("ป่", "ป", "ก่", "ก"), ("ป้", "ป", "ก้", "ก"), ("ปั้", "ปั", "ก้", "ก"), ("ที่", "ที", "ก่", "ก"),
                  ("ฟื้", "ฟื", "ก้", "ก"), ("ฝิ", "ฝ", "กิ", "ก"), ("ปั", "ป", "กั", "ก"), ("ฏุ", "ฏ", "กุ", "ก"))
"""(crowded, its base, free, its base): a mark beside a tall letter or over another mark, and the same mark
where nothing is in its way. HarfBuzz places these by GPOS, or without GPOS by its Thai fallback shaper
(the Windows private-use glyphs some older fonts carry); either way the mark must keep its own ink."""
_MIN_KEPT_INK = 0.5
"""Share of a mark's free ink it must add in every crowded cluster (shipped fonts keep >= 0.64; a tone mark
drawn into the upper vowel, as by Noto Looped Thai 2020, keeps 0.09-0.13)."""
_TALL = "กญฎฏฐทธปฝฟฬ"
_EXTENT_CLUSTERS: tuple[str, ...] = (
    *(c + v + t for c in _TALL for v in ("", "ั", "ิ", "ี", "ึ", "ื", "็") for t in ("", "่", "้", "๊", "๋", "์")),
    *(c + v + t for c in _TALL for v in ("ุ", "ู", "ฺ") for t in ("", "่", "้", "๊", "๋")),
    *(c + t + "ำ" for c in _TALL + "น" for t in ("่", "้", "๊", "๋")),
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
    weights: tuple[float, ...] | None = None
    """Draw weight of each Thai font (from fonts.classes); None: every font equally."""

    def font_order(self, rng: np.random.Generator) -> list[int]:
        """Indices of the Thai fonts in the order a sample tries them: a random order, weighted when the
        pool has weights (an exponential race, so a font of weight 0 is never tried)."""
        weights = self.weights
        if weights is None:
            return [int(i) for i in rng.permutation(len(self.thai))]
        race = -np.log(1.0 - rng.random(len(self.thai)))
        return sorted((i for i, w in enumerate(weights) if w > 0), key=lambda i: float(race[i]) / weights[i])

    def fallbacks_for(self, primary: FontInfo) -> tuple[FontInfo, ...]:
        """Fallbacks for `primary`: same weight first, then the rest, all in pool order."""
        others = [f for f in self.fallbacks + self.thai if f != primary]
        return tuple(sorted(others, key=lambda f: f.bold != primary.bold))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _ink(font: ImageFont.FreeTypeFont, text: str) -> np.ndarray:
    canvas = Image.new("L", (_PROBE_PX * 4, _PROBE_PX * 4))
    ImageDraw.Draw(canvas).text((_PROBE_PX, _PROBE_PX * 2), text, font=font, fill=255, anchor="ls")
    return np.asarray(canvas) >= 128


def _added_ink(font: ImageFont.FreeTypeFont, marked: str, bare: str) -> int:
    """Ink pixels `marked` has that `bare` lacks: what its mark adds as drawn."""
    return int(np.count_nonzero(_ink(font, marked) & ~_ink(font, bare)))


def _mark_fault(path: Path) -> str | None:
    """Why HarfBuzz's drawing of Thai marks in this font is unusable, or None when it is fine."""
    font = pil_font(str(path), _PROBE_PX)
    if any(_added_ink(font, marked, bare) == 0 for marked, bare in _MARK_PROBES):
        return "it drops Thai marks"
    for crowded, base, free, free_base in _CROWDED_MARKS:
        if _added_ink(font, crowded, base) < _MIN_KEPT_INK * _added_ink(font, free, free_base):
            return f"it draws Thai marks into other ink ({crowded})"
    return None


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


def _measure(path: Path, codepoints: frozenset[str], thai: bool) -> dict[str, object]:
    """The rendered part of a scan: why a Thai font is left out, or its extreme clusters and line box."""
    fault = _mark_fault(path) if thai else None
    if fault:
        return {"left_out": fault}
    reference = pil_font(str(path), _PROBE_PX)
    probe = extent_probe(reference, codepoints)
    ascent, descent = extents_px(reference, probe)
    return {"left_out": None, "probe": probe, "ascent_em": ascent / _PROBE_PX, "descent_em": descent / _PROBE_PX}


def _read_font(path: Path) -> dict[str, object]:
    """The font file's cmap (as one string), weight and full name.

    Raises:
        FontError: the file is unreadable or has no usable character map.
    """
    try:
        with path.open("rb") as handle, TTFont(handle, lazy=True, fontNumber=0) as font:
            cmap = font.getBestCmap()
            bold = bool(font["OS/2"].fsSelection & 0x20) if "OS/2" in font else False
            family = font["name"].getBestFullName() if "name" in font else None
    except (TTLibError, OSError, AssertionError, KeyError, ValueError) as exc:
        raise FontError(f"cannot read font file {path}: {exc}") from None
    if not cmap:
        raise FontError(f"font file {path} has no usable character map")
    return {"codepoints": "".join(sorted(chr(c) for c in cmap)), "bold": bold, "name": family}


def scan_font(path: Path, *, need_thai: bool) -> FontInfo | None:
    """Read one font file's cmap and metrics (kept on disk by the file's sha256, so each font is scanned once).

    Returns None (with a MarkPositioningWarning) for a Thai font whose marks HarfBuzz draws unusably (dropped,
    or into other ink), whether it places them by GPOS or by the Thai fallback shaper.

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
        scan |= _measure(path, codepoints, thai)
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


def shipped_thai_fonts(font_set: str = "all") -> list[Path]:
    """The Thai font files thaigen ships: the `core` set, or `all` of them (fonts/README.md's table)."""
    root = data_dir("fonts")
    fallbacks = {root / rel for rel in SHIPPED_FALLBACKS}
    wanted = {"core"} if font_set == "core" else {"core", "extended"}
    return [p for p in _font_files(root) if p not in fallbacks and (row := family_of(p)) is not None and row.set in wanted]


def _class_weights(fonts: Sequence[FontInfo], weights: Mapping[str, float]) -> tuple[float, ...]:
    """Each font's draw weight: a class's weight shared equally by its families, a family's by its faces.

    Raises:
        FontError: a class with a positive weight has no font in the pool.
    """
    rows = [family_of(f.path) for f in fonts]
    keys = [row.family if row is not None else f.name for row, f in zip(rows, fonts)]
    classes = [row.classes if row is not None else (OTHER,) for row in rows]
    faces = Counter(keys)
    for name, weight in weights.items():
        if weight > 0 and not any(name in c for c in classes):
            raise FontError(f"fonts.classes: no font of class '{name}' in the pool (fonts.set: all adds every "
                            "shipped family; 'other' is fonts.files and fonts.dirs)")
    families_in = {name: len({k for k, c in zip(keys, classes) if name in c}) for name in weights}
    return tuple(
        sum(weights.get(name, 0.0) / families_in[name] for name in c if name in weights) / faces[key]
        for key, c in zip(keys, classes)
    )


def load_pool(config: FontsConfig) -> FontPool:
    """Scan every configured font once and build the pool.

    Raises:
        FontError: a font is missing, unreadable or lacks Thai, no usable Thai font is left, or a weighted
            font class has no font.
    """
    thai_paths: list[Path] = shipped_thai_fonts(config.set) if config.shipped else []
    for folder in config.dirs:
        thai_paths += _font_files(folder)
    thai_paths += list(config.files)
    fallback_paths = [data_dir("fonts") / rel for rel in SHIPPED_FALLBACKS] + list(config.fallback)
    thai = _scan_all(_unique(thai_paths), need_thai=True)
    if not thai:
        raise FontError("no usable Thai font: every configured font was left out (see warnings above)")
    return FontPool(
        thai=tuple(thai),
        fallbacks=tuple(_scan_all(_unique(fallback_paths), need_thai=False)),
        weights=_class_weights(thai, config.classes) if config.classes else None,
    )


def _unique(paths: Sequence[Path]) -> list[Path]:
    seen: dict[Path, None] = {}
    for path in paths:
        seen.setdefault(path.resolve(), None)
    return list(seen)


def line_px_size(fonts: Sequence[FontInfo], box_px: float) -> int:
    """Largest font size (px) whose line box (max ascent + max descent of `fonts`) fits `box_px`."""
    per_px = max(f.ascent_em for f in fonts) + max(f.descent_em for f in fonts)
    return max(4, math.floor(box_px / per_px))
