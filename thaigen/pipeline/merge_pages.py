"""Merge finished chunks of a det build: det label files, page records, the crops' rec set, KIE label files, and
the manifest."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from thaigen.config.schema import GenConfig
from thaigen.dataset import detection, kie, labels, paths, samples
from thaigen.dataset.atomic import atomic_bytes, atomic_text
from thaigen.dataset.dictionary import write_dictionary
from thaigen.dataset.manifest import write_manifest
from thaigen.pipeline.merge import Stats, describe, dictionary

BOX_HEIGHT_BIN_PX = 8
KIE_FILES = {"train": kie.TRAIN_LABELS, "val": kie.VAL_LABELS}
"""Split -> its KIE label file."""


@dataclass
class PageStats:
    """Counts gathered while merging a det build, for the manifest and the report."""

    splits: Counter[str] = field(default_factory=Counter)
    layouts: Counter[str] = field(default_factory=Counter)
    presets: Counter[str] = field(default_factory=Counter)
    backgrounds: Counter[str] = field(default_factory=Counter)
    elements: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)
    lines_per_page: Counter[int] = field(default_factory=Counter)
    box_heights: Counter[int] = field(default_factory=Counter)
    crops: Stats = field(default_factory=Stats)
    lines: int = 0

    def add(self, record: dict[str, Any]) -> None:
        """Count one page record."""
        self.splits[str(record["split"])] += 1
        self.layouts[str(record["layout"])] += 1
        self.presets[str(record["preset"])] += 1
        self.backgrounds[str(record["background"])] += 1
        self.lines_per_page[len(record["lines"])] += 1
        for line in record["lines"]:
            self.lines += 1
            self.elements[str(line["element"])] += 1
            if line["ignore"]:
                self.ignored[str(line["ignore"])] += 1
            ys = [p[1] for p in line["points"]]
            self.box_heights[(max(ys) - min(ys)) // BOX_HEIGHT_BIN_PX * BOX_HEIGHT_BIN_PX] += 1


def _boxes(record: dict[str, Any]) -> list[detection.DetBox]:
    return [
        detection.DetBox(detection.IGNORE if line["ignore"] else line["text"], tuple(tuple(p) for p in line["points"]))
        for line in record["lines"]
    ]


def _kie_boxes(record: dict[str, Any]) -> list[kie.KieBox]:
    return kie.kie_boxes(list(zip(_boxes(record), (line["kie"] for line in record["lines"]))), record["links"])


def _crop_records(record: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    """(crop path, rec-style record) of each cropped line of a page, for the crops' label files and stats."""
    for number, line in enumerate(record["lines"]):
        if "crop" in line:
            yield line["crop"], {
                "index": record["index"], "line": number, "label": line["text"], "split": record["split"],
                "category": line["category"], "preset": record["preset"], "background": record["background"],
                "furniture": [], "runs": line["runs"], "element": line["element"], "crop": "quad",
            }


def write_page_outputs(out: Path, records: Iterable[dict[str, Any]], crops: bool) -> PageStats:
    """Write train.txt, val.txt and samples.jsonl (and crops/ train.txt, val.txt, samples.jsonl, dict.txt) from
    page records in index order, and the KIE label files when the records carry KIE roles (page.kie)."""
    stats = PageStats()
    names = (paths.TRAIN_LABELS, paths.VAL_LABELS, paths.SAMPLES)
    kie_files: dict[str, IO[str]] = {}
    with ExitStack() as stack:
        train, val, jsonl = (stack.enter_context(atomic_text(out / name)) for name in names)
        crop_train, crop_val, crop_records = (
            (stack.enter_context(atomic_text(out / paths.CROPS / name)) for name in names) if crops else (None,) * 3
        )
        for record in records:
            stats.add(record)
            target = val if record["split"] == "val" else train
            target.write(detection.format_det_line(paths.image_relpath(int(record["index"])), _boxes(record)))
            if "links" in record:
                if not kie_files:  # the first page: every record of a build has them or none has
                    kie_files |= {s: stack.enter_context(atomic_text(out / n)) for s, n in KIE_FILES.items()}
                    atomic_bytes(out / kie.CLASS_LIST, kie.class_list().encode("utf-8"))
                kie_files[record["split"]].write(
                    kie.format_kie_line(paths.image_relpath(int(record["index"])), _kie_boxes(record))
                )
            jsonl.write(samples.format_record(record))
            for path, crop in _crop_records(record):
                stats.crops.add(crop)
                (crop_val if crop["split"] == "val" else crop_train).write(labels.format_line(path, crop["label"]))  # type: ignore[union-attr]
                crop_records.write(samples.format_record(crop | {"path": path}))  # type: ignore[union-attr]
    if crops:
        write_dictionary(out / paths.CROPS / paths.DICT, dictionary(stats.crops.characters))
    return stats


def describe_pages(config: GenConfig, origin: Mapping[str, Any], stats: PageStats) -> dict[str, Any]:
    """The det manifest; `origin` is `merge.provenance(pool)` of the machine(s) that drew the pages."""
    base = describe(config, origin, stats.crops)
    manifest = {key: base[key] for key in ("drawing_format", "config", "config_digest", "seed", "versions", "fonts")}
    manifest |= {
        "format": "paddleocr-det",
        "counts": {
            "pages": sum(stats.splits.values()),
            "train": stats.splits["train"],
            "val": stats.splits["val"],
            "lines": stats.lines,
            "ignored": sum(stats.ignored.values()),
            "ignored_by_reason": dict(sorted(stats.ignored.items())),
            "by_layout": dict(sorted(stats.layouts.items())),
            "by_element": dict(sorted(stats.elements.items())),
            "by_preset": dict(sorted(stats.presets.items())),
            "by_background": dict(sorted(stats.backgrounds.items())),
            "lines_per_page": {str(k): v for k, v in sorted(stats.lines_per_page.items())},
            "box_height_px": {f"{k}-{k + BOX_HEIGHT_BIN_PX - 1}": v for k, v in sorted(stats.box_heights.items())},
        },
        "paddleocr": {
            "label_files": [paths.TRAIN_LABELS, paths.VAL_LABELS],
            "ignore_transcription": detection.IGNORE,
            "min_text_size": config.page.min_text_px,
            "long_side_px": list(config.page.long_side),
        }
        | (
            {"kie_label_files": [kie.TRAIN_LABELS, kie.VAL_LABELS], "kie_class_path": kie.CLASS_LIST}
            if config.page.kie
            else {}
        ),
    }
    return manifest


def write_crops_manifest(out: Path, config: GenConfig, origin: Mapping[str, Any], stats: PageStats) -> None:
    """crops/manifest.json: a rec manifest, so that `thaigen lint` and `thaigen train` take crops/ as a rec set."""
    manifest = describe(config, origin, stats.crops) | {"cut_from": "..", "format": "paddleocr-rec"}
    manifest["paddleocr"]["image_height"] = None
    write_manifest(out / paths.CROPS / paths.MANIFEST, manifest)
