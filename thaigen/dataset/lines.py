"""A finished recognition sample as the converted formats (webdataset, hf, tesstrain) take it: read from a folder
build's samples.jsonl and images, in index order, so every format holds the folder build's exact labels; and one
as they give it back."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from thaigen.dataset import paths, samples

TRAIN = "train"
VAL = "val"


@dataclass(frozen=True)
class LineSample:
    """One text-line sample of a finished build."""

    index: int
    split: str
    """`train` or `val`, as its record says."""
    label: str
    """The label exactly as train.txt / val.txt hold it (NFC)."""
    png: bytes
    record: str
    """Its samples.jsonl line, without the newline."""

    @property
    def key(self) -> str:
        """The sample's name in every converted format: its index, 8 digits (as its image file's stem)."""
        return f"{self.index:08d}"


@dataclass(frozen=True)
class StoredLine:
    """One sample read back from a converted set (for `thaigen report`)."""

    where: Path
    """Where its image is: a file, or a shard member or row (its format's `png` reads it again from there)."""
    index: int
    split: str
    """`train` or `val`."""
    label: str
    png: bytes


def read_line_samples(root: Path) -> Iterator[LineSample]:
    """Every sample of the folder-format rec set in `root` (samples.jsonl + images/), in index order.

    Raises:
        DatasetError: samples.jsonl is missing or malformed.
        OSError: an image is missing.
    """
    for record in samples.read_records(root / paths.SAMPLES):
        index = int(record["index"])
        png = (root / paths.image_relpath(index)).read_bytes()
        line = samples.format_record(record).removesuffix("\n")
        yield LineSample(index, str(record["split"]), str(record["label"]), png, line)
