"""DB (Differentiable Binarization) post-process: a text probability map in, scored quadrilaterals out.

A port of PaddleOCR v3.0.0's `DBPostProcess` (ppocr/postprocess/db_postprocess.py, quad boxes, "fast"
score) and of predict_det's `filter_tag_det_res`, so inference needs neither PaddleOCR's source nor
paddle: the map is thresholded, each contour's minimum-area rectangle is scored by the mean probability
inside it, grown by `area * unclip_ratio / perimeter` (pyclipper, round joins), boxed again and scaled
back to the source image. tests/test_db_postprocess.py checks it against PaddleOCR's own class.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pyclipper
from shapely.geometry import Polygon

MIN_SIZE = 3
"""Shorter side, map px, under which a contour is dropped (PaddleOCR's `min_size`; +2 after unclipping)."""


@dataclass(frozen=True)
class DBParams:
    """DB post-process settings; the defaults are PaddleOCR's inference defaults for DB detectors."""

    thresh: float = 0.3
    """Probability above which a map pixel is text."""
    box_thresh: float = 0.6
    """Mean probability inside a box under which it is dropped."""
    unclip_ratio: float = 1.5
    """How far a shrunk text kernel is grown back: offset = area * ratio / perimeter."""
    max_candidates: int = 1000
    """Contours considered per image, in OpenCV's order."""


DEFAULT_DB = DBParams()


@dataclass(frozen=True)
class Detection:
    """One detected text region in source-image pixels.

    Attributes:
        points: float32 (4, 2), x then y, clockwise from the top-left corner.
        score: mean text probability inside the box before unclipping, in [0, 1].
    """

    points: np.ndarray
    score: float


def mini_box(contour: np.ndarray) -> tuple[np.ndarray, float]:
    """The minimum-area rectangle of `contour`, corners ordered as PaddleOCR's get_mini_boxes, and its short side."""
    rect = cv2.minAreaRect(contour)
    points = sorted(cv2.boxPoints(rect).tolist(), key=lambda p: p[0])
    first, fourth = (0, 1) if points[1][1] > points[0][1] else (1, 0)
    second, third = (2, 3) if points[3][1] > points[2][1] else (3, 2)
    box = np.array([points[first], points[second], points[third], points[fourth]], dtype=np.float32)
    return box, float(min(rect[1]))


def box_score(prob: np.ndarray, box: np.ndarray) -> float:
    """Mean of `prob` inside the polygon `box` (PaddleOCR's box_score_fast: integer-filled, bounding-box crop)."""
    height, width = prob.shape
    xmin = int(np.clip(np.floor(box[:, 0].min()), 0, width - 1))
    xmax = int(np.clip(np.ceil(box[:, 0].max()), 0, width - 1))
    ymin = int(np.clip(np.floor(box[:, 1].min()), 0, height - 1))
    ymax = int(np.clip(np.ceil(box[:, 1].max()), 0, height - 1))
    mask = np.zeros((ymax - ymin + 1, xmax - xmin + 1), dtype=np.uint8)
    shifted = box - np.array([xmin, ymin], dtype=box.dtype)
    cv2.fillPoly(mask, shifted.reshape(1, -1, 2).astype(np.int32), 1)
    return float(cv2.mean(prob[ymin : ymax + 1, xmin : xmax + 1], mask)[0])


def unclip(box: np.ndarray, ratio: float) -> list[list[list[int]]]:
    """`box` offset outwards by area * ratio / perimeter (pyclipper round joins); one path per resulting polygon."""
    polygon = Polygon(box)
    distance = polygon.area * ratio / polygon.length
    offset = pyclipper.PyclipperOffset()
    offset.AddPath(box, pyclipper.JT_ROUND, pyclipper.ET_CLOSEDPOLYGON)
    return list(offset.Execute(distance))


def boxes_from_map(prob: np.ndarray, source_hw: tuple[int, int], params: DBParams = DEFAULT_DB) -> list[Detection]:
    """DB quadrilaterals of one H x W probability map, scaled to an image of `source_hw` (height, width) px.

    Boxes come in OpenCV's contour order, corners as PaddleOCR's DBPostProcess gives them (rounded,
    clipped to [0, width] x [0, height]).
    """
    height, width = prob.shape
    dest_h, dest_w = np.float64(source_hw[0]), np.float64(source_hw[1])  # float64 as PaddleOCR's shape_list
    bitmap = (prob > params.thresh).astype(np.uint8) * 255
    contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    detections = []
    for contour in contours[: params.max_candidates]:
        points, short_side = mini_box(contour)
        if short_side < MIN_SIZE:
            continue
        score = box_score(prob, points)
        if params.box_thresh > score:
            continue
        grown = unclip(points, params.unclip_ratio)
        if len(grown) > 1:
            continue
        box, short_side = mini_box(np.array(grown, dtype=np.int32).reshape(-1, 1, 2))
        if short_side < MIN_SIZE + 2:
            continue
        box[:, 0] = np.clip(np.round(box[:, 0] / width * dest_w), 0, dest_w)
        box[:, 1] = np.clip(np.round(box[:, 1] / height * dest_h), 0, dest_h)
        detections.append(Detection(box.astype(np.int32).astype(np.float32), score))
    return detections


def order_clockwise(points: np.ndarray) -> np.ndarray:
    """Four corners as top-left, top-right, bottom-right, bottom-left (PaddleOCR's order_points_clockwise)."""
    ordered = np.zeros((4, 2), dtype=np.float32)
    sums = points.sum(axis=1)
    ordered[0], ordered[2] = points[np.argmin(sums)], points[np.argmax(sums)]
    rest = np.delete(points, (np.argmin(sums), np.argmax(sums)), axis=0)
    diffs = np.diff(rest, axis=1)
    ordered[1], ordered[3] = rest[np.argmin(diffs)], rest[np.argmax(diffs)]
    return ordered


def finish(detections: list[Detection], image_hw: tuple[int, int]) -> list[Detection]:
    """predict_det's last step: corners ordered clockwise, clipped inside the image, boxes 3 px or thinner dropped."""
    height, width = image_hw
    kept = []
    for detection in detections:
        box = order_clockwise(detection.points)
        box[:, 0] = np.clip(box[:, 0], 0, width - 1).astype(np.int32)
        box[:, 1] = np.clip(box[:, 1], 0, height - 1).astype(np.int32)
        if int(np.linalg.norm(box[0] - box[1])) <= 3 or int(np.linalg.norm(box[0] - box[3])) <= 3:
            continue
        kept.append(Detection(box, detection.score))
    return kept
