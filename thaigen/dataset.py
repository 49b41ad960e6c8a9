"""The on-disk layout of a thaigen recognition dataset (what PaddleOCR's SimpleDataSet reads)."""

from pathlib import Path

TRAIN_LABELS = "train.txt"
VAL_LABELS = "val.txt"
DICT = "dict.txt"
MANIFEST = "manifest.json"
SAMPLES = "samples.jsonl"
STATE = "build.json"
PARTS = ".parts"
IMAGES = "images"
IMAGES_PER_FOLDER = 1000


def image_relpath(index: int) -> str:
    """Relative path of sample `index`'s image, as written in the label files."""
    return f"{IMAGES}/{index // IMAGES_PER_FOLDER:05d}/{index:08d}.png"


def part_path(out: Path, start: int) -> Path:
    """Record file of the chunk that starts at `start` (present only once the chunk is complete)."""
    return out / PARTS / f"{start:09d}.jsonl"
