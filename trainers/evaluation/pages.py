"""Score a detector (and a recognizer behind it) on a PaddleOCR detection label file, page by page.

A det set is a label file (`image path<TAB>[{"transcription", "points"}, ...]`) or a thaigen det folder
(its val.txt by default). A thaigen folder adds, from manifest.json, the recipe that built it and, from
samples.jsonl, each page's layout and each line's element, and the figures are also reported per recipe,
layout and element. Detection figures are PaddleOCR's DetMetric (det_metrics.match_page); end to end, each
counted true line is read when the box matched to it reads exactly its transcription.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from thaigen.dataset import paths
from thaigen.dataset.detection import DetBox, det_page, is_det_set
from thaigen.dataset.labels import read_labels
from thaigen.dataset.manifest import read_manifest
from thaigen.dataset.samples import records_by_image
from thaigen.errors import DatasetError
from trainers.evaluation.det_metrics import (
    DetSummary,
    E2ESummary,
    LineResult,
    PageMatch,
    det_summary,
    line_results,
    match_page,
    summarize_det,
    summarize_e2e,
)
from trainers.inference import image as inference_image
from trainers.inference.engine import Engine
from trainers.inference.image import Image
from trainers.inference.pages import PageDetector, PageReader

UNKNOWN = "(unknown)"
"""Group name for pages or lines a dataset does not describe (no manifest or samples.jsonl)."""


@dataclass(frozen=True)
class TruePage:
    """One page of a det label file with what the dataset says about it."""

    image: Path
    boxes: tuple[DetBox, ...]
    elements: tuple[str, ...]
    """Per box: its layout element (heading, value, ...) from samples.jsonl, else UNKNOWN."""
    layout: str
    recipe: str
    where: str
    """label_file:line, for messages."""


def _recipe(root: Path) -> str:
    path = root / paths.MANIFEST
    if not path.is_file():
        return UNKNOWN
    config = read_manifest(path).get("config")
    return str(config.get("recipe", UNKNOWN)) if isinstance(config, dict) else UNKNOWN


def _elements(record: dict[str, Any] | None, boxes: Sequence[DetBox], where: str) -> tuple[str, ...]:
    if record is None:
        return (UNKNOWN,) * len(boxes)
    lines = record.get("lines")
    if not isinstance(lines, list) or len(lines) != len(boxes):
        count = len(lines) if isinstance(lines, list) else 0
        raise DatasetError(f"{where}: {len(boxes)} boxes but its samples.jsonl record has {count} lines")
    return tuple(str(line.get("element") or UNKNOWN) for line in lines)


def true_pages(label_file: Path, data_dir: Path | None = None) -> list[TruePage]:
    """Read a det label file; image paths are relative to `data_dir` (default: the file's folder).

    Raises:
        DatasetError: a recognition label file, a malformed line, records that disagree with it, or no pages.
    """
    if not is_det_set([label_file]):
        raise DatasetError(f"{label_file} holds recognition labels, not det boxes: score it with --task rec")
    root = data_dir or label_file.parent
    records = records_by_image(root)
    recipe = _recipe(root)
    pages = []
    for line in read_labels(label_file):
        page = det_page(line)
        record = records.get(page.path)
        layout = str(record.get("layout") or UNKNOWN) if record else UNKNOWN
        elements = _elements(record, page.boxes, page.where)
        pages.append(TruePage(root / page.path, page.boxes, elements, layout, recipe, page.where))
    if not pages:
        raise DatasetError(f"{label_file} has no pages")
    return pages


@dataclass(frozen=True)
class Prediction:
    """One detected box and, end to end, its reading."""

    points: np.ndarray
    det_score: float
    text: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class PageResult:
    """What the models found on one page and how it matched the truth."""

    page: TruePage
    predictions: tuple[Prediction, ...]
    match: PageMatch
    lines: tuple[LineResult, ...]
    """End to end only: one per counted true line, in match.truth_care order."""
    seconds: float
    """Detection (and recognition) time, image decoding excluded."""


def load_page(page: TruePage) -> Image:
    """Decode a page's image.

    Raises:
        DatasetError: missing or unreadable (naming the label file line).
    """
    try:
        return inference_image.load(page.image)
    except DatasetError as exc:
        raise DatasetError(f"{page.where}: {exc}") from None


def _predict(detector: PageDetector, recognizer: Engine | None) -> Callable[[Image], list[Prediction]]:
    if recognizer is None:
        return lambda image: [Prediction(d.points, d.score) for d in detector.detect(image)]
    reader = PageReader(detector, recognizer)
    return lambda image: [
        Prediction(line.points, line.det_score, line.text, line.confidence) for line in reader.read_page(image)
    ]


def score_page(page: TruePage, predictions: Sequence[Prediction], seconds: float, end_to_end: bool) -> PageResult:
    """Match one page's predictions against its boxes."""
    match = match_page([b.points for b in page.boxes], [b.ignored for b in page.boxes], [p.points for p in predictions])
    lines: list[LineResult] = []
    if end_to_end:
        texts = [b.transcription for b in page.boxes]
        lines = line_results(match, texts, [p.text or "" for p in predictions])
    return PageResult(page, tuple(predictions), match, tuple(lines), seconds)


def score_pages(
    pages: Sequence[TruePage], detector: PageDetector, recognizer: Engine | None = None
) -> list[PageResult]:
    """Detect (and with a recognizer, read) every page once, decoding one page at a time."""
    predict = _predict(detector, recognizer)
    results = []
    for page in pages:
        image = load_page(page)
        start = time.perf_counter()
        predictions = predict(image)
        results.append(score_page(page, predictions, time.perf_counter() - start, recognizer is not None))
    return results


@dataclass(frozen=True)
class GroupScore:
    """Figures over a group of pages (a recipe or a layout)."""

    det: DetSummary
    e2e: E2ESummary | None


@dataclass(frozen=True)
class ElementScore:
    """Figures over the counted true lines of one element: recall, and end to end."""

    lines: int
    matched: int
    recall: float
    e2e: E2ESummary | None


@dataclass(frozen=True)
class PageScores:
    """Everything `score --task det|e2e` reports."""

    overall: GroupScore
    by_recipe: dict[str, GroupScore]
    by_layout: dict[str, GroupScore]
    by_element: dict[str, ElementScore]
    results: tuple[PageResult, ...]
    seconds: float

    @property
    def ms_per_page(self) -> float:
        """Mean model time per page, ms."""
        return 1000 * self.seconds / len(self.results) if self.results else 0.0


def _group(results: Sequence[PageResult], end_to_end: bool) -> GroupScore:
    lines = [line for r in results for line in r.lines]
    return GroupScore(summarize_det(r.match for r in results), summarize_e2e(lines) if end_to_end else None)


def _by(results: Iterable[PageResult], key: Callable[[PageResult], str], end_to_end: bool) -> dict[str, GroupScore]:
    groups: dict[str, list[PageResult]] = defaultdict(list)
    for result in results:
        groups[key(result)].append(result)
    return {name: _group(group, end_to_end) for name, group in sorted(groups.items())}


def _by_element(results: Sequence[PageResult], end_to_end: bool) -> dict[str, ElementScore]:
    matched: dict[str, list[bool]] = defaultdict(list)
    lines: dict[str, list[LineResult]] = defaultdict(list)
    for result in results:
        paired = {truth for truth, _ in result.match.pairs}
        for k, i in enumerate(result.match.truth_care):
            element = result.page.elements[i]
            matched[element].append(i in paired)
            if end_to_end:
                lines[element].append(result.lines[k])
    scores = {}
    for element, flags in sorted(matched.items()):
        recall = det_summary(0, len(flags), 0, sum(flags)).recall
        e2e = summarize_e2e(lines[element]) if end_to_end else None
        scores[element] = ElementScore(len(flags), sum(flags), recall, e2e)
    return scores


def summarize_pages(results: Sequence[PageResult], end_to_end: bool) -> PageScores:
    """Overall figures and the breakdowns per recipe, layout and element."""
    return PageScores(
        overall=_group(results, end_to_end),
        by_recipe=_by(results, lambda r: r.page.recipe, end_to_end),
        by_layout=_by(results, lambda r: r.page.layout, end_to_end),
        by_element=_by_element(results, end_to_end),
        results=tuple(results),
        seconds=sum(r.seconds for r in results),
    )
