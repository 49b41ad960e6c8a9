"""Detection metrics as PaddleOCR's DetMetric computes them, and end-to-end reading of true lines.

`match_page` is PaddleOCR's DetectionIoUEvaluator.evaluate_image (ppocr/metrics/eval_det_iou.py) on
shapely: polygons shapely calls invalid are left out on both sides; a prediction whose area lies more
than half (area precision > 0.5) inside one ignored (`###`) true box is discarded; then, true boxes in
order, each takes the first unmatched prediction with IoU > 0.5 (one-to-one, greedy, not best-first).
`summarize_det` adds pages up as combine_results does. End to end, a true line is read when its
matched prediction's text equals its transcription exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from rapidfuzz.distance import Levenshtein

IOU = 0.5
"""A prediction matches a true box when their IoU is above this (DetectionIoUEvaluator's iou_constraint)."""
AREA_PRECISION = 0.5
"""A prediction over an ignored box by more than this share of its area is discarded (area_precision_constraint)."""

Points = np.ndarray | Sequence[Sequence[float]]
"""A polygon: N x 2 (x, y) pixels, N >= 3."""


@dataclass(frozen=True)
class PageMatch:
    """How one page's predictions pair with its true boxes (indices into the lists given to match_page)."""

    pairs: tuple[tuple[int, int], ...]
    """(true box, prediction) matched one-to-one, in matching order."""
    truth_care: tuple[int, ...]
    """Valid true boxes that count: not ignored."""
    predicted_care: tuple[int, ...]
    """Valid predictions that count: not discarded over an ignored box."""
    invalid_truth: tuple[int, ...]
    """True boxes shapely calls invalid (self-intersecting, degenerate): left out, as PaddleOCR does."""

    @property
    def matched(self) -> int:
        """Matched pairs (DetectionIoUEvaluator's detMatched)."""
        return len(self.pairs)


def _polygons(boxes: Sequence[Points]) -> np.ndarray:
    return np.array([shapely.Polygon(np.asarray(b, dtype=np.float64)) for b in boxes], dtype=object)


def _areas(first: np.ndarray, second: np.ndarray, op: str) -> np.ndarray:
    """Area of `first[i] op second[j]` for every i, j, computed only where their bounding boxes overlap."""
    out = np.zeros((len(first), len(second)))
    if not len(first) or not len(second):
        return out
    a, b = shapely.bounds(first), shapely.bounds(second)
    overlap = (
        (a[:, None, 0] < b[None, :, 2])
        & (b[None, :, 0] < a[:, None, 2])
        & (a[:, None, 1] < b[None, :, 3])
        & (b[None, :, 1] < a[:, None, 3])
    )
    i, j = np.nonzero(overlap)
    if op == "intersection":
        out[i, j] = shapely.area(shapely.intersection(first[i], second[j]))
    else:
        out[i, j] = shapely.area(shapely.union(first[i], second[j]))
    return out


def match_page(
    truth: Sequence[Points],
    ignored: Sequence[bool],
    predicted: Sequence[Points],
    *,
    iou: float = IOU,
    area_precision: float = AREA_PRECISION,
) -> PageMatch:
    """Pair a page's predictions with its true boxes exactly as PaddleOCR's DetectionIoUEvaluator.

    Args:
        truth: true polygons, image pixels.
        ignored: per true polygon, whether it is `###` (don't care).
        predicted: predicted polygons, image pixels, in the detector's order (the order decides ties).
    """
    if len(truth) != len(ignored):
        raise ValueError(f"{len(truth)} true boxes but {len(ignored)} ignore flags")
    truth_polygons, predicted_polygons = _polygons(truth), _polygons(predicted)
    valid_truth = [i for i, p in enumerate(truth_polygons) if p.is_valid]
    valid_predicted = [j for j, p in enumerate(predicted_polygons) if p.is_valid]
    gts, dets = truth_polygons[valid_truth], predicted_polygons[valid_predicted]
    dont_care_truth = {k for k, i in enumerate(valid_truth) if ignored[i]}

    dont_care_det: set[int] = set()
    if dont_care_truth:
        order = sorted(dont_care_truth)
        inside = _areas(gts[order], dets, "intersection")  # Polygon(ignored).intersection(Polygon(det))
        det_area = shapely.area(dets)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(det_area > 0, inside / np.where(det_area > 0, det_area, 1), 0.0)
        dont_care_det = {k for k in range(len(dets)) if np.any(share[:, k] > area_precision)}

    pairs: list[tuple[int, int]] = []
    if len(gts) and len(dets):
        intersection = _areas(dets, gts, "intersection").T  # Polygon(det).intersection(Polygon(gt))
        union = _areas(dets, gts, "union").T
        with np.errstate(divide="ignore", invalid="ignore"):
            ious = np.where(union > 0, intersection / np.where(union > 0, union, 1), 0.0)
        det_taken = np.zeros(len(dets), bool)
        for g in range(len(gts)):
            if g in dont_care_truth:
                continue
            for d in range(len(dets)):
                if not det_taken[d] and d not in dont_care_det and ious[g, d] > iou:
                    det_taken[d] = True
                    pairs.append((valid_truth[g], valid_predicted[d]))
                    break
    return PageMatch(
        pairs=tuple(pairs),
        truth_care=tuple(i for k, i in enumerate(valid_truth) if k not in dont_care_truth),
        predicted_care=tuple(j for k, j in enumerate(valid_predicted) if k not in dont_care_det),
        invalid_truth=tuple(i for i, p in enumerate(truth_polygons) if not p.is_valid),
    )


@dataclass(frozen=True)
class DetSummary:
    """Detection figures over pages (PaddleOCR's combine_results), rates in [0, 1]."""

    pages: int
    truth: int
    """True boxes that count."""
    predicted: int
    """Predictions that count."""
    matched: int
    precision: float
    recall: float
    hmean: float


def _rate(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def det_summary(pages: int, truth: int, predicted: int, matched: int) -> DetSummary:
    """Precision, recall and hmean from counts (0 where a count is 0, as combine_results)."""
    precision, recall = _rate(matched, predicted), _rate(matched, truth)
    hmean = _rate(2 * precision * recall, precision + recall)
    return DetSummary(pages, truth, predicted, matched, precision, recall, hmean)


def summarize_det(matches: Iterable[PageMatch]) -> DetSummary:
    """Add pages up: matched over all counted predictions and all counted true boxes."""
    pages = list(matches)
    return det_summary(
        len(pages),
        sum(len(m.truth_care) for m in pages),
        sum(len(m.predicted_care) for m in pages),
        sum(m.matched for m in pages),
    )


@dataclass(frozen=True)
class LineResult:
    """What became of one counted true line end to end."""

    truth: str
    prediction: str | None
    """The matched box's reading; None when no box matched (missed)."""
    char_edits: int
    """Levenshtein distance to the reading (0 when missed: CER is over matched lines)."""

    @property
    def read(self) -> bool:
        """Matched and read exactly."""
        return self.prediction == self.truth

    @property
    def missed(self) -> bool:
        """No predicted box matched it."""
        return self.prediction is None


def line_results(match: PageMatch, truths: Sequence[str], readings: Sequence[str]) -> list[LineResult]:
    """One result per counted true line of a page, in `match.truth_care` order (`readings`: per prediction)."""
    paired = dict(match.pairs)
    results = []
    for i in match.truth_care:
        prediction = readings[paired[i]] if i in paired else None
        edits = 0 if prediction is None else Levenshtein.distance(truths[i], prediction)
        results.append(LineResult(truths[i], prediction, edits))
    return results


@dataclass(frozen=True)
class E2ESummary:
    """End-to-end figures over true lines, rates in [0, 1]."""

    lines: int
    read: int
    missed: int
    accuracy: float
    """Read exactly / true lines."""
    cer: float | None
    """Character edits / truth code points, over matched lines only; None when no line matched (undefined)."""
    missed_share: float
    """True lines no box matched / true lines."""


def summarize_e2e(results: Iterable[LineResult]) -> E2ESummary:
    """Aggregate line results (zeros for none, but CER None: it is over matched lines only)."""
    lines = list(results)
    matched = [r for r in lines if not r.missed]
    read, missed = sum(r.read for r in lines), len(lines) - len(matched)
    truth_points = sum(len(r.truth) for r in matched)
    return E2ESummary(
        lines=len(lines),
        read=read,
        missed=missed,
        accuracy=_rate(read, len(lines)),
        cer=sum(r.char_edits for r in matched) / truth_points if truth_points else None,
        missed_share=_rate(missed, len(lines)),
    )
