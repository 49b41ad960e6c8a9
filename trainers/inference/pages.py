"""Read whole pages: detect text boxes, cut each out as PaddleOCR's system does, recognise the crops.

    reader = PageReader(Detector.load(Path("models/det")), Recognizer.load(Path("models/rec")))
    for line in reader.read_page(inference_image.load(Path("page.png"))):
        print(line.points.tolist(), line.text, line.confidence)

Boxes come from the detector in PaddleOCR's reading order (sorted_boxes); each is cropped with
thaigen.compose.quad.crop_quad (PaddleOCR's get_rotate_crop_image) and the crops are read in the
recognizer's batches. No line is dropped for a low recognition score (PaddleOCR's drop_score): callers
see every box with both scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from thaigen.compose.quad import crop_quad
from trainers.inference.db import Detection
from trainers.inference.engine import Engine, Reading
from trainers.inference.image import Image


class NoTextLines(UserWarning):
    """The detector found no text line on a page: the reader prints nothing for it."""


class PageDetector(Protocol):
    """Finds text boxes on a page (trainers.inference.detector.Detector)."""

    @property
    def name(self) -> str:
        """Short name for reports."""
        ...

    def detect(self, image_bgr: Image) -> list[Detection]:
        """Boxes on one BGR page, in reading order."""
        ...


@dataclass(frozen=True)
class PageLine:
    """One text line found and read on a page."""

    points: np.ndarray
    """float32 (4, 2) page pixels, clockwise from the top-left corner."""
    text: str
    confidence: float
    """Recognition confidence in [0, 1]."""
    det_score: float
    """Detection score in [0, 1]."""

    def as_json(self) -> dict[str, Any]:
        """The line as JSON-ready values: points as [[x, y], ...] integer pixels."""
        return {
            "points": np.rint(self.points).astype(int).tolist(),
            "text": self.text,
            "confidence": round(self.confidence, 6),
            "det_score": round(self.det_score, 6),
        }


def crop_lines(image_bgr: Image, detections: Sequence[Detection]) -> list[Image]:
    """Each detected box cut out upright (PaddleOCR's get_rotate_crop_image), in the detections' order."""
    return [crop_quad(image_bgr, d.points) for d in detections]


def page_lines(detections: Sequence[Detection], readings: Sequence[Reading]) -> list[PageLine]:
    """Pair each detection with the reading of its crop."""
    return [PageLine(d.points, r.text, r.confidence, d.score) for d, r in zip(detections, readings, strict=True)]


class PageReader:
    """A detector and a recognizer reading whole pages."""

    def __init__(self, detector: PageDetector, recognizer: Engine) -> None:
        self.detector = detector
        self.recognizer = recognizer

    @property
    def name(self) -> str:
        """'detector + recognizer', for reports."""
        return f"{self.detector.name} + {self.recognizer.name}"

    def read_page(self, image_bgr: Image) -> list[PageLine]:
        """Every text line on a uint8 H x W x 3 BGR page, in reading order."""
        detections = self.detector.detect(image_bgr)
        return page_lines(detections, self.recognizer.read(crop_lines(image_bgr, detections)))
