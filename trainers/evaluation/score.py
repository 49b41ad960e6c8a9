"""Score engines on a PaddleOCR recognition label file: every engine reads the same lines, once.

A dataset is a label file (`image path<TAB>label` per line, paths relative to a data folder), a
thaigen dataset folder (its val.txt by default), or an LMDB set (`build --format lmdb`: its val/ LMDB by
default) or one LMDB. A thaigen set's samples.jsonl gives each line a category, and the figures are also
reported per category.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thaigen.dataset import lmdb, paths
from thaigen.dataset.labels import read_labels
from thaigen.dataset.samples import records_by_image, records_by_lmdb_sample
from thaigen.errors import ConfigError, DatasetError
from trainers.evaluation.metrics import LineScore, Summary, confusions, score_line, summarize
from trainers.inference import image as inference_image
from trainers.inference.engine import Engine, Reading
from trainers.inference.ensemble import Ensemble
from trainers.inference.image import Image

TOP_CONFUSIONS = 20
GAP_EXAMPLES = 5
"""Characters named in a dictionary-gap warning."""


class DictionaryGapWarning(UserWarning):
    """An engine's dictionary lacks characters of the truth: lines holding one can never be read exactly."""


@dataclass(frozen=True)
class LabelledLine:
    """One line of a label file."""

    image: Path
    truth: str
    category: str | None
    source: str
    """label_file:line_number (an LMDB: folder:sample number), for messages."""
    png: bytes | None = None
    """An LMDB sample's image bytes (`image` then names its key); None: read the image file."""


@dataclass(frozen=True)
class EngineScore:
    """How one engine did on a dataset."""

    engine: str
    summary: Summary
    by_category: dict[str, Summary]
    confusions: list[tuple[str, str, int]]
    lines: tuple[LineScore, ...]
    seconds: float
    """Time spent reading (an ensemble: its members' time added up)."""

    @property
    def lines_per_second(self) -> float:
        """Throughput."""
        return self.summary.lines / self.seconds if self.seconds else 0.0


def label_file_for(target: Path, labels: str | None) -> Path:
    """The label file to score: `target` itself, or in a dataset folder `labels` (default val.txt).

    Raises:
        DatasetError: nothing to score there.
    """
    if target.is_file():
        return target
    if not target.is_dir():
        raise DatasetError(f"dataset not found: {target}")
    path = target / (labels or paths.VAL_LABELS)
    if not path.is_file():
        raise DatasetError(f"no label file {path.name} in {target}")
    return path


def labelled_lines(label_file: Path, data_dir: Path | None = None) -> list[LabelledLine]:
    """Read a PaddleOCR rec label file; image paths are relative to `data_dir` (default: the file's folder).

    A thaigen folder's samples.jsonl gives each line its category.

    Raises:
        DatasetError: a line PaddleOCR cannot use (no TAB, empty, not UTF-8), or no lines at all.
    """
    root = data_dir or label_file.parent
    records = records_by_image(root)
    lines = [
        LabelledLine(root / line.path, str(line.label), _category(records.get(line.path)), line.where)
        for line in read_labels(label_file)
    ]
    if not lines:
        raise DatasetError(f"{label_file} has no labelled lines")
    return lines


def lmdb_for(target: Path, labels: str | None) -> Path | None:
    """The LMDB to score when `target` is an LMDB set (`labels` names its split: val, the default, or train)
    or one LMDB; None for anything else.

    Raises:
        DatasetError: an LMDB set without that split.
        ConfigError: `labels` names no split.
    """
    if lmdb.is_lmdb(target):
        return target
    if not lmdb.is_lmdb_set(target):
        return None
    split = Path(labels).stem if labels else lmdb.VAL
    if split not in lmdb.SPLITS:
        splits = " or ".join(lmdb.SPLITS)
        raise ConfigError(f"{target} is an LMDB set: --labels names its split ({splits}), not {labels}")
    if not lmdb.is_lmdb(target / split):
        missing = target / split / lmdb.DATA_FILE
        raise DatasetError(f"{target} is an LMDB set without a {split} LMDB ({missing} missing)")
    return target / split


def lmdb_lines(folder: Path) -> list[LabelledLine]:
    """Read one LMDB in PaddleOCR's layout; in a thaigen LMDB set, samples.jsonl gives each line its category.

    Raises:
        DatasetError: a missing key, or no samples at all.
    """
    samples = list(lmdb.read_lmdb(folder))
    if not samples:
        raise DatasetError(f"{folder} has no samples (num-samples is 0)")
    records = _split_records(folder.parent, folder.name, [label for _, label in samples])
    return [
        LabelledLine(folder / lmdb.image_key(n).decode(), label, _category(record), f"{folder}:{n}", png)
        for n, ((png, label), record) in enumerate(zip(samples, records, strict=True), start=1)
    ]


def _split_records(root: Path, split: str, labels: Sequence[str]) -> Sequence[dict[str, Any] | None]:
    """The samples.jsonl records of `split` in `root`, one per label, when they describe exactly these labels."""
    by_sample = records_by_lmdb_sample(root) if split in lmdb.SPLITS else {}
    records = [record for (of, _), record in by_sample.items() if of == split]  # numbered in this order
    if [str(r.get("label")) for r in records] == list(labels):
        return records
    return [None] * len(labels)


def _category(record: dict[str, Any] | None) -> str | None:
    return None if record is None else str(record["category"])


def dictionary_gap(truths: Sequence[str], writable: Collection[str]) -> str | None:
    """What of the `truths` a model that writes only `writable` characters cannot produce, in words; None if nothing.

    Names how many of the truth's distinct characters are missing (the most frequent first, as examples with
    their code points) and what share of the lines holds one.
    """
    counts = Counter(ch for truth in truths for ch in truth)
    missing = [ch for ch, _ in counts.most_common() if ch not in writable]
    if not missing:
        return None
    absent = set(missing)
    unreadable = sum(not absent.isdisjoint(truth) for truth in truths)
    examples = ", ".join(f"{'␣' if ch == ' ' else ch} U+{ord(ch):04X}" for ch in missing[:GAP_EXAMPLES])
    more = ", ..." if len(missing) > GAP_EXAMPLES else ""
    return (
        f"its dictionary lacks {len(missing)} of the {len(counts)} characters in the truth ({examples}{more}): "
        f"{unreadable} of {len(truths)} lines ({unreadable / len(truths):.0%}) hold one and cannot be read exactly"
    )


def load_images(lines: Sequence[LabelledLine]) -> list[Image]:
    """Decode every line's image (refused before decoding when its header declares over LINE_MAX_PIXELS).

    Raises:
        DatasetError: an image is missing, unreadable or too large (naming the label file line).
    """
    limit = inference_image.LINE_MAX_PIXELS
    images = []
    for line in lines:
        try:
            if line.png is None:
                images.append(inference_image.load(line.image, limit))
            else:
                images.append(inference_image.decode(line.png, str(line.image), limit))
        except DatasetError as exc:
            raise DatasetError(f"{line.source}: {exc}") from None
    return images


@dataclass(frozen=True)
class Run:
    """An engine's readings of every line and the time they took."""

    readings: list[Reading]
    seconds: float


def run_engines(engines: Sequence[Engine], images: Sequence[Image]) -> dict[str, Run]:
    """Let every engine read the lines; an ensemble reuses its members' readings when they are listed too."""
    runs: dict[str, Run] = {}

    def run(engine: Engine) -> Run:
        if engine.name not in runs:
            if isinstance(engine, Ensemble):
                members = [run(member) for member in engine.members]
                readings = engine.combine([m.readings for m in members])
                runs[engine.name] = Run(readings, sum(m.seconds for m in members))
            else:
                start = time.perf_counter()
                readings = engine.read(images)
                runs[engine.name] = Run(readings, time.perf_counter() - start)
        return runs[engine.name]

    for engine in engines:
        run(engine)
    return runs


def score_run(name: str, run: Run, lines: Sequence[LabelledLine]) -> EngineScore:
    """Compare one engine's readings with the labels."""
    scores = tuple(score_line(line.truth, r.text, r.confidence) for line, r in zip(lines, run.readings, strict=True))
    grouped: dict[str, list[LineScore]] = defaultdict(list)
    for line, line_score in zip(lines, scores, strict=True):
        if line.category is not None:
            grouped[line.category].append(line_score)
    return EngineScore(
        engine=name,
        summary=summarize(scores),
        by_category={category: summarize(group) for category, group in sorted(grouped.items())},
        confusions=confusions(scores, TOP_CONFUSIONS),
        lines=scores,
        seconds=run.seconds,
    )


def score(engines: Sequence[Engine], lines: Sequence[LabelledLine], images: Sequence[Image]) -> list[EngineScore]:
    """Score every engine on the same lines (`images`: the lines' decoded images), in the order given."""
    runs = run_engines(engines, images)
    return [score_run(engine.name, runs[engine.name], lines) for engine in engines]
