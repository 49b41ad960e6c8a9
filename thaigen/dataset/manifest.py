"""manifest.json: what made a dataset (config, seed, versions, fonts) and what is in it."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path
from typing import Any

from PIL import features

from thaigen.config.schema import GenConfig
from thaigen.dataset.atomic import atomic_text
from thaigen.pipeline.merge import Stats, dictionary
from thaigen.typeset.fonts import FontPool

PACKAGES = ("thaigen", "pillow", "numpy", "fonttools", "albumentations", "opencv-python-headless", "pythainlp")


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def describe(config: GenConfig, pool: FontPool, stats: Stats) -> dict[str, Any]:
    """The manifest as a JSON-ready mapping (no clock time or host facts: equal builds, equal bytes)."""
    return {
        "format": "paddleocr-rec",
        "config": config.model_dump(mode="json"),
        "config_digest": config.digest(),
        "seed": config.seed,
        "versions": {p: _version(p) for p in PACKAGES}
        | {"raqm": features.version("raqm"), "harfbuzz": features.version("harfbuzz")},
        "fonts": [
            {"file": f.path.name, "name": f.name, "role": role, "sha256": f.sha256}
            for role, group in (("thai", pool.thai), ("fallback", pool.fallbacks))
            for f in group
        ],
        "counts": {
            "samples": sum(stats.splits.values()),
            "train": stats.splits["train"],
            "val": stats.splits["val"],
            "by_category": dict(sorted(stats.categories.items())),
            "by_preset": dict(sorted(stats.presets.items())),
            "by_background": dict(sorted(stats.backgrounds.items())),
            "by_furniture": dict(sorted(stats.furniture.items())),
            "characters_by_font": dict(sorted(stats.fonts.items())),
        },
        "paddleocr": {
            "label_files": ["train.txt", "val.txt"],
            "character_dict_path": "dict.txt",
            "dict_size": len(dictionary(stats.characters)),
            "use_space_char": " " in stats.characters,
            "max_text_length": config.max_text_length,
            "ctc_time_steps": config.ctc_time_steps,
            "image_height": config.render.height,
        },
        "longest_label_code_points": stats.longest_label,
        "most_ctc_steps": stats.most_ctc_steps,
        "character_histogram": dict(sorted(stats.characters.items())),
    }


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest atomically, sorted and indented."""
    with atomic_text(path) as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=2, sort_keys=True)
        handle.write("\n")


def read_manifest(path: Path) -> dict[str, Any]:
    """Read a manifest written by write_manifest."""
    return dict(json.loads(path.read_text(encoding="utf-8")))
