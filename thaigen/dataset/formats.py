"""The converted storages' folders (`build --format webdataset|hf|tesstrain`), recognised for lint and report:
what each is, and its labels and images read back from it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from thaigen.dataset import hf, tesstrain, webdataset
from thaigen.dataset.lines import StoredLine


@dataclass(frozen=True)
class LineFormat:
    """One converted storage of recognition sets."""

    name: str
    """Its `build --format` value."""
    what: str
    """What its folder holds, for messages."""
    holds: Callable[[Path], bool]
    """Whether a folder is a set in this format."""
    labels: Callable[[Path], Iterator[tuple[Path, str]]]
    """(where, label) of every sample, in order."""
    lines: Callable[[Path], Iterator[StoredLine]]
    """Every sample with its image, in order."""
    png: Callable[[Path], bytes]
    """The image of one sample, from the `where` that `lines` gave it."""


FORMATS = (
    LineFormat(
        webdataset.FORMAT,
        "WebDataset tar shards: train-NNNNNN.tar, val-NNNNNN.tar",
        webdataset.is_webdataset,
        webdataset.read_webdataset_labels,
        webdataset.read_webdataset_lines,
        webdataset.read_webdataset_png,
    ),
    LineFormat(
        hf.FORMAT,
        "Hugging Face datasets Parquet shards: data/train-*.parquet, data/validation-*.parquet",
        hf.is_hf,
        hf.read_hf_labels,
        hf.read_hf_lines,
        hf.read_hf_png,
    ),
    LineFormat(
        tesstrain.FORMAT,
        "tesstrain line ground truth: train/ and val/ of KEY.png + KEY.gt.txt",
        tesstrain.is_tesstrain,
        tesstrain.read_tesstrain_labels,
        tesstrain.read_tesstrain_lines,
        tesstrain.read_tesstrain_png,
    ),
)


def line_format(target: Path) -> LineFormat | None:
    """The converted storage `target` is a set in (None: none of them)."""
    return next((f for f in FORMATS if target.is_dir() and f.holds(target)), None)
