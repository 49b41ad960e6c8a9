"""Recognition label files (`train.txt`, `val.txt`): `image path<TAB>label`, one sample per line.

The only reader and writer of them. Lines are read exactly as PaddleOCR's SimpleDataSet reads them:
the file is split on b"\\n" only (never on \\r, U+2028, U+0085 or other Unicode line breaks), each line
is decoded as UTF-8, stripped of "\\n", split on every TAB, and the label is the text between the first
and the second TAB. A line PaddleOCR cannot use (no TAB, not UTF-8) comes back with `label=None`:
PaddleOCR then trains on a random other sample instead, which `thaigen lint` reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from thaigen.errors import DatasetError

DELIMITER = "\t"
"""PaddleOCR's default `delimiter` for SimpleDataSet."""


@dataclass(frozen=True)
class LabelLine:
    """One physical line of a label file, as PaddleOCR sees it."""

    file: Path
    number: int
    """1-based line number."""
    text: str
    """The decoded line without its "\\n" (U+FFFD where it is not UTF-8)."""
    path: str
    """Image path as written (relative to the data folder), BOM and all."""
    label: str | None
    """What PaddleOCR trains on; None when it cannot use the line and substitutes a random sample."""
    ignored: str | None = None
    """Text after a second TAB, which PaddleOCR ignores."""
    problem: str | None = None
    """Why `label` is None."""

    @property
    def where(self) -> str:
        """`file:line`, for messages."""
        return f"{self.file}:{self.number}"


def _parse(file: Path, number: int, raw: bytes) -> LabelLine:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        return LabelLine(file, number, text, text.split(DELIMITER)[0], None, problem="not UTF-8")
    parts = text.strip("\n").split(DELIMITER)
    if len(parts) < 2:
        problem = "empty line" if not text else "no TAB between image path and label"
        return LabelLine(file, number, text, parts[0], None, problem=problem)
    ignored = DELIMITER.join(parts[2:]) if len(parts) > 2 else None
    return LabelLine(file, number, text, parts[0], parts[1], ignored)


def read_label_lines(file: Path) -> Iterator[LabelLine]:
    """Every line of a label file, in order, streamed.

    Raises:
        DatasetError: the file is missing or unreadable.
    """
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise DatasetError(f"label file not found: {file}") from None
    except OSError as exc:
        raise DatasetError(f"cannot read label file {file}: {exc.strerror}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            yield _parse(file, number, raw.removesuffix(b"\n"))


def read_labels(file: Path) -> Iterator[LabelLine]:
    """The lines PaddleOCR can use, in order; any other line is an error naming it.

    Raises:
        DatasetError: a line PaddleOCR cannot use (run `thaigen lint` for every problem at once).
    """
    for line in read_label_lines(file):
        if line.label is None:
            raise DatasetError(f"{line.where}: {line.problem} (thaigen lint {file} lists every problem)")
        yield line


def count_lines(file: Path) -> int:
    """How many samples PaddleOCR counts in a label file (every line, usable or not)."""
    return sum(1 for _ in read_label_lines(file))


def format_line(path: str, label: str) -> str:
    """One label line, "\\n" included.

    Raises:
        ValueError: a TAB or line break in the path or label would change how PaddleOCR splits it (a bug).
    """
    for name, value in (("image path", path), ("label", label)):
        if DELIMITER in value or "\n" in value or "\r" in value:
            raise ValueError(f"{name} {value!r} holds a TAB or line break")
    return f"{path}{DELIMITER}{label}\n"
