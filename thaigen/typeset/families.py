"""The shipped font table: fonts/README.md's family rows (files, set, classes), its one home, read once; counts
by class."""

from __future__ import annotations

import fnmatch
import functools
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from thaigen.errors import FontError
from thaigen.resources import data_dir

TABLE_HEADER = ("family", "files", "faces", "set", "classes", "licence", "source")
"""Columns of the family table in fonts/README.md (the first table with this header)."""
OTHER = "other"
"""The class of every font outside the table (fonts.files, fonts.dirs)."""
FALLBACK = "fallback"
"""The class counted for shipped fallback fonts (Noto Sans: Latin and digits beside a Thai face)."""


@dataclass(frozen=True)
class Family:
    """One row of the table: a family's files (a glob under fonts/), font set and classes."""

    family: str
    files: str
    faces: int
    set: str
    classes: tuple[str, ...]
    licence: str
    source: str

    def matches(self, relative: str) -> bool:
        """True when the file at `relative` (a POSIX path under fonts/) belongs to this family."""
        return fnmatch.fnmatchcase(relative, self.files)


def _cells(line: str) -> list[str]:
    return [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]


@functools.cache
def families() -> tuple[Family, ...]:
    """Every row of fonts/README.md's family table.

    Raises:
        FontError: the README has no such table, or a row is malformed.
    """
    readme = data_dir("fonts") / "README.md"
    lines = readme.read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if tuple(_cells(line)) == TABLE_HEADER), None)
    if start is None:
        raise FontError(f"{readme} has no family table (header: {' | '.join(TABLE_HEADER)})")
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        if len(cells) != len(TABLE_HEADER) or not cells[2].isdigit():
            raise FontError(f"{readme}: malformed family row: {line}")
        family, files, faces, font_set, classes, licence, source = cells
        rows.append(Family(family, files, int(faces), font_set, tuple(c.strip() for c in classes.split(",") if c.strip()),
                           licence, source))
    return tuple(rows)


def family_of(path: Path) -> Family | None:
    """The table row of a shipped font file, None for a font outside fonts/ or the table."""
    root = data_dir("fonts").resolve()
    try:
        relative = path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None
    return next((row for row in families() if row.matches(relative)), None)


def classes_of(path: Path) -> tuple[str, ...]:
    """The font's classes from the table (OTHER for a font outside it)."""
    row = family_of(path)
    return row.classes if row is not None else (OTHER,)


def characters_by_font_class(characters_by_font: Mapping[str, int]) -> dict[str, int]:
    """Characters drawn per font class, from a manifest's `counts.characters_by_font` (file name -> characters);
    a font in several classes counts in each, a fallback as FALLBACK, one outside the table as OTHER."""
    shipped = {p.name: p for p in data_dir("fonts").rglob("*.[ot]tf")}
    counts: Counter[str] = Counter()
    for name, characters in characters_by_font.items():
        row = family_of(shipped[name]) if name in shipped else None
        for font_class in (row.classes or (FALLBACK,)) if row is not None else (OTHER,):
            counts[font_class] += characters
    return dict(sorted(counts.items()))
