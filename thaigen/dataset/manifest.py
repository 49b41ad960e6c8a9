"""manifest.json: what made a dataset and what is in it (written by the build, read by every command)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from thaigen.dataset.atomic import atomic_text
from thaigen.errors import DatasetError
from thaigen.resources import data_dir
from thaigen.typeset.families import OTHER, family_of

FALLBACK = "fallback"
"""The class counted for shipped fallback fonts (Noto Sans: Latin and digits beside a Thai face)."""


def characters_by_font_class(characters_by_font: Mapping[str, int]) -> dict[str, int]:
    """Characters drawn per font class (fonts/README.md), from `counts.characters_by_font` (file name ->
    characters); a font in several classes counts in each, one outside the table as `other`."""
    shipped = {p.name: p for p in data_dir("fonts").rglob("*.[ot]tf")}
    counts: Counter[str] = Counter()
    for name, characters in characters_by_font.items():
        row = family_of(shipped[name]) if name in shipped else None
        for font_class in (row.classes or (FALLBACK,)) if row is not None else (OTHER,):
            counts[font_class] += characters
    return dict(sorted(counts.items()))


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest atomically, sorted and indented."""
    with atomic_text(path) as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=2, sort_keys=True)
        handle.write("\n")


def read_manifest(path: Path) -> dict[str, Any]:
    """Read a manifest written by write_manifest.

    Raises:
        DatasetError: the file is missing or not a JSON object.
    """
    try:
        manifest = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise DatasetError(f"manifest not found: {path}") from None
    except (OSError, ValueError) as exc:
        raise DatasetError(f"cannot read manifest {path}: {exc}") from None
    if not isinstance(manifest, dict):
        raise DatasetError(f"manifest {path} is not a JSON object")
    return manifest
