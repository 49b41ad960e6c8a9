"""Merge finished chunks into PaddleOCR label files, the dictionary and per-sample metadata."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from thaigen.dataset import paths
from thaigen.dataset.atomic import atomic_text
from thaigen.text.sources import ctc_steps


@dataclass
class Stats:
    """Counts gathered while merging, for the manifest."""

    splits: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    fonts: Counter[str] = field(default_factory=Counter)
    presets: Counter[str] = field(default_factory=Counter)
    backgrounds: Counter[str] = field(default_factory=Counter)
    furniture: Counter[str] = field(default_factory=Counter)
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
        for run in record["runs"]:  # type: ignore[attr-defined]
            self.fonts[run["font"]] += len(run["text"])
        self.characters.update(label)
        self.longest_label = max(self.longest_label, len(label))
        self.most_ctc_steps = max(self.most_ctc_steps, ctc_steps(label))


def read_records(out: Path, starts: Iterable[int]) -> Iterable[dict[str, object]]:
    """Stream sample records from the chunk files, in index order."""
    for start in starts:
        with paths.part_path(out, start).open(encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)


def dictionary(characters: Counter[str]) -> list[str]:
    """Every character used except space (PaddleOCR adds it with use_space_char), by code point."""
    return sorted(ch for ch in characters if ch != " ")


def write_outputs(out: Path, starts: Iterable[int]) -> Stats:
    """Write train.txt, val.txt, samples.jsonl and dict.txt from the chunk files (streaming)."""
    stats = Stats()
    with (
        atomic_text(out / paths.TRAIN_LABELS) as train,
        atomic_text(out / paths.VAL_LABELS) as val,
        atomic_text(out / paths.SAMPLES) as samples,
    ):
        for record in read_records(out, starts):
            stats.add(record)
            target = val if record["split"] == "val" else train
            target.write(f"{paths.image_relpath(int(record['index']))}\t{record['label']}\n")  # type: ignore[call-overload]
            samples.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    with atomic_text(out / paths.DICT) as handle:
        handle.writelines(f"{ch}\n" for ch in dictionary(stats.characters))
    return stats
