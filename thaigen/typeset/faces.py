"""Pillow font objects that draw every line: raqm (HarfBuzz) layout, TrueType hinting switched off.

Hinting (the font's TrueType bytecode, run by FreeType for every glyph it loads) fits outlines to a
screen's pixel grid. It was three quarters of a line's rasterising time and is no part of print, scans or
photos, so thaigen draws unhinted outlines: each TrueType font is loaded from a copy whose CVT program
(``prep``) only sets INSTCTRL's "inhibit instructions" bit, which FreeType honours by loading every glyph
as with FT_LOAD_NO_HINTING (and, the program being present, without its auto-hinter). Nothing else in the
font changes: cmap, GSUB/GPOS, metrics and outlines are the file's own bytes. CFF-outline fonts (no
TrueType bytecode) are loaded as they are.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables import ttProgram
from PIL import ImageFont

INHIBIT_INSTRUCTIONS = ("PUSHB[ ]", "1 1", "INSTCTRL[ ]")
"""CVT program that sets instruction control selector 1 (inhibit grid-fitting) to on."""


@functools.lru_cache(maxsize=64)
def unhinted_bytes(path: Path) -> bytes:
    """The font file's bytes with its TrueType instructions inhibited (unchanged for CFF-outline fonts).

    Only the ``prep`` table (and the table directory's checksums) differ from the file: the other tables
    are copied as raw bytes, never decompiled.
    """
    with TTFont(path, lazy=True, recalcBBoxes=False, recalcTimestamp=False, fontNumber=0) as font:
        if "glyf" not in font:
            return path.read_bytes()
        program = ttProgram.Program()
        program.fromAssembly(list(INHIBIT_INSTRUCTIONS))
        prep = newTable("prep")
        prep.program = program
        font["prep"] = prep
        out = io.BytesIO()
        font.save(out, reorderTables=False)
        return out.getvalue()


@functools.lru_cache(maxsize=1024)
def pil_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """The unhinted font at `size` px per em, with the raqm layout engine, cached per process."""
    return ImageFont.truetype(io.BytesIO(unhinted_bytes(Path(path))), size, layout_engine=ImageFont.Layout.RAQM)
