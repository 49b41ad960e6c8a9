"""Merge finished chunks into PaddleOCR label files, the dictionary, per-sample records and the manifest."""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import features

from thaigen.config.schema import GenConfig
from thaigen.dataset import labels, paths, samples
from thaigen.dataset.atomic import atomic_bytes, atomic_text
from thaigen.dataset.dictionary import read_dictionary, write_dictionary
from thaigen.pipeline.sample import DRAWING_FORMAT
from thaigen.text.sources import ctc_steps
from thaigen.typeset.families import characters_by_font_class
from thaigen.typeset.fonts import FontPool

PACKAGES = ("thaigen", "pillow", "numpy", "fonttools", "albumentations", "opencv-python-headless", "pythainlp", "geothai")
"""Packages whose versions the manifest records."""


@dataclass
class Stats:
    """Counts gathered while merging, for the manifest."""

    splits: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    fonts: Counter[str] = field(default_factory=Counter)
    presets: Counter[str] = field(default_factory=Counter)
    backgrounds: Counter[str] = field(default_factory=Counter)
    furniture: Counter[str] = field(default_factory=Counter)
    crops: Counter[str] = field(default_factory=Counter)
    characters: Counter[str] = field(default_factory=Counter)
    longest_label: int = 0
    most_ctc_steps: int = 0

    def add(self, record: dict[str, object]) -> None:
        """Count one sample record."""
        label = str(record["label"])
        self.splits[str(record["split"])] += 1
        self.categories[str(record["category"])] += 1
        self.presets[str(record["preset"])] += 1
        self.backgrounds[str(record["background"])] += 1
        self.furniture.update(str(kind) for kind in record["furniture"])  # type: ignore[attr-defined]
        self.crops[str(record["crop"])] += 1
        for run in record["runs"]:  # type: ignore[attr-defined]
            self.fonts[run["font"]] += len(run["text"])
        self.characters.update(label)
        self.longest_label = max(self.longest_label, len(label))
        self.most_ctc_steps = max(self.most_ctc_steps, ctc_steps(label))


def read_chunks(out: Path, starts: Iterable[int]) -> Iterator[dict[str, Any]]:
    """Stream sample records from the chunk files, in index order."""
    for start in starts:
        yield from samples.read_records(paths.part_path(out, start))


def dictionary(characters: Counter[str]) -> list[str]:
    """Every character used except space (PaddleOCR adds it with use_space_char), by code point."""
    return sorted(ch for ch in characters if ch != " ")


def write_outputs(out: Path, records: Iterable[dict[str, Any]], target_dict: Path | None = None) -> Stats:
    """Write train.txt, val.txt, samples.jsonl and dict.txt from sample records in index order (streaming);
    dict.txt is `target_dict` when given, else every character used."""
    stats = Stats()
    with (
        atomic_text(out / paths.TRAIN_LABELS) as train,
        atomic_text(out / paths.VAL_LABELS) as val,
        atomic_text(out / paths.SAMPLES) as jsonl,
    ):
        for record in records:
            stats.add(record)
            target = val if record["split"] == "val" else train
            target.write(labels.format_line(paths.image_relpath(int(record["index"])), str(record["label"])))
            jsonl.write(samples.format_record(record))
    if target_dict is None:
        write_dictionary(out / paths.DICT, dictionary(stats.characters))
    else:
        atomic_bytes(out / paths.DICT, target_dict.read_bytes())  # the target dict unchanged: the model's classes
    return stats


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


PROVENANCE = ("drawing_format", "versions", "fonts")
"""Manifest keys that describe the machine's software and fonts rather than the samples (shards must agree)."""


def provenance(pool: FontPool) -> dict[str, Any]:
    """The manifest's `drawing_format`, `versions` and `fonts`: how and with what this machine draws."""
    return {
        "drawing_format": DRAWING_FORMAT,
        "versions": {p: _version(p) for p in PACKAGES}
        | {"raqm": features.version("raqm"), "harfbuzz": features.version("harfbuzz")},
        "fonts": [
            {"file": f.path.name, "name": f.name, "role": role, "sha256": f.sha256}
            for role, group in (("thai", pool.thai), ("fallback", pool.fallbacks))
            for f in group
        ],
    }


def describe(config: GenConfig, origin: Mapping[str, Any], stats: Stats) -> dict[str, Any]:
    """The manifest as a JSON-ready mapping (no clock time or host facts: equal builds, equal bytes).

    Args:
        origin: `provenance(pool)` of the machine(s) that drew the samples.
    """
    return {
        "format": "paddleocr-rec",
        "drawing_format": origin["drawing_format"],
        "config": config.model_dump(mode="json"),
        "config_digest": config.digest(),
        "seed": config.seed,
        "versions": origin["versions"],
        "fonts": origin["fonts"],
        "counts": {
            "samples": sum(stats.splits.values()),
            "train": stats.splits["train"],
            "val": stats.splits["val"],
            "by_category": dict(sorted(stats.categories.items())),
            "by_preset": dict(sorted(stats.presets.items())),
            "by_background": dict(sorted(stats.backgrounds.items())),
            "by_furniture": dict(sorted(stats.furniture.items())),
            "by_crop": dict(sorted(stats.crops.items())),
            "characters_by_font": dict(sorted(stats.fonts.items())),
            "by_font_class": characters_by_font_class(stats.fonts),
        },
        "paddleocr": {
            "label_files": ["train.txt", "val.txt"],
            "character_dict_path": "dict.txt",
            "dict_size": len(read_dictionary(config.dictionary) if config.dictionary else dictionary(stats.characters)),
            "use_space_char": " " in stats.characters,
            "max_text_length": config.max_text_length,
            "ctc_time_steps": config.ctc_time_steps,
            "image_height": config.render.height,
        }
        | (
            {"target_dictionary_sha256": hashlib.sha256(config.dictionary.read_bytes()).hexdigest()}
            if config.dictionary
            else {}
        ),
        "longest_label_code_points": stats.longest_label,
        "most_ctc_steps": stats.most_ctc_steps,
        "character_histogram": dict(sorted(stats.characters.items())),
    }
