"""LMDB recognition sets exactly as PaddleOCR's LMDBDataSet reads them (`ppocr/data/lmdb_dataset.py`).

One LMDB per split folder (`DIR/train/`, `DIR/val/`: LMDBDataSet opens every leaf folder under its
`data_dir` as one LMDB). Keys: `num-samples` (decimal), `image-%09d` (the PNG bytes) and `label-%09d`
(UTF-8), numbered from 1 in label-file order; a missing key makes LMDBDataSet train on a random other
sample, so the numbering never starts at 0 (text_renderer's writer does, and loses a sample).
Writes go in bounded transactions (TXN_SAMPLES samples or TXN_BYTES bytes), the map grows as needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from thaigen.errors import DatasetError, EnvironmentProblem

TRAIN = "train"
VAL = "val"
SPLITS = (TRAIN, VAL)
"""Split name -> the LMDB folder of that name inside the dataset folder."""
DATA_FILE = "data.mdb"
TXN_SAMPLES = 1000
"""At most this many samples per write transaction."""
TXN_BYTES = 64 << 20
"""At most about this many image bytes per write transaction."""
MAP_SIZE = 1 << 30
"""Initial map size (bytes); doubled whenever a transaction does not fit."""


def _lmdb() -> Any:
    try:
        import lmdb
    except ImportError:
        raise EnvironmentProblem(
            "LMDB sets (build --format lmdb, and reading them) need the lmdb package: pip install -e '.[train]' (or pip install lmdb)"
        ) from None
    return lmdb


def image_key(number: int) -> bytes:
    """Key of the 1-based `number`-th image."""
    return b"image-%09d" % number


def label_key(number: int) -> bytes:
    """Key of the 1-based `number`-th label."""
    return b"label-%09d" % number


def is_lmdb(folder: Path) -> bool:
    """Whether `folder` is one LMDB (holds data.mdb)."""
    return (folder / DATA_FILE).is_file()


def is_lmdb_set(root: Path) -> bool:
    """Whether `root` is a dataset in LMDB form (its train split is an LMDB)."""
    return is_lmdb(root / TRAIN)


class LmdbWriter:
    """Append (image, label) pairs to a new LMDB, numbered from 1; `num-samples` is written on close."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._lmdb = _lmdb()
        self._env = self._lmdb.open(str(folder), map_size=MAP_SIZE, meminit=False)
        self._pending: list[tuple[bytes, bytes]] = []
        self._pending_bytes = 0
        self.count = 0

    def add(self, image: bytes, label: str) -> None:
        """Append one sample (PNG bytes, label text)."""
        self.count += 1
        self._pending += [(image_key(self.count), image), (label_key(self.count), label.encode("utf-8"))]
        self._pending_bytes += len(image)
        if len(self._pending) >= 2 * TXN_SAMPLES or self._pending_bytes >= TXN_BYTES:
            self._flush()

    def _flush(self) -> None:
        while True:
            try:
                with self._env.begin(write=True) as txn:
                    for key, value in self._pending:
                        txn.put(key, value)
                break
            except self._lmdb.MapFullError:
                self._env.set_mapsize(self._env.info()["map_size"] * 2)
        self._pending, self._pending_bytes = [], 0

    def close(self) -> None:
        """Write what is pending and `num-samples`, then close."""
        self._pending.append((b"num-samples", str(self.count).encode()))
        self._flush()
        self._env.sync()
        self._env.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self._env.close()


@contextmanager
def _reading(folder: Path) -> Iterator[Any]:
    """A read-only transaction on one LMDB, its environment closed afterwards.

    Raises:
        DatasetError: the folder is not an LMDB.
    """
    if not is_lmdb(folder):
        raise DatasetError(f"not an LMDB: {folder} ({DATA_FILE} missing)")
    env = _lmdb().open(str(folder), readonly=True, lock=False, readahead=False, meminit=False)
    try:
        with env.begin() as txn:
            yield txn
    finally:
        env.close()


def read_lmdb(folder: Path) -> Iterator[tuple[bytes, str]]:
    """Stream (PNG bytes, label) of an LMDB written by LmdbWriter, in key order 1..num-samples.

    Raises:
        DatasetError: the folder is not an LMDB, or a key is missing.
    """
    with _reading(folder) as txn:
        count = int(txn.get(b"num-samples") or b"0")
        for number in range(1, count + 1):
            image, label = txn.get(image_key(number)), txn.get(label_key(number))
            if image is None or label is None:
                raise DatasetError(f"{folder}: sample {number} of {count} missing")
            yield bytes(image), bytes(label).decode("utf-8")


@dataclass(frozen=True)
class LmdbSample:
    """One sample of an LMDB set, as PaddleOCR's LMDBDataSet reads it."""

    folder: Path
    """The split's LMDB folder (DIR/train, DIR/val)."""
    number: int
    """1-based: the sample's keys are `image-%09d` and `label-%09d` of it."""
    png: bytes
    label: str

    @property
    def split(self) -> str:
        """The split's name (its folder's)."""
        return self.folder.name

    @property
    def key(self) -> str:
        """The label key, e.g. `label-000000001`."""
        return label_key(self.number).decode()


def lmdb_splits(target: Path) -> list[Path] | None:
    """The LMDBs of `target`: its train/ and val/ when it is an LMDB set, itself when it is one LMDB (None: neither)."""
    if is_lmdb(target):
        return [target]
    if not is_lmdb_set(target):
        return None
    return [target / split for split in SPLITS if is_lmdb(target / split)]


def lmdb_root(target: Path) -> Path | None:
    """The dataset folder (dict.txt, manifest.json) of an LMDB set or of one of its LMDBs (None: neither)."""
    splits = lmdb_splits(target)
    if splits is None:
        return None
    return target.parent if splits == [target] else target


def read_lmdb_set(target: Path) -> Iterator[LmdbSample]:
    """Every sample of an LMDB set (DIR/train then DIR/val) or of one LMDB, in key order: the one reader of them.

    Raises:
        DatasetError: `target` is neither an LMDB set nor an LMDB, or a key is missing.
        EnvironmentProblem: the lmdb package is not installed.
    """
    folders = lmdb_splits(target)
    if folders is None:
        raise DatasetError(f"not an LMDB set: {target} (no {TRAIN}/{DATA_FILE})")
    for folder in folders:
        for number, (png, label) in enumerate(read_lmdb(folder), start=1):
            yield LmdbSample(folder, number, png, label)


def read_image(folder: Path, number: int) -> bytes:
    """The PNG bytes of sample `number` (1-based) of one LMDB.

    Raises:
        DatasetError: the folder is not an LMDB, or has no such sample.
    """
    with _reading(folder) as txn:
        image = txn.get(image_key(number))
    if image is None:
        raise DatasetError(f"{folder}: no {image_key(number).decode()}")
    return bytes(image)


def count_samples(folder: Path) -> int:
    """`num-samples` of one LMDB.

    Raises:
        DatasetError: the folder is not an LMDB.
    """
    if not is_lmdb(folder):
        raise DatasetError(f"not an LMDB: {folder} ({DATA_FILE} missing)")
    env = _lmdb().open(str(folder), readonly=True, lock=False)
    try:
        with env.begin() as txn:
            return int(txn.get(b"num-samples") or b"0")
    finally:
        env.close()
