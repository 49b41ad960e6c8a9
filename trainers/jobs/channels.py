"""A dataset as SageMaker input channels: one tar per split (a few large S3 objects, not 10k small files)."""

from __future__ import annotations

import tarfile
from pathlib import Path

from thaigen.dataset import lmdb, paths
from thaigen.dataset.labels import read_labels
from thaigen.errors import DatasetError

TRAIN = "train"
VALIDATION = "validation"
CHANNEL_LABELS = {TRAIN: paths.TRAIN_LABELS, VALIDATION: paths.VAL_LABELS}
SHARED_FILES = (paths.DICT, paths.MANIFEST)
"""Files every channel carries besides its label file and images."""


def _images(labels: Path) -> list[str]:
    return [line.path for line in read_labels(labels)]


def pack(dataset_dir: Path, out_dir: Path) -> dict[str, Path]:
    """Write `<channel>.tar` for each channel into `out_dir`; returns channel -> tar path.

    Raises:
        DatasetError: a label file, shared file or listed image is missing.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    tars = {}
    for channel, labels_name in CHANNEL_LABELS.items():
        labels = dataset_dir / labels_name
        members = [labels_name, *SHARED_FILES, *(_images(labels) if labels.is_file() else [])]
        if lmdb.is_lmdb_set(dataset_dir):  # build --format lmdb: the split's LMDB in place of labels and images
            members = [f"{Path(labels_name).stem}/{lmdb.DATA_FILE}", *SHARED_FILES]
        missing = next((name for name in members if not (dataset_dir / name).is_file()), None)
        if missing:
            raise DatasetError(f"cannot pack channel '{channel}': {dataset_dir / missing} not found")
        tars[channel] = out_dir / f"{channel}.tar"
        with tarfile.open(tars[channel], "w") as tar:
            for name in members:
                tar.add(dataset_dir / name, arcname=name, recursive=False)
    return tars


def unpack(channel_dir: Path, work_dir: Path) -> Path:
    """The folder holding a channel's labels: the channel itself, or its tars extracted into `work_dir`.

    Raises:
        DatasetError: the channel holds neither label files nor tars.
    """
    if any((channel_dir / name).is_file() for name in CHANNEL_LABELS.values()) or lmdb.is_lmdb_set(channel_dir):
        return channel_dir
    archives = sorted(channel_dir.glob("*.tar")) if channel_dir.is_dir() else []
    if not archives:
        raise DatasetError(f"channel {channel_dir} has no label file and no .tar")
    work_dir.mkdir(parents=True, exist_ok=True)
    for archive in archives:
        with tarfile.open(archive) as tar:
            tar.extractall(work_dir, filter="data")
    return work_dir
