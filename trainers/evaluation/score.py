"""Score engines on a PaddleOCR recognition label file: every engine reads the same lines, once.

A dataset is a label file (`image path<TAB>label` per line, paths relative to a data folder) or a
thaigen dataset folder (its val.txt by default). A thaigen folder's samples.jsonl gives each line a
category, and the figures are also reported per category.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from thaigen.dataset import paths
from thaigen.errors import DatasetError
from trainers.evaluation.metrics import LineScore, Summary, confusions, score_line, summarize
from trainers.inference import image as inference_image
from trainers.inference.engine import Engine, Reading
from trainers.inference.ensemble import Ensemble
from trainers.inference.image import Image

TOP_CONFUSIONS = 20


@dataclass(frozen=True)
class LabelledLine:
    """One line of a label file."""

    image: Path
    truth: str
    category: str | None
    source: str
    """label_file:line_number, for messages."""


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


def categories(data_dir: Path) -> dict[str, str]:
    """Image path (as written in label files) -> category, from a thaigen samples.jsonl (empty if none)."""
    path = data_dir / paths.SAMPLES
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as handle:
        records = (json.loads(line) for line in handle)
        return {paths.image_relpath(int(r["index"])): str(r["category"]) for r in records}


def read_labels(label_file: Path, data_dir: Path | None = None) -> list[LabelledLine]:
    """Read a PaddleOCR rec label file; image paths are relative to `data_dir` (default: the file's folder).

    Raises:
        DatasetError: a line without a TAB, or an empty file.
    """
    root = data_dir or label_file.parent
    category = categories(root)
    lines = []
    with label_file.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\n").rstrip("\r")
            if not line:
                continue
            path, tab, label = line.partition("\t")
            if not tab:
                raise DatasetError(f"{label_file}:{number}: no TAB between image path and label")
            lines.append(LabelledLine(root / path, label.split("\t")[0], category.get(path), f"{label_file}:{number}"))
    if not lines:
        raise DatasetError(f"{label_file} has no labelled lines")
    return lines


def load_images(lines: Sequence[LabelledLine]) -> list[Image]:
    """Decode every line's image.

    Raises:
        DatasetError: an image is missing or unreadable (naming the label file line).
    """
    images = []
    for line in lines:
        try:
            images.append(inference_image.load(line.image))
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
