"""Shaping check: thaigen's ink must match an independent HarfBuzz + FreeType reference.

The reference shapes each placed run with uharfbuzz (OpenType funcs, scale = size * 64, i.e. 26.6)
and rasterises every glyph with FreeType through freetype-py's ctypes structures at the HarfBuzz
positions; none of Pillow's or thaigen's code is on that path. What Pillow does is matched
(``_imagingft.c``): a nominal size request of ``size`` px per em, unhinted bitmaps (thaigen inhibits the
fonts' TrueType instructions, thaigen.typeset.faces; the reference loads the original files with
``FT_LOAD_NO_HINTING``),
each glyph at its 26.6 pen position + offset rounded to whole pixels with halves up (y offsets upward),
coverage merged with "over" (a + b(1 - a)), and the same FreeType release (rasterisation may differ
between releases; see Rasteriser).
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import freetype
import numpy as np
import pytest
import uharfbuzz as hb
from PIL import features

from thaigen.config.schema import FontsConfig
from thaigen.text.thai import STRESS_SET as STRESS
from thaigen.typeset.fonts import FontInfo, FontPool, load_pool, shipped_thai_fonts
from thaigen.typeset.render import LineStyle, PlacedRun, draw_ink
from thaigen.typeset.runs import split_runs

MARKED = ("ฐูฎู", "น้ำ", "ปั้น", "ที่นี่", "ญี่ปุ่น", "สิ้นสุด")
"""Strings whose look depends on GSUB/GPOS: unshaped drawing of at least one must fail the metric."""
HEIGHTS = (48, 96)
MIN_IOU = 0.98
STYLE = LineStyle(
    line_fill=0.9, margin_left=8, margin_right=8, vertical_position=0.5, text_gray=0, background_gray=255
)
LOAD_FLAGS = freetype.FT_LOAD_NO_HINTING
"""thaigen's unhinted glyphs, from the original font files (Pillow renders in FT_RENDER_MODE_NORMAL)."""
SHIPPED = tuple(p.name for p in shipped_thai_fonts("all"))
"""Every shipped Thai font, the core set and the extended one (fonts.set: all)."""

Glyph = tuple[int, int, int]
"""(glyph id, x, y): a glyph's origin in 26.6 units, x from the canvas' left, y upwards from the baseline."""


@pytest.fixture(scope="module")
def pool() -> FontPool:
    """Every shipped Thai font (fonts.set: all) and the fallbacks."""
    return load_pool(FontsConfig(set="all"))


@functools.cache
def _hb_face(path: str) -> hb.Face:
    return hb.Face(hb.Blob.from_file_path(path))


def _hb_font(path: str, size: int) -> hb.Font:
    """A HarfBuzz font scaled to `size` px per em, positions in 26.6 fixed point."""
    font = hb.Font(_hb_face(path))
    font.scale = (size * 64, size * 64)
    return font


def _shaped(item: PlacedRun) -> list[Glyph]:
    """HarfBuzz-shaped glyphs of one placed run."""
    font = _hb_font(str(item.run.font.path), item.size)
    buf = hb.Buffer()
    buf.add_str(item.run.text)
    buf.guess_segment_properties()
    hb.shape(font, buf, {})
    glyphs: list[Glyph] = []
    pen_x, pen_y = item.x * 64, 0
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions):
        glyphs.append((info.codepoint, pen_x + pos.x_offset, pen_y + pos.y_offset))
        pen_x += pos.x_advance
        pen_y += pos.y_advance
    return glyphs


def _unshaped(item: PlacedRun) -> list[Glyph]:
    """Glyph-by-glyph drawing without shaping: each code point's cmap glyph at its nominal advance."""
    font = _hb_font(str(item.run.font.path), item.size)
    glyphs: list[Glyph] = []
    pen_x = item.x * 64
    for ch in item.run.text:
        gid = font.get_nominal_glyph(ord(ch)) or 0
        glyphs.append((gid, pen_x, 0))
        pen_x += font.get_glyph_h_advance(gid)
    return glyphs


def _pixel(value: int) -> int:
    """26.6 to the nearest whole pixel, halves up (Pillow's PIXEL macro)."""
    return (value + 32) >> 6


class Rasteriser:
    """FreeType glyph bitmaps through freetype-py's ctypes structures, from a chosen FreeType build.

    Hinted bitmaps differ between FreeType releases (2.13.2, bundled with freetype-py, and 2.14.3 move
    stems and bowls by a pixel at some sizes), so the reference must run the same FreeType *release*
    as the renderer under test. freetype-py's own build is used when its version matches; otherwise
    the FreeType library of that version already mapped into this process (the one Pillow's wheel
    loads) is bound directly. Only FreeType itself is shared: no Pillow code is on this path.
    """

    def __init__(self, want: tuple[int, int, int]) -> None:
        self.lib = self._library(want)
        self.handle = freetype.FT_Library()
        self._check(self.lib.FT_Init_FreeType(ctypes.byref(self.handle)))
        self.version = self._version(self.lib, self.handle)
        self.faces: dict[str, freetype.FT_Face] = {}

    @staticmethod
    def _version(lib: ctypes.CDLL, handle: freetype.FT_Library) -> tuple[int, int, int]:
        parts = [ctypes.c_int() for _ in range(3)]
        lib.FT_Library_Version(handle, *map(ctypes.byref, parts))
        return parts[0].value, parts[1].value, parts[2].value

    @classmethod
    def _library(cls, want: tuple[int, int, int]) -> ctypes.CDLL:
        """freetype-py's FreeType if it is release `want`, else a mapped libfreetype of that release."""
        candidates = [freetype.raw._lib]
        maps = Path("/proc/self/maps")
        if maps.is_file():
            paths = {line.split()[-1] for line in maps.read_text().splitlines() if "libfreetype" in line}
            for path in sorted(paths):
                try:
                    candidates.append(ctypes.CDLL(path))
                except OSError:
                    continue
        for lib in candidates:
            handle = freetype.FT_Library()
            if lib.FT_Init_FreeType(ctypes.byref(handle)) == 0:
                found = cls._version(lib, handle)
                lib.FT_Done_FreeType(handle)
                if found == want:
                    return lib
        return freetype.raw._lib

    @staticmethod
    def _check(error: int) -> None:
        if error:
            raise freetype.FT_Exception(error)

    def glyph(self, path: str, size: int, gid: int, flags: int) -> tuple[np.ndarray, int, int]:
        """(coverage rows x cols, bitmap_left, bitmap_top) of one glyph at `size` px per em."""
        face = self.faces.get(path)
        if face is None:
            face = freetype.FT_Face()
            self._check(self.lib.FT_New_Face(self.handle, path.encode(), 0, ctypes.byref(face)))
            self.faces[path] = face
        self._check(self.lib.FT_Set_Pixel_Sizes(face, 0, size))
        self._check(self.lib.FT_Load_Glyph(face, gid, flags | freetype.FT_LOAD_RENDER))
        slot = face.contents.glyph.contents
        bitmap = slot.bitmap
        if bitmap.rows == 0 or bitmap.width == 0:
            return np.zeros((0, 0), dtype=np.uint8), 0, 0
        assert bitmap.pixel_mode == freetype.FT_PIXEL_MODE_GRAY and bitmap.pitch > 0
        raw = ctypes.string_at(bitmap.buffer, bitmap.rows * bitmap.pitch)
        cover = np.frombuffer(raw, dtype=np.uint8).reshape(bitmap.rows, bitmap.pitch)[:, : bitmap.width]
        return cover, slot.bitmap_left, slot.bitmap_top


@functools.lru_cache(maxsize=1)
def rasteriser() -> Rasteriser:
    """The reference rasteriser, on the FreeType release Pillow renders with."""
    major, minor, patch = ([int(p) for p in (features.version("freetype2") or "0").split(".")] + [0, 0])[:3]
    return Rasteriser((major, minor, patch))


def _rasterise(
    placed: Sequence[PlacedRun], shape: Callable[[PlacedRun], list[Glyph]], canvas: tuple[int, int]
) -> np.ndarray:
    """Draw every glyph at its whole-pixel position and merge the coverage with "over" compositing."""
    out = np.zeros(canvas, dtype=np.uint8)
    for item in placed:
        for gid, x, y in shape(item):
            cover, left, top = rasteriser().glyph(str(item.run.font.path), item.size, gid, LOAD_FLAGS)
            _over_into(out, cover, item.baseline - _pixel(y) - top, _pixel(x) + left)
    return out


def _over_into(out: np.ndarray, cover: np.ndarray, top: int, left: int) -> None:
    """Composite `cover` onto out[top:, left:] as a + b(1 - a) in 8-bit integers, clipped to the canvas."""
    rows, cols = cover.shape
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + rows, out.shape[0]), min(left + cols, out.shape[1])
    if y1 <= y0 or x1 <= x0:
        return
    src = cover[y0 - top : y1 - top, x0 - left : x1 - left].astype(np.int32)
    dst = out[y0:y1, x0:x1].astype(np.int32)
    tmp = dst * (255 - src) + 128
    merged = np.minimum(src + (((tmp >> 8) + tmp) >> 8), 255)
    out[y0:y1, x0:x1] = np.where(src > 0, np.where(dst > 0, merged, src), dst).astype(np.uint8)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of the ink pixels (coverage >= 128) of two same-size masks."""
    ink_a, ink_b = a >= 128, b >= 128
    union = np.count_nonzero(ink_a | ink_b)
    return 1.0 if union == 0 else np.count_nonzero(ink_a & ink_b) / union


@dataclass(frozen=True)
class Comparison:
    """thaigen's ink against the shaped and the unshaped reference for one line."""

    text: str
    height: int
    shaped: float
    unshaped: float


def compare(font: FontInfo, pool: FontPool, text: str, height: int) -> Comparison | None:
    """Render `text` with thaigen and both references; None when the pool cannot draw it with `font`."""
    runs = split_runs(text, font, pool.fallbacks_for(font))
    if runs is None:
        return None
    ink, placed = draw_ink(runs, STYLE, height)
    shaped = _rasterise(placed, _shaped, ink.shape)
    unshaped = _rasterise(placed, _unshaped, ink.shape)
    return Comparison(text, height, iou(ink, shaped), iou(ink, unshaped))


def _font(pool: FontPool, name: str) -> FontInfo:
    font = next((f for f in pool.thai if f.path.name == name), None)
    assert font is not None, f"shipped font {name} was left out while scanning (see its warning)"
    return font


@pytest.mark.parametrize("name", SHIPPED)
def test_ink_matches_harfbuzz_reference(pool: FontPool, name: str) -> None:
    """Every stress string, at two heights, matches the HarfBuzz reference at IoU >= MIN_IOU."""
    font = _font(pool, name)
    results = [c for h in HEIGHTS for t in STRESS if (c := compare(font, pool, t, h)) is not None]
    assert results, f"{name} cannot draw any stress string"
    low = [f"{c.text!r}@{c.height}px: {c.shaped:.3f}" for c in results if c.shaped < MIN_IOU]
    versions = f"reference FreeType {rasteriser().version}, Pillow's {features.version('freetype2')}"
    assert not low, f"{name}: IoU below {MIN_IOU} ({versions}): {', '.join(low)}"


@pytest.mark.parametrize("name", SHIPPED)
def test_metric_catches_unshaped_text(pool: FontPool, name: str) -> None:
    """Glyph-by-glyph drawing (no GSUB/GPOS) scores below MIN_IOU for some marked string."""
    font = _font(pool, name)
    results = [c for h in HEIGHTS for t in MARKED if (c := compare(font, pool, t, h)) is not None]
    worst = min(results, key=lambda c: c.unshaped)
    assert worst.unshaped < MIN_IOU, f"{name}: unshaped drawing still scores {worst.unshaped:.3f}"
    assert worst.shaped >= MIN_IOU
