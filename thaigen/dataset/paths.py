"""Where things are in a thaigen dataset folder: file names, image paths, chunk records of a build in progress."""

from pathlib import Path

from thaigen.errors import DatasetError

TRAIN_LABELS = "train.txt"
VAL_LABELS = "val.txt"
DICT = "dict.txt"
MANIFEST = "manifest.json"
SAMPLES = "samples.jsonl"
STATE = "build.json"
PARTS = ".parts"
IMAGES = "images"
IMAGES_PER_FOLDER = 1000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".gif", ".webp")
"""File names taken for images, not label files, when one is given where a dataset is expected."""


def image_relpath(index: int) -> str:
    """Relative path of sample `index`'s image, as written in the label files."""
    return f"{IMAGES}/{index // IMAGES_PER_FOLDER:05d}/{index:08d}.png"


def part_path(out: Path, start: int) -> Path:
    """Record file of the chunk that starts at `start` (present only once the chunk is complete)."""
    return out / PARTS / f"{start:09d}.jsonl"


def label_files(target: Path) -> tuple[Path, list[Path]]:
    """(dataset root, label files) for a dataset folder (train.txt, val.txt) or one label file.

    Raises:
        DatasetError: the target or its label files are missing.
    """
    if target.is_file():
        if target.suffix.lower() in IMAGE_SUFFIXES:
            raise DatasetError(f"{target} is an image; give a dataset folder or a label file (image path<TAB>label lines)")
        if target.name == DICT:
            raise DatasetError(f"{target} is a character dictionary; check it with `thaigen lint --dict {target}`")
        return target.parent, [target]
    if not target.is_dir():
        raise DatasetError(f"dataset not found: {target}")
    files = [target / n for n in (TRAIN_LABELS, VAL_LABELS) if (target / n).is_file()]
    if not files and (target / STATE).is_file() and not (target / MANIFEST).is_file():
        raise DatasetError(f"{target} is an unfinished build ({STATE}, no labels yet): finish it with "
                           f"`thaigen build --out {target} --resume` (its options are in {target / STATE})")
    if not files:
        raise DatasetError(f"no {TRAIN_LABELS} or {VAL_LABELS} in {target}")
    return target, files


CROPS = "crops"
"""Sub-folder of a det set holding the recognition set cut from its lines (`build --crops`)."""


def crop_relpath(index: int, line: int) -> str:
    """Path of page `index`'s line `line` crop, relative to the crops folder (as its label files write it)."""
    return f"{IMAGES}/{index // IMAGES_PER_FOLDER:05d}/{index:08d}_{line:03d}.png"
