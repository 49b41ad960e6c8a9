"""manifest.json: what made a dataset and what is in it (written by the build, read by every command)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from thaigen.dataset.atomic import atomic_text
from thaigen.errors import DatasetError


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
