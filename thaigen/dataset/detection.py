"""Detection label files (`train.txt`, `val.txt` of a det set): `image path<TAB>[{"transcription", "points"}]`.

The only reader and writer of them. PaddleOCR's detection SimpleDataSet splits each line on the first
TAB-separated fields like the recognition reader (thaigen.dataset.labels), then DetLabelEncode parses
the second field with `json.loads`, keeps every box's `points` and marks `###` and `*` boxes as ignored.
Points are written as integer pixels, clockwise from the text's top-left corner.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from thaigen.dataset.labels import LabelLine, format_line, read_label_lines, read_labels
from thaigen.errors import DatasetError

IGNORE = "###"
"""Transcription of a region the detector should neither learn nor be scored on (DetLabelEncode ignores it)."""
IGNORED_TRANSCRIPTIONS = frozenset({IGNORE, "*"})
"""Every transcription DetLabelEncode marks as ignored."""

Point = tuple[int, int]


@dataclass(frozen=True)
class DetBox:
    """One text region: its transcription (`###` when ignored) and its polygon, image pixels."""

    transcription: str
    points: tuple[Point, ...]

    @property
    def ignored(self) -> bool:
        """Whether PaddleOCR's DetLabelEncode ignores this box."""
        return self.transcription in IGNORED_TRANSCRIPTIONS


@dataclass(frozen=True)
class DetPage:
    """One line of a det label file: an image and its boxes."""

    path: str
    boxes: tuple[DetBox, ...]
    where: str
    """`file:line`, for messages."""


def format_boxes(boxes: Sequence[DetBox]) -> str:
    """The JSON field of a det label line: compact, UTF-8 kept, no TAB or line break possible."""
    return json.dumps(
        [{"transcription": b.transcription, "points": [list(p) for p in b.points]} for b in boxes],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def format_det_line(path: str, boxes: Sequence[DetBox]) -> str:
    """One det label line, "\\n" included."""
    return format_line(path, format_boxes(boxes))


def _point(raw: object, where: str) -> Point:
    if (
        not isinstance(raw, list)
        or len(raw) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw)
    ):
        raise DatasetError(f"{where}: a point must be [x, y] numbers, got {raw!r}")
    return (round(raw[0]), round(raw[1]))


def parse_boxes(field: str, where: str) -> tuple[DetBox, ...]:
    """The boxes of one det label line's JSON field.

    Raises:
        DatasetError: not JSON, not a list of {"transcription": str, "points": [[x, y] x >= 3]} (naming the line).
    """
    try:
        raw = json.loads(field)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}: boxes are not JSON ({exc})") from None
    if not isinstance(raw, list):
        raise DatasetError(f"{where}: boxes must be a JSON list")
    boxes = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("transcription"), str) or "points" not in item:
            raise DatasetError(f"{where}: each box needs a string 'transcription' and 'points'")
        points = item["points"]
        if not isinstance(points, list) or len(points) < 3:
            raise DatasetError(f"{where}: a box needs at least 3 points, got {points!r}")
        boxes.append(DetBox(item["transcription"], tuple(_point(p, where) for p in points)))
    return tuple(boxes)


def det_page(line: LabelLine) -> DetPage:
    """A usable label line read as a det page.

    Raises:
        DatasetError: its boxes field is malformed.
    """
    assert line.label is not None
    return DetPage(line.path, parse_boxes(line.label, line.where), line.where)


def read_det_labels(file: Path) -> Iterator[DetPage]:
    """Every page of a det label file, in order.

    Raises:
        DatasetError: the file is missing, or a line is unusable or malformed (naming it).
    """
    for line in read_labels(file):
        yield det_page(line)


def is_det_set(files: Sequence[Path]) -> bool:
    """Whether label files hold det boxes (the first usable line's label is a JSON list), not rec labels."""
    for file in files:
        for line in read_label_lines(file):
            if line.label is not None:
                return line.label.startswith("[")
    return False
