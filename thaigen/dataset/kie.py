"""Key-information label files of a det set (`page.kie`): PaddleOCR's XFUND-style SER/RE labels.

The only reader and writer of them. `kie_train.txt` and `kie_val.txt` hold one line per page,
`image path<TAB>[{"transcription", "label", "points", "id", "linking"}]`, read by PaddleOCR's SimpleDataSet
(data_dir: the dataset folder) and VQATokenLabelEncode (class_path: `kie_class_list.txt`):

- `label` is lower case, as XFUND writes it: VQATokenLabelEncode upper-cases it for SER, but RE's
  VQAReTokenRelation keeps only links whose ends read exactly "question" and "answer".
- `points`: 4 corners clockwise from the top left (VQATokenLabelEncode takes their bounding box); a line bent
  by the augmentation gets its bounding rectangle.
- `id`: unique within the page, 0, 1, ... over the boxes written; `linking`: [[question id, answer id]], listed
  on both boxes of a pair, as XFUND does (RE sorts each pair and drops duplicates).

A line the det labels mark `###` (illegible, cut, small) is left out, with its links: it has no text to read.
A question left with no answer (its value did not fit, or is `###`) is written as "other": every question
of a KIE file has its answer linked. (XFUND itself keeps such questions; here they would only be blank fields.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from thaigen.dataset.detection import DetBox, Point
from thaigen.dataset.labels import format_line, read_labels
from thaigen.errors import DatasetError

TRAIN_LABELS = "kie_train.txt"
VAL_LABELS = "kie_val.txt"
CLASS_LIST = "kie_class_list.txt"
LABELS = ("other", "question", "answer", "header")
"""Every label, in PaddleOCR's class-list order (its xfund_class_list.txt, upper-cased there)."""


@dataclass(frozen=True)
class KieBox:
    """One text line of a page as SER/RE reads it."""

    transcription: str
    label: str
    points: tuple[Point, ...]
    id: int
    linking: tuple[tuple[int, int], ...]
    """(question id, answer id) of each pair this box belongs to."""


def kie_boxes(lines: Sequence[tuple[DetBox, str]], links: Sequence[Sequence[int]]) -> list[KieBox]:
    """The KIE boxes of a page from its lines' (det box, label) and its (question, answer) links by line number.

    Raises:
        DatasetError: a label is not one of LABELS, or a link names no line of the page.
    """
    ids: dict[int, int] = {}
    for number, (box, label) in enumerate(lines):
        if label not in LABELS:
            raise DatasetError(f"KIE label '{label}' is none of {', '.join(LABELS)}")
        if not box.ignored:
            ids[number] = len(ids)
    if any(not 0 <= n < len(lines) for link in links for n in link):
        raise DatasetError(f"a KIE link names a line outside the page's {len(lines)}: {[list(k) for k in links]}")
    pairs = [(ids[q], ids[a]) for q, a in links if q in ids and a in ids]
    boxes = []
    for number, (box, label) in enumerate(lines):
        if number in ids:
            linking = tuple(p for p in pairs if ids[number] in p)
            answered = label != "question" or linking
            boxes.append(
                KieBox(box.transcription, label if answered else "other", _corners(box.points), ids[number], linking)
            )
    return boxes


def _corners(points: tuple[Point, ...]) -> tuple[Point, ...]:
    """A quad as it is; a longer polygon's bounding rectangle, clockwise from the top left."""
    if len(points) == 4:
        return points
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys)), (max(xs), min(ys)), (max(xs), max(ys)), (min(xs), max(ys))


def format_kie_line(path: str, boxes: Sequence[KieBox]) -> str:
    """One KIE label line, "\\n" included: compact JSON, UTF-8 kept."""
    field = json.dumps(
        [
            {"transcription": b.transcription, "label": b.label, "points": [list(p) for p in b.points], "id": b.id,
             "linking": [list(p) for p in b.linking]}
            for b in boxes
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )  # fmt: skip
    return format_line(path, field)


def class_list() -> str:
    """The class-list file's text (VQATokenLabelEncode's class_path): LABELS upper-cased, one a line."""
    return "".join(f"{label.upper()}\n" for label in LABELS)


def _box(item: object, where: str) -> KieBox:
    fields = ("transcription", "label", "points", "id", "linking")
    if not isinstance(item, dict) or any(key not in item for key in fields):
        raise DatasetError(f"{where}: each KIE box needs {', '.join(fields)}")
    try:
        return KieBox(
            str(item["transcription"]), str(item["label"]), tuple((int(x), int(y)) for x, y in item["points"]),
            int(item["id"]), tuple((int(q), int(a)) for q, a in item["linking"]),
        )  # fmt: skip
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"{where}: malformed KIE box {item!r} ({exc})") from None


def read_kie_labels(file: Path) -> Iterator[tuple[str, tuple[KieBox, ...]]]:
    """(image path, boxes) of every page of a KIE label file, in order.

    Raises:
        DatasetError: the file is missing, or a line is unusable or malformed (naming it).
    """
    for line in read_labels(file):
        assert line.label is not None
        try:
            raw = json.loads(line.label)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{line.where}: KIE boxes are not JSON ({exc})") from None
        if not isinstance(raw, list):
            raise DatasetError(f"{line.where}: KIE boxes must be a JSON list")
        yield line.path, tuple(_box(item, line.where) for item in raw)
