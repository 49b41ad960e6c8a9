"""Recognition sets as WebDataset tar shards (`build --format webdataset`): `train-000000.tar`, `val-000000.tar`, ...

Each shard holds its split's samples in index order, three members each: `KEY.png` (the image), `KEY.txt` (the
label, UTF-8, no newline) and `KEY.json` (the sample's samples.jsonl record), KEY the 8-digit sample index.
Members carry fixed metadata (ustar, mtime 0, uid/gid 0, no owner names, mode 0644), so equal samples give equal
bytes. A shard is closed before it would pass `max_bytes` (a single larger sample gets a shard of its own).
"""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from thaigen.dataset.lines import TRAIN, VAL, LineSample, StoredLine
from thaigen.errors import DatasetError

FORMAT = "webdataset"
MAX_SHARD_BYTES = 256 << 20
"""Default bound on a shard's size (bytes): WebDataset's advice is 100 MB to a few GB per shard."""
SHARD_NAME = re.compile(r"^(train|val)-(\d{6})\.tar$")
BLOCK = tarfile.BLOCKSIZE
END_BYTES = tarfile.RECORDSIZE
"""At most what closing a tar adds: two zero blocks, padded to a whole record."""


def shard_name(split: str, number: int) -> str:
    """File name of shard `number` (0-based) of `split`."""
    return f"{split}-{number:06d}.tar"


def _member_bytes(size: int) -> int:
    """Bytes one member of `size` bytes takes in a tar: its header and its data padded to whole blocks."""
    return BLOCK + -(-size // BLOCK) * BLOCK


def _member(name: str, size: int) -> tarfile.TarInfo:
    """A regular file's header with fixed metadata (mtime 0, root, mode 0644)."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, 0, 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _members(sample: LineSample) -> list[tuple[str, bytes]]:
    return [
        (f"{sample.key}.png", sample.png),
        (f"{sample.key}.txt", sample.label.encode("utf-8")),
        (f"{sample.key}.json", sample.record.encode("utf-8")),
    ]


class _SplitShards:
    """The shards of one split, written one after another."""

    def __init__(self, out: Path, split: str, max_bytes: int) -> None:
        self.out, self.split, self.max_bytes = out, split, max_bytes
        self.names: list[str] = []
        self._tar: tarfile.TarFile | None = None
        self._size = 0

    def add(self, sample: LineSample) -> None:
        members = _members(sample)
        size = sum(_member_bytes(len(data)) for _, data in members)
        if self._tar is None or (self._size and self._size + size + END_BYTES > self.max_bytes):
            self.close()
            self.names.append(shard_name(self.split, len(self.names)))
            # open across add() calls; close() closes it
            self._tar = tarfile.open(self.out / self.names[-1], "w", format=tarfile.USTAR_FORMAT)  # noqa: SIM115
            self._size = 0
        for name, data in members:
            self._tar.addfile(_member(name, len(data)), io.BytesIO(data))
        self._size += size

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()
            self._tar = None


def shard_files(root: Path) -> list[Path]:
    """The WebDataset shards in `root`, train's then val's, each in number order."""
    found = [p for p in root.iterdir() if SHARD_NAME.match(p.name)] if root.is_dir() else []
    return sorted(found, key=lambda p: (p.name.split("-")[0] != TRAIN, p.name))


def is_webdataset(root: Path) -> bool:
    """Whether `root` holds WebDataset shards."""
    return bool(shard_files(root))


def write_webdataset(out: Path, samples: Iterable[LineSample], max_bytes: int = MAX_SHARD_BYTES) -> dict[str, Any]:
    """Write `samples` (index order) as train and val shards in `out`, replacing any shards there; returns the
    manifest's `storage` section (format, shard names per split, the bound)."""
    for old in shard_files(out):
        old.unlink()  # an earlier finish that was interrupted
    splits = {split: _SplitShards(out, split, max_bytes) for split in (TRAIN, VAL)}
    try:
        for sample in samples:
            splits[sample.split].add(sample)
    finally:
        for shards in splits.values():
            shards.close()
    return {"format": FORMAT, "max_shard_bytes": max_bytes, "shards": {s: w.names for s, w in splits.items()}}


def read_webdataset_labels(root: Path) -> Iterator[tuple[Path, str]]:
    """(shard/KEY.txt, label) for every sample of the shards in `root`, in order.

    Raises:
        DatasetError: a shard is not a readable tar, or a label is not UTF-8.
    """
    for shard in shard_files(root):
        try:
            with tarfile.open(shard) as tar:
                for member in tar:
                    if member.name.endswith(".txt"):
                        handle = tar.extractfile(member)
                        data = handle.read() if handle else b""
                        yield shard / member.name, data.decode("utf-8")
        except (tarfile.TarError, OSError, UnicodeDecodeError) as exc:
            raise DatasetError(f"cannot read WebDataset shard {shard}: {exc}") from None


def read_webdataset_lines(root: Path) -> Iterator[StoredLine]:
    """Every sample of the shards in `root`, in order (`where`: shard/KEY.png).

    Raises:
        DatasetError: a shard is not a readable tar of KEY.png, KEY.txt and KEY.json members.
    """
    for shard in shard_files(root):
        split = shard.name.split("-", 1)[0]
        try:
            with tarfile.open(shard) as tar:
                parts: dict[str, bytes] = {}
                for member in tar:
                    handle = tar.extractfile(member)
                    parts[member.name] = handle.read() if handle else b""
                    key, _, kind = member.name.partition(".")
                    if kind == "json":  # a sample's last member
                        label = parts.pop(f"{key}.txt").decode("utf-8")
                        yield StoredLine(shard / f"{key}.png", int(key), split, label, parts.pop(f"{key}.png"))
                        parts.clear()
        except (tarfile.TarError, OSError, UnicodeDecodeError, KeyError, ValueError) as exc:
            raise DatasetError(f"cannot read WebDataset shard {shard}: {exc}") from None


def read_webdataset_png(where: Path) -> bytes:
    """The PNG at shard/KEY.png (as `read_webdataset_lines` names it).

    Raises:
        DatasetError: the shard or its member cannot be read.
    """
    try:
        with tarfile.open(where.parent) as tar:
            handle = tar.extractfile(where.name)
            if handle is None:
                raise KeyError(where.name)
            return handle.read()
    except (tarfile.TarError, OSError, KeyError) as exc:
        raise DatasetError(f"cannot read {where.name} from WebDataset shard {where.parent}: {exc}") from None
