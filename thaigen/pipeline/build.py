"""Build a dataset: chunks of contiguous indices rendered by worker processes, then merged."""

from __future__ import annotations

import contextlib
import enum
import json
import multiprocessing
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from thaigen.compose.backgrounds import check_images
from thaigen.config.schema import GenConfig
from thaigen.dataset import hf, lmdb, paths, samples, tesstrain, webdataset
from thaigen.dataset.atomic import atomic_bytes, atomic_text, write_in_place
from thaigen.dataset.labels import read_labels
from thaigen.dataset.lines import LineSample, read_line_samples
from thaigen.dataset.manifest import read_manifest, write_manifest
from thaigen.errors import ConfigError, DatasetError
from thaigen.pipeline.merge import describe, provenance, read_chunks, write_outputs
from thaigen.pipeline.merge_pages import describe_pages, write_crops_manifest, write_page_outputs
from thaigen.pipeline.page import largest_page, make_page
from thaigen.pipeline.sample import (
    DRAWING_FORMAT,
    choose_runs,
    load_text_sources,
    make_sample,
    split_of,
    warn_corpus_drops,
)
from thaigen.pipeline.shards import Shard
from thaigen.typeset.fonts import FontPool, load_pool
from thaigen.typeset.render import require_raqm

CHUNK_SIZE = 64
"""Lines per chunk: the unit of work handed to a worker and of resuming."""
PAGE_CHUNK_SIZE = 8
"""Pages per chunk (a page takes as long as about 40 lines)."""


def chunk_size(config: GenConfig) -> int:
    """Samples per chunk for this config's task."""
    return CHUNK_SIZE if config.task == "rec" else PAGE_CHUNK_SIZE


class Storage(enum.Enum):
    """How a finished dataset is stored."""

    FOLDER = "folder"
    """PNG files under images/ and PaddleOCR label files (SimpleDataSet)."""
    LMDB = "lmdb"
    """train/ and val/ LMDBs in PaddleOCR's layout (LMDBDataSet; recognition sets only)."""
    WEBDATASET = "webdataset"
    """train-NNNNNN.tar and val-NNNNNN.tar WebDataset shards (recognition sets only)."""
    HF = "hf"
    """A Hugging Face `datasets` dataset: Parquet shards under data/ and a README.md card (recognition sets only)."""
    TESSTRAIN = "tesstrain"
    """train/ and val/ folders of KEY.png + KEY.gt.txt, tesstrain's line ground truth (recognition sets only)."""


PURPOSE = {
    Storage.LMDB: "PaddleOCR's LMDBDataSet",
    Storage.WEBDATASET: "WebDataset tar shards of text lines",
    Storage.HF: "a Hugging Face datasets dataset of text lines",
    Storage.TESSTRAIN: "tesstrain's line images + .gt.txt ground truth",
}
"""What each storage other than FOLDER is for (all hold recognition sets only)."""

Converter = Callable[[Path, Iterable[LineSample], Mapping[str, Any]], dict[str, Any]]
"""Writes a finished folder build's samples (index order) in one storage's layout, given its manifest; returns the
manifest's `storage` section."""
CONVERTERS: dict[Storage, Converter] = {
    Storage.WEBDATASET: lambda out, lines, manifest: webdataset.write_webdataset(out, lines),
    Storage.HF: lambda out, lines, manifest: hf.write_hf(out, lines, manifest),
    Storage.TESSTRAIN: lambda out, lines, manifest: tesstrain.write_tesstrain(out, lines),
}
"""The storages written from the folder build's samples once they are merged (in sample order, so any worker
count gives the same bytes)."""
REQUIRES: dict[Storage, Callable[[], None]] = {Storage.HF: hf.require}
"""Checks that a storage's writer can run, made before a build renders anything."""


Engine = Callable[[list[int], GenConfig, FontPool, Path], Iterable[int]]
"""Renders chunks (given by their start index) into `out`, yielding each finished chunk's sample count in
any order: each chunk's images, then its record file, as `build_chunk` writes them."""


class Mode(enum.Enum):
    """What to do when the output folder is not empty."""

    NEW = "new"
    OVERWRITE = "overwrite"
    RESUME = "resume"


@dataclass(frozen=True)
class BuildResult:
    """Where a build went and what it holds."""

    out: Path
    manifest: dict[str, Any]
    up_to_date: bool


def chunk_starts(config: GenConfig, shard: Shard | None = None) -> list[int]:
    """First index of each chunk of the build (or of its shard `shard`), in order."""
    starts = list(range(0, config.count, chunk_size(config)))
    return shard.select(starts) if shard else starts


def state_of(
    config: GenConfig, shard: Shard | None = None, storage: Storage = Storage.FOLDER, split: str | None = None
) -> str:
    """build.json: what decides the folder's bytes (a whole folder-format build names no shard, storage or split)."""
    state: dict[str, Any] = {
        "config": config.model_dump(mode="json"),
        "chunk_size": chunk_size(config),
        "drawing_format": DRAWING_FORMAT,
    }
    if shard:
        state["shard"] = [shard.index, shard.count]
    if storage is not Storage.FOLDER:
        state["storage"] = storage.value
    if split:
        state["split"] = split
    return json.dumps(state, sort_keys=True)


def _is_thaigen_folder(out: Path) -> bool:
    return (out / paths.STATE).is_file()


def _drawing_format(out: Path) -> int | None:
    """The drawing format named in a thaigen folder's build.json (None: before formats were recorded, or unreadable)."""
    try:
        return json.loads((out / paths.STATE).read_text(encoding="utf-8")).get("drawing_format")
    except (OSError, ValueError, AttributeError):
        return None


@dataclass(frozen=True)
class StartedBuild:
    """What a folder's build.json says it was started with: enough to finish it with no options."""

    config: GenConfig
    storage: Storage
    shard: Shard | None


def started_build(out: Path) -> StartedBuild:
    """The config, storage and shard of the build started in `out` (its build.json).

    Raises:
        DatasetError: `out`'s build.json cannot be read as one.
    """
    try:
        state = json.loads((out / paths.STATE).read_text(encoding="utf-8"))
        shard = state.get("shard")
        return StartedBuild(
            GenConfig.model_validate(state["config"]),
            Storage(state.get("storage", Storage.FOLDER.value)),
            Shard(*shard) if shard else None,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DatasetError(f"cannot resume from {out / paths.STATE}: {str(exc).splitlines()[0]}") from None


SHOWN_CHANGES = 4
"""At most this many differing keys named when a resume is refused."""


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as {dotted.path: leaf}."""
    if isinstance(value, dict) and value:
        return {k: v for key, item in value.items() for k, v in _flat(item, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): value}


def state_changes(old: str, new: str) -> str:
    """The keys in which two build.json states differ, as `dotted.path: old -> new` (config keys without the
    `config.` prefix; the first SHOWN_CHANGES, then how many more)."""
    try:
        before = _flat(json.loads(old))
    except ValueError:
        return f"its {paths.STATE} is not JSON"
    after = _flat(json.loads(new))
    missing = object()
    changed = [key for key in sorted(before.keys() | after.keys()) if before.get(key, missing) != after.get(key, missing)]

    def shown(value: Any) -> str:
        text = "(none)" if value is missing else json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 40 else text[:37] + "..."

    lines = [f"{key.removeprefix('config.')}: {shown(before.get(key, missing))} -> {shown(after.get(key, missing))}"
             for key in changed[:SHOWN_CHANGES]]
    more = f"; {len(changed) - SHOWN_CHANGES} more" if len(changed) > SHOWN_CHANGES else ""
    return "; ".join(lines) + more


def prepare(out: Path, state: str, mode: Mode) -> bool:
    """Make `out` ready for the build whose build.json is `state`; return True when it already holds it.

    Raises:
        DatasetError: the folder is in use and the mode does not allow touching it.
    """
    if out.exists() and not out.is_dir():
        raise DatasetError(f"output path {out} exists and is not a folder")
    occupied = out.is_dir() and any(out.iterdir())
    same = occupied and _is_thaigen_folder(out) and (out / paths.STATE).read_text(encoding="utf-8") == state
    if same and (out / paths.MANIFEST).is_file() and mode is not Mode.OVERWRITE:
        return True
    if occupied and mode is Mode.NEW:
        raise DatasetError(f"output folder {out} is not empty; pass --resume to finish it or --overwrite to replace it")
    if occupied and mode is Mode.RESUME and not same:
        drawn = _drawing_format(out)
        if drawn != DRAWING_FORMAT and _is_thaigen_folder(out):
            raise DatasetError(
                f"cannot resume into {out}: it was drawn in drawing format {drawn or 1} and this thaigen draws format "
                f"{DRAWING_FORMAT} (other bytes for the same config); rebuild it with --overwrite"
            )
        if not _is_thaigen_folder(out):
            raise DatasetError(f"cannot resume into {out}: it is not a thaigen build ({paths.STATE} missing)")
        changes = state_changes((out / paths.STATE).read_text(encoding="utf-8"), state)
        raise DatasetError(f"cannot resume into {out}: it was started with a different config ({changes}); rerun "
                           f"with --resume and no config options (its build.json has them), or --overwrite")
    if occupied and mode is Mode.OVERWRITE:
        if not _is_thaigen_folder(out):
            raise DatasetError(f"refusing to overwrite {out}: it is not a thaigen dataset folder ({paths.STATE} missing)")
        shutil.rmtree(out)
    for torn in out.rglob(".*.tmp"):
        torn.unlink()  # left by a killed writer; its chunk has no record file, so it is redone
    (out / paths.PARTS).mkdir(parents=True, exist_ok=True)
    (out / paths.MANIFEST).unlink(missing_ok=True)
    with atomic_text(out / paths.STATE) as handle:
        handle.write(state)
    return False


_WORKER: dict[str, Any] = {}
"""Per-process build context, set once by the pool initializer (config, pool, out)."""


def _init_worker(config: GenConfig, pool: FontPool, out: Path) -> None:
    _WORKER.update(config=config, pool=pool, out=out)


def _init_spawned_worker(config: GenConfig, pool: FontPool, out: Path) -> None:
    """A spawned worker starts afresh (nothing inherited): one thread for its whole life, as one_thread sets."""
    _init_worker(config, pool, out)
    _limit_threads()


def build_chunk(config: GenConfig, pool: FontPool, out: Path, start: int) -> int:
    """Render one chunk into `out` in this process (what any engine runs per chunk); returns its sample count."""
    _init_worker(config, pool, out)
    with one_thread():
        return _build_chunk(start)


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """OpenCV and the BLAS library on one thread each while samples render, then as they were.

    Workers are the parallelism: more threads per worker only oversubscribe the cores, and idle BLAS threads
    spin. Samples are small images that gain nothing from threads; one thread also keeps floating-point sums
    in one order on machines with any number of cores. Set in the parent before worker processes fork, which
    inherit it: changing OpenCV's thread count in a forked child whose parent had started OpenCV's thread
    pool deadlocks.
    """
    restore = _limit_threads()
    try:
        yield
    finally:
        restore()


def _limit_threads() -> Callable[[], None]:
    """Put OpenCV and the BLAS library on one thread each; return what sets them back."""
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    blas = threadpool_limits(limits=1, user_api="blas")

    def restore() -> None:
        blas.restore_original_limits()
        cv2.setNumThreads(threads)

    return restore


def _build_chunk(start: int) -> int:
    """Render and write one chunk's images, then its record file (last, so it marks completion)."""
    config: GenConfig = _WORKER["config"]
    out: Path = _WORKER["out"]
    records = []
    end = min(start + chunk_size(config), config.count)
    for folder in {(out / paths.image_relpath(i)).parent for i in (start, end - 1)}:
        folder.mkdir(parents=True, exist_ok=True)
    for index in range(start, end):
        records.append(samples.format_record(write_sample(config, _WORKER["pool"], out, index)))
    atomic_bytes(paths.part_path(out, start), "".join(records).encode("utf-8"))
    return end - start


def write_sample(config: GenConfig, pool: FontPool, out: Path, index: int) -> dict[str, Any]:
    """Render sample `index` (a line, or a page and its crops), write its images, and return its record.

    Images are written in place: the chunk's record file, written atomically after them, marks them done.
    """
    if config.task == "rec":
        sample = make_sample(config, pool, index)
        write_in_place(out / paths.image_relpath(index), sample.png)
        return sample.metadata()
    page = make_page(config, pool, index)
    write_in_place(out / paths.image_relpath(index), page.png)
    crop_paths = tuple(paths.crop_relpath(index, n) if png else None for n, png in enumerate(page.crops))
    for path, png in zip(crop_paths, page.crops):
        if path and png:
            (out / paths.CROPS / path).parent.mkdir(parents=True, exist_ok=True)
            write_in_place(out / paths.CROPS / path, png)
    return page.metadata(crop_paths)


def local_engine(workers: int | None = None) -> Engine:
    """Worker processes on this machine (default: all cores)."""

    def run(pending: list[int], config: GenConfig, pool: FontPool, out: Path) -> Iterator[int]:
        count = max(1, min(workers or os.cpu_count() or 1, len(pending) or 1))
        return _run_chunks(pending, count, config, pool, out)

    return run


def _run_chunks(pending: list[int], workers: int, config: GenConfig, pool: FontPool, out: Path) -> Iterator[int]:
    if workers == 1:
        _init_worker(config, pool, out)
        yield from map(_build_chunk, pending)
        return
    spawn = sys.platform == "darwin"
    context = multiprocessing.get_context("spawn" if spawn else "fork")
    initializer = _init_spawned_worker if spawn else _init_worker
    with context.Pool(workers, initializer=initializer, initargs=(config, pool, out)) as processes:
        yield from processes.imap_unordered(_build_chunk, pending)


def build(
    config: GenConfig,
    out: Path,
    *,
    workers: int | None = None,
    mode: Mode = Mode.NEW,
    progress: bool = True,
    shard: Shard | None = None,
    storage: Storage = Storage.FOLDER,
    engine: Engine | None = None,
) -> BuildResult:
    """Build `config` (or only its shard `shard`) into `out`; the bytes depend on the config only, not on
    `workers`, the engine or interruptions.

    Raises:
        ThaigenError subclasses for bad fonts, configs, shards or output folders.
    """
    if storage is not Storage.FOLDER and config.task != "rec":
        raise ConfigError(f"--format {storage.value} writes recognition sets ({PURPOSE[storage]}); use it with --task rec "
                          f"(a det build's line crops: --crops)")
    if storage in CONVERTERS and shard:
        raise ConfigError(f"--format {storage.value} is written from a whole build; leave out --shard (or build the "
                          f"shards with --format folder or lmdb)")
    if storage in REQUIRES:
        REQUIRES[storage]()
    starts = chunk_starts(config, shard)  # a shard that does not exist fails here
    require_raqm()
    pool = load_pool(config.fonts)
    check_images(config.background.images, largest_page(config) if config.task == "det" else None)
    choose_runs(config, pool, 0)  # bad corpora or limits fail here, before any worker
    load_text_sources(config)  # every word list and lexicon once, here: forked workers inherit them
    warn_corpus_drops(config, pool)
    if config.task == "det":
        make_page(config, pool, 0)  # a layout that cannot fit fails here, before the output folder is touched
    if prepare(out, state_of(config, shard, storage), mode):
        return BuildResult(out, read_manifest(out / paths.MANIFEST), up_to_date=True)
    pending = [s for s in starts if not paths.part_path(out, s).is_file()]
    sizes = {s: min(chunk_size(config), config.count - s) for s in starts}
    total = sum(sizes.values())
    done = total - sum(sizes[s] for s in pending)
    with tqdm(total=total, initial=done, unit="img", disable=not progress, file=sys.stderr) as bar, one_thread():
        for finished in (engine or local_engine(workers))(pending, config, pool, out):
            bar.update(finished)
    end = min(starts[-1] + chunk_size(config), config.count)
    extra = {"shard": shard.describe(starts[0], end)} if shard else {}
    manifest = finish(out, config, provenance(pool), read_chunks(out, starts), storage, extra)
    return BuildResult(out, manifest, up_to_date=False)


def build_split(config: GenConfig, pool: FontPool, out: Path, split: str) -> dict[str, Any]:
    """Only the samples of one split ("val": about val_fraction of config.count) of `config` into `out`, in this
    process, as a build writes them (the other split's label file empty); returns the manifest. A folder that
    already holds them is kept.

    Raises:
        DatasetError: `out` holds something else (and the errors of drawing a sample).
    """
    if prepare(out, state_of(config, split=split), Mode.RESUME):
        return read_manifest(out / paths.MANIFEST)
    records = []
    with one_thread():
        for index in range(config.count):
            if split_of(config, index) == split:
                (out / paths.image_relpath(index)).parent.mkdir(parents=True, exist_ok=True)
                records.append(write_sample(config, pool, out, index))
    return finish(out, config, provenance(pool), records, Storage.FOLDER)


def finish(
    out: Path,
    config: GenConfig,
    origin: dict[str, Any],
    records: Iterable[dict[str, Any]],
    storage: Storage,
    extra: dict[str, Any] | None = None,
    images: Callable[[str], Iterator[bytes]] | None = None,
) -> dict[str, Any]:
    """Write the label files (or the storage's files: LMDBs, shards...), samples.jsonl, dict and manifest from
    `records` (index order), then drop the chunk records; returns the manifest (with a `storage` section for the
    CONVERTERS storages).

    Args:
        origin: `merge.provenance` of the machine(s) that drew the samples.
        extra: keys added to the manifest (a shard's range).
        images: LMDB storage: split -> that split's PNG bytes in order (default: read from out/images).
    """
    if config.task == "rec":
        manifest = describe(config, origin, write_outputs(out, records, config.dictionary))
    else:
        page_stats = write_page_outputs(out, records, config.page.crops)
        manifest = describe_pages(config, origin, page_stats)
        if config.page.crops:
            write_crops_manifest(out, config, origin, page_stats)
    manifest |= extra or {}
    if storage is Storage.LMDB:
        _store_lmdb(out, images)
    elif storage in CONVERTERS:
        manifest["storage"] = CONVERTERS[storage](out, read_line_samples(out), manifest)
        _drop_folder_outputs(out)
    write_manifest(out / paths.MANIFEST, manifest)
    shutil.rmtree(out / paths.PARTS, ignore_errors=True)
    return manifest


def _store_lmdb(out: Path, images: Callable[[str], Iterator[bytes]] | None) -> None:
    """Turn the folder-format outputs in `out` into train/ and val/ LMDBs (labels in label-file order)."""
    label_files = {lmdb.TRAIN: out / paths.TRAIN_LABELS, lmdb.VAL: out / paths.VAL_LABELS}
    for split, label_file in label_files.items():
        shutil.rmtree(out / split, ignore_errors=True)  # a finish interrupted earlier
        pngs = images(split) if images else None
        with lmdb.LmdbWriter(out / split) as writer:
            for line in read_labels(label_file):
                writer.add(next(pngs) if pngs else (out / line.path).read_bytes(), str(line.label))
    _drop_folder_outputs(out)


def _drop_folder_outputs(out: Path) -> None:
    """Remove what only the folder format keeps (label files, images/) once another storage holds the samples.

    The chunk records go before the images they stand for: a build killed in between redoes its chunks.
    """
    shutil.rmtree(out / paths.PARTS, ignore_errors=True)
    for label_file in (paths.TRAIN_LABELS, paths.VAL_LABELS):
        (out / label_file).unlink()
    shutil.rmtree(out / paths.IMAGES, ignore_errors=True)
