"""Recognition sets as tesstrain's line ground truth (`build --format tesstrain`).

`DIR/train/` and `DIR/val/` each hold what tesstrain's `data/MODEL-ground-truth/` holds: per sample `KEY.png`
(the line image) and `KEY.gt.txt` (the label, UTF-8, NFC, one line, ending in a newline as tesstrain's own files
do), KEY the 8-digit sample index. Point tesstrain's GROUND_TRUTH_DIR at `DIR/train` (it makes the `.box` and
`.lstmf` files itself and holds out its own eval lines); `DIR/val` is left for a final check with lstmeval.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from thaigen.dataset.lines import TRAIN, VAL, LineSample, StoredLine
from thaigen.errors import DatasetError

FORMAT = "tesstrain"
GT_SUFFIX = ".gt.txt"


def is_tesstrain(root: Path) -> bool:
    """Whether `root` holds tesstrain ground truth written by `write_tesstrain`."""
    return any(next((root / split).glob(f"*{GT_SUFFIX}"), None) for split in (TRAIN, VAL) if (root / split).is_dir())


def write_tesstrain(out: Path, samples: Iterable[LineSample]) -> dict[str, Any]:
    """Write `samples` as `out/train/` and `out/val/` ground-truth folders, replacing any there; returns the
    manifest's `storage` section (format, lines per folder)."""
    counts = dict.fromkeys((TRAIN, VAL), 0)
    for split in counts:
        shutil.rmtree(out / split, ignore_errors=True)  # an earlier finish that was interrupted
        (out / split).mkdir(parents=True)
    for sample in samples:
        folder = out / sample.split
        (folder / f"{sample.key}.png").write_bytes(sample.png)
        (folder / f"{sample.key}{GT_SUFFIX}").write_bytes(f"{sample.label}\n".encode())
        counts[sample.split] += 1
    return {"format": FORMAT, "lines": counts}


def read_tesstrain_labels(root: Path) -> Iterator[tuple[Path, str]]:
    """(KEY.gt.txt, label) for every line of `root`'s train/ then val/ ground truth, in key order.

    Raises:
        DatasetError: a ground-truth file is not UTF-8 or not one line.
    """
    for split in (TRAIN, VAL):
        for path in sorted((root / split).glob(f"*{GT_SUFFIX}")) if (root / split).is_dir() else ():
            try:
                text = path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                raise DatasetError(f"{path}: not UTF-8") from None
            label = text.removesuffix("\n")
            if "\n" in label:
                raise DatasetError(f"{path}: more than one line (tesstrain takes one line per image)")
            yield path, label


def read_tesstrain_lines(root: Path) -> Iterator[StoredLine]:
    """Every line of `root`'s train/ then val/ ground truth, in key order (`where`: its KEY.png).

    Raises:
        DatasetError: as `read_tesstrain_labels`, or a ground-truth file without its image.
    """
    for truth, label in read_tesstrain_labels(root):
        key = truth.name.removesuffix(GT_SUFFIX)
        image = truth.with_name(f"{key}.png")
        try:
            png = image.read_bytes()
        except OSError:
            raise DatasetError(f"{truth}: its image {image.name} cannot be read") from None
        yield StoredLine(image, int(key), truth.parent.name, label, png)


def read_tesstrain_png(where: Path) -> bytes:
    """The line image at `where` (a KEY.png)."""
    return where.read_bytes()
