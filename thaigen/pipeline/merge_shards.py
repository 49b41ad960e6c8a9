"""Merge shard folders (`build --shard K/N`) into one dataset: `python -m thaigen merge SHARD_DIRS... --out DIR`.

The result is byte-identical to a single build of the same config, manifest included (the shards'
`shard` sections are dropped; `versions` and `fonts` come from the shards, which must agree).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from thaigen.config.schema import GenConfig
from thaigen.dataset import lmdb, paths, samples
from thaigen.dataset.manifest import read_manifest
from thaigen.errors import DatasetError
from thaigen.pipeline.build import BuildResult, Mode, Storage, finish, prepare, state_of
from thaigen.pipeline.merge import PROVENANCE
from thaigen.pipeline.shards import Shard


@dataclass(frozen=True)
class ShardFolder:
    """A finished shard build: where, which shard, its config, storage and manifest."""

    path: Path
    shard: Shard
    config: GenConfig
    storage: str
    manifest: dict[str, Any]


def read_shard(folder: Path) -> ShardFolder:
    """Describe a finished shard folder.

    Raises:
        DatasetError: not a finished shard build.
    """
    state_path = folder / paths.STATE
    if not state_path.is_file():
        raise DatasetError(f"{folder} is not a thaigen build ({paths.STATE} missing)")
    state = json.loads(state_path.read_text(encoding="utf-8"))
    if "shard" not in state:
        raise DatasetError(f"{folder} is a whole build, not a shard (build it with --shard K/N)")
    if not (folder / paths.MANIFEST).is_file():
        raise DatasetError(f"shard {folder} is not finished; rerun its build with --resume")
    return ShardFolder(
        folder,
        Shard(*state["shard"]),
        GenConfig.model_validate(state["config"]),
        state.get("storage", "folder"),
        read_manifest(folder / paths.MANIFEST),
    )


def check_complete(shards: Sequence[ShardFolder]) -> list[ShardFolder]:
    """The shards in index order, once they are shown to be exactly shards 0..N-1 of one build.

    Raises:
        DatasetError: missing or repeated shards, or shards of different builds, storages or machines.
    """
    if not shards:
        raise DatasetError("no shard folders given")
    first = shards[0]
    for other in shards[1:]:
        if other.config != first.config or other.shard.count != first.shard.count:
            raise DatasetError(f"{other.path} and {first.path} are shards of different builds")
        if other.storage != first.storage:
            raise DatasetError(f"{other.path} is stored as {other.storage}, {first.path} as {first.storage}")
        for key in PROVENANCE:
            if other.manifest[key] != first.manifest[key]:
                raise DatasetError(f"{other.path} and {first.path} were drawn with different {key} (see their manifests)")
    found = sorted(s.shard.index for s in shards)
    expected = list(range(first.shard.count))
    if found != expected:
        repeated = sorted({i for i in found if found.count(i) > 1})
        missing = sorted(set(expected) - set(found))
        problem = f"missing shard(s) {missing}" if missing else f"shard(s) {repeated} given twice"
        raise DatasetError(f"cannot merge: {problem} of {first.shard.count}")
    return sorted(shards, key=lambda s: s.shard.index)


def _place(source: Path, target: Path) -> None:
    """Hard-link `source` to `target` (copy across file systems)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _copy_images(shard: Path, out: Path) -> None:
    for tree in (paths.IMAGES, f"{paths.CROPS}/{paths.IMAGES}"):
        for image in sorted((shard / tree).rglob("*.png")) if (shard / tree).is_dir() else ():
            _place(image, out / image.relative_to(shard))


def merge_shards(folders: Sequence[Path], out: Path, mode: Mode = Mode.NEW) -> BuildResult:
    """Join finished shard folders into `out`: the same bytes as one build of their config.

    Images are hard-linked where the file system allows (else copied); the shard folders are left as they are.

    Raises:
        DatasetError: the shards are not exactly one build's shards 0..N-1, or `out` is in use.
    """
    shards = check_complete([read_shard(f.resolve()) for f in folders])
    config, storage = shards[0].config, Storage(shards[0].storage)
    if out.resolve() in {s.path for s in shards}:
        raise DatasetError(f"--out {out} is one of the shards; merge into a new folder")
    if prepare(out, state_of(config, None, storage), mode):
        return BuildResult(out, read_manifest(out / paths.MANIFEST), up_to_date=True)
    if storage is Storage.FOLDER:
        for shard in shards:
            _copy_images(shard.path, out)
    records = chain.from_iterable(samples.read_records(s.path / paths.SAMPLES) for s in shards)

    def images(split: str) -> Iterator[bytes]:
        for shard in shards:
            for png, _label in lmdb.read_lmdb(shard.path / split):
                yield png

    origin = {key: shards[0].manifest[key] for key in PROVENANCE}
    manifest = finish(out, config, origin, records, storage, images=images if storage is Storage.LMDB else None)
    return BuildResult(out, manifest, up_to_date=False)
