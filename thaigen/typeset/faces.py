"""Pillow font objects that draw every line: raqm (HarfBuzz) layout, TrueType hinting switched off.

Hinting (the font's TrueType bytecode, run by FreeType for every glyph it loads) fits outlines to a
screen's pixel grid. It was 55-87 % of a glyph's rasterising time (shipped fonts) and is no part of print,
scans or photos, so thaigen draws unhinted outlines: each TrueType font is loaded from a copy whose CVT program
(``prep``) only sets INSTCTRL's "inhibit instructions" bit, which FreeType honours by loading every glyph
as with FT_LOAD_NO_HINTING (and, a font program being present, without its auto-hinter: a font shipped
without instructions gets a no-op one). Nothing else in the
font changes: cmap, GSUB/GPOS, metrics and outlines are the file's own bytes. CFF-outline fonts (no
TrueType bytecode) are loaded as they are. The copies are kept in thaigen's cache by the font's sha256 and
this code (making one takes 5 ms; loading it by name lets FreeType map it rather than copy it per size).
"""

from __future__ import annotations

import functools
import hashlib
import io
from pathlib import Path

import fontTools
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables import ttProgram
from PIL import ImageFont

from thaigen import cache

INHIBIT_INSTRUCTIONS = ("PUSHB[ ]", "1 1", "INSTCTRL[ ]")
"""CVT program that sets instruction control selector 1 (inhibit grid-fitting) to on."""
NO_OP = ("PUSHB[ ]", "0", "POP[ ]")
"""Font program given to a font shipped without instructions (many Google Fonts builds): FreeType 2.14
auto-hints a TrueType font that has no ``fpgm``, whatever its ``prep`` says."""
_PREP_STACK = 2
"""Stack the CVT program needs (such fonts declare 0 in maxp)."""


_VERSION = cache.digest(Path(__file__).read_bytes(), fontTools.version)
"""What an unhinted copy depends on besides the font's bytes."""


def unhinted_bytes(path: Path) -> bytes:
    """The font file's bytes with its TrueType instructions inhibited (unchanged for CFF-outline fonts).

    Only the ``prep`` table (and for a font without instructions a no-op ``fpgm`` and the ``maxp`` stack
    ``prep`` needs) and the table directory's checksums differ from the file: the other tables are copied as
    raw bytes, never decompiled.
    """
    with TTFont(path, lazy=True, recalcBBoxes=False, recalcTimestamp=False, fontNumber=0) as font:
        if "glyf" not in font:
            return path.read_bytes()
        program = ttProgram.Program()
        program.fromAssembly(list(INHIBIT_INSTRUCTIONS))
        prep = newTable("prep")
        prep.program = program
        font["prep"] = prep
        if "fpgm" not in font:
            fpgm = newTable("fpgm")
            fpgm.program = ttProgram.Program()
            fpgm.program.fromAssembly(list(NO_OP))
            font["fpgm"] = fpgm
        maxp = font["maxp"]
        if maxp.maxStackElements < _PREP_STACK or maxp.maxZones < 1:
            maxp.maxStackElements = max(maxp.maxStackElements, _PREP_STACK)
            maxp.maxZones = max(maxp.maxZones, 1)
        out = io.BytesIO()
        font.save(out, reorderTables=False)
        return out.getvalue()


@functools.lru_cache(maxsize=64)
def _unhinted_source(path: Path) -> str | bytes:
    """The cached unhinted copy's file name, or its bytes when the cache cannot hold it."""
    name = f"{hashlib.sha256(path.read_bytes()).hexdigest()}-{_VERSION}{path.suffix.lower()}"
    entry = cache.find("faces", name)
    if entry is None:
        data = unhinted_bytes(path)
        cache.store("faces", name, data)
        entry = cache.find("faces", name)
        if entry is None:
            return data
    return str(entry)


@functools.lru_cache(maxsize=1024)
def pil_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """The unhinted font at `size` px per em, with the raqm layout engine, cached per process."""
    source = _unhinted_source(Path(path))
    readable = source if isinstance(source, str) else io.BytesIO(source)
    return ImageFont.truetype(readable, size, layout_engine=ImageFont.Layout.RAQM)
