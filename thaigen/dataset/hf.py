"""Recognition sets as a Hugging Face `datasets` dataset (`build --format hf`): Parquet shards and a dataset card.

`DIR/data/train-00000-of-0000N.parquet` and `DIR/data/validation-...` hold each split's samples in index order,
columns `image` (the `Image` feature: the PNG bytes and `KEY.png`), `text` (the label) and `index`; the schema
carries the features as `datasets` writes them (metadata key `huggingface`), so
`datasets.load_dataset("parquet", data_dir=DIR)` and `datasets.load_dataset(DIR)` read the `Image` feature back.
`DIR/README.md` is the dataset card: its YAML names the splits' files and features, its body holds the manifest.
A shard is closed before its image and text bytes would pass `max_bytes`; equal samples and equal pyarrow
versions give equal bytes (the Parquet footer names pyarrow's version, which the manifest's `storage` records).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from thaigen.dataset.atomic import atomic_text
from thaigen.dataset.lines import TRAIN, VAL, LineSample, StoredLine
from thaigen.errors import DatasetError, EnvironmentProblem

FORMAT = "hf"
DATA = "data"
CARD = "README.md"
SPLITS = {TRAIN: "train", VAL: "validation"}
"""thaigen's split -> the Hugging Face split name."""
MAX_SHARD_BYTES = 256 << 20
"""Default bound on a shard's image and text bytes (Parquet adds a few kB)."""
ROW_GROUP = 256
"""Rows per Parquet row group."""
FEATURES = {
    "image": {"_type": "Image"},
    "text": {"dtype": "string", "_type": "Value"},
    "index": {"dtype": "int64", "_type": "Value"},
}
"""The columns as `datasets.Features.to_dict()` writes them."""
SHARD_NAME = re.compile(r"^(train|validation)-(\d{5})-of-(\d{5})\.parquet$")


def _arrow() -> tuple[Any, Any]:
    """(pyarrow, pyarrow.parquet).

    Raises:
        EnvironmentProblem: pyarrow is not installed.
    """
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise EnvironmentProblem(
            "Hugging Face sets (build --format hf) need pyarrow: pip install -e '.[hf]' (or pip install pyarrow)"
        ) from None
    return pyarrow, pyarrow.parquet


def require() -> None:
    """Fail now, before a build renders anything, when pyarrow is missing.

    Raises:
        EnvironmentProblem: pyarrow is not installed.
    """
    _arrow()


def _schema() -> Any:
    pa, _ = _arrow()
    image = pa.struct([pa.field("bytes", pa.binary()), pa.field("path", pa.string())])
    fields = [pa.field("image", image), pa.field("text", pa.string()), pa.field("index", pa.int64())]
    info = {"info": {"features": FEATURES}}
    return pa.schema(fields, metadata={b"huggingface": json.dumps(info, sort_keys=True).encode()})


class _SplitShards:
    """The Parquet shards of one split, written one after another (named `-of-` once all are written)."""

    def __init__(self, folder: Path, split: str, max_bytes: int) -> None:
        self.folder, self.split, self.max_bytes = folder, split, max_bytes
        self.files: list[Path] = []
        self._writer: Any = None
        self._size = 0
        self._pending: list[LineSample] = []

    def add(self, sample: LineSample) -> None:
        size = len(sample.png) + len(sample.label.encode("utf-8"))
        if self._writer is None or (self._size and self._size + size > self.max_bytes):
            self.close()
            _, pq = _arrow()
            self.files.append(self.folder / f".{self.split}-{len(self.files):05d}.parquet.tmp")
            self._writer = pq.ParquetWriter(self.files[-1], _schema(), compression="snappy")
            self._size = 0
        self._pending.append(sample)
        self._size += size
        if len(self._pending) == ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            pa, _ = _arrow()
            columns = {
                "image": [{"bytes": s.png, "path": f"{s.key}.png"} for s in self._pending],
                "text": [s.label for s in self._pending],
                "index": [s.index for s in self._pending],
            }
            self._writer.write_table(pa.table(columns, schema=_schema()), row_group_size=ROW_GROUP)
            self._pending = []

    def close(self) -> None:
        if self._writer is not None:
            self._flush()
            self._writer.close()
            self._writer = None

    def finish(self) -> list[str]:
        """Close the last shard and give every shard its `-of-` name; returns the names (relative to DIR)."""
        self.close()
        names = [f"{self.split}-{n:05d}-of-{len(self.files):05d}.parquet" for n in range(len(self.files))]
        for temporary, name in zip(self.files, names):
            temporary.replace(self.folder / name)
        return [f"{DATA}/{name}" for name in names]


def shard_files(root: Path) -> list[Path]:
    """The Parquet shards of `root`, train's then validation's, each in number order."""
    folder = root / DATA
    found = [p for p in folder.iterdir() if SHARD_NAME.match(p.name)] if folder.is_dir() else []
    return sorted(found, key=lambda p: (not p.name.startswith("train-"), p.name))


def is_hf(root: Path) -> bool:
    """Whether `root` holds a dataset written by `write_hf`."""
    return bool(shard_files(root))


def _card(files: Mapping[str, list[str]], manifest: Mapping[str, Any]) -> str:
    """The dataset card: YAML (configs, features) and the manifest as JSON."""
    header = {
        "configs": [
            {
                "config_name": "default",
                "data_files": [{"split": s, "path": f"{DATA}/{s}-*"} for s in files if files[s]],
            }
        ],
        "dataset_info": {
            "features": [
                {"name": "image", "dtype": "image"},
                {"name": "text", "dtype": "string"},
                {"name": "index", "dtype": "int64"},
            ],
        },
    }
    return (
        f"---\n{yaml.safe_dump(header, sort_keys=False, allow_unicode=True)}---\n\n"
        "# thaigen text lines\n\n"
        "Synthetic Thai text-line images (`image`) and their labels (`text`, NFC), made by thaigen. "
        "The manifest below (also `manifest.json`) says how.\n\n"
        f"```json\n{json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)}\n```\n"
    )


def write_hf(
    out: Path, samples: Iterable[LineSample], manifest: Mapping[str, Any], max_bytes: int = MAX_SHARD_BYTES
) -> dict[str, Any]:
    """Write `samples` (index order) as Parquet shards under `out/data` and the card `out/README.md`, replacing
    any shards there; returns the manifest's `storage` section (format, files per split, pyarrow's version).

    Raises:
        EnvironmentProblem: pyarrow is not installed.
    """
    pa, _ = _arrow()
    folder = out / DATA
    folder.mkdir(parents=True, exist_ok=True)
    for old in [*shard_files(out), *folder.glob(".*.parquet.tmp")]:
        old.unlink()  # an earlier finish that was interrupted
    splits = {name: _SplitShards(folder, name, max_bytes) for name in SPLITS.values()}
    try:
        for sample in samples:
            splits[SPLITS[sample.split]].add(sample)
    finally:
        for shards in splits.values():
            shards.close()
    files = {name: shards.finish() for name, shards in splits.items()}
    with atomic_text(out / CARD) as handle:
        handle.write(_card(files, manifest))
    return {"format": FORMAT, "max_shard_bytes": max_bytes, "files": files, "pyarrow": pa.__version__}


def read_hf_labels(root: Path) -> Iterator[tuple[Path, str]]:
    """(shard[row], label) for every sample of the Parquet shards in `root`, in order (0-based rows).

    Raises:
        DatasetError: a shard is not a Parquet file with a `text` column.
        EnvironmentProblem: pyarrow is not installed.
    """
    pa, pq = _arrow()
    for shard in shard_files(root):
        try:
            texts = pq.read_table(shard, columns=["text"]).column("text").to_pylist()
        except (OSError, KeyError, pa.ArrowException) as exc:
            raise DatasetError(f"cannot read Parquet shard {shard}: {exc}") from None
        for row, text in enumerate(texts):
            yield shard.with_name(f"{shard.name}[{row}]"), str(text)


def read_hf_lines(root: Path) -> Iterator[StoredLine]:
    """Every sample of the Parquet shards in `root`, in order (`where`: shard[row], 0-based).

    Raises:
        DatasetError: a shard is not a Parquet file with `image`, `text` and `index` columns.
        EnvironmentProblem: pyarrow is not installed.
    """
    pa, pq = _arrow()
    for shard in shard_files(root):
        split = next(ours for ours, name in SPLITS.items() if shard.name.startswith(f"{name}-"))
        try:
            columns = pq.read_table(shard, columns=["image", "text", "index"]).to_pydict()
        except (OSError, KeyError, pa.ArrowException) as exc:
            raise DatasetError(f"cannot read Parquet shard {shard}: {exc}") from None
        rows = zip(columns["image"], columns["text"], columns["index"], strict=True)
        for row, (image, text, index) in enumerate(rows):
            yield StoredLine(shard.with_name(f"{shard.name}[{row}]"), int(index), split, str(text), image["bytes"])


def read_hf_png(where: Path) -> bytes:
    """The PNG of shard[row] (as `read_hf_lines` names it), from that row's row group only.

    Raises:
        DatasetError: the shard cannot be read or has no such row.
        EnvironmentProblem: pyarrow is not installed.
    """
    pa, pq = _arrow()
    name, _, rest = where.name.partition("[")
    shard, row = where.with_name(name), int(rest.rstrip("]"))
    try:
        parquet = pq.ParquetFile(shard)
        for group in range(parquet.metadata.num_row_groups):
            rows = parquet.metadata.row_group(group).num_rows
            if row < rows:
                return bytes(parquet.read_row_group(group, columns=["image"]).column("image")[row].as_py()["bytes"])
            row -= rows
    except (OSError, pa.ArrowException) as exc:
        raise DatasetError(f"cannot read Parquet shard {shard}: {exc}") from None
    raise DatasetError(f"Parquet shard {shard} has no row {rest.rstrip(']')}")
