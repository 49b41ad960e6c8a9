"""Cut a text region out of a page the way PaddleOCR's system hands detector boxes to the recogniser.

Mirrors `get_rotate_crop_image` in PaddleOCR's tools/infer/utility.py: a perspective warp of the
quadrilateral to an upright rectangle (width from its top and bottom edges, height from its sides,
cubic interpolation, replicated border), turned 90 degrees when it is at least 1.5 times taller than wide.
"""

from __future__ import annotations

import cv2
import numpy as np

TALL_RATIO = 1.5
"""Height / width at or above which PaddleOCR rotates the crop (vertical text read sideways)."""


def min_area_quad(points: np.ndarray) -> np.ndarray:
    """The smallest rotated rectangle around a polygon's points, as 4 float32 points clockwise from top-left."""
    rect = cv2.minAreaRect(points.astype(np.float32))
    corners = sorted(cv2.boxPoints(rect).tolist(), key=lambda p: p[0])
    left = sorted(corners[:2], key=lambda p: p[1])
    right = sorted(corners[2:], key=lambda p: p[1])
    return np.array([left[0], right[0], right[1], left[1]], dtype=np.float32)


def crop_quad(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The upright crop of a 4-point region (clockwise from top-left); polygons with more points use min_area_quad."""
    quad = points.astype(np.float32) if len(points) == 4 else min_area_quad(points)
    width = int(max(np.linalg.norm(quad[0] - quad[1]), np.linalg.norm(quad[2] - quad[3])))
    height = int(max(np.linalg.norm(quad[0] - quad[3]), np.linalg.norm(quad[1] - quad[2])))
    width, height = max(width, 1), max(height, 1)
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad, target)
    crop = cv2.warpPerspective(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE, flags=cv2.INTER_CUBIC)
    if crop.shape[0] / crop.shape[1] >= TALL_RATIO:
        crop = np.rot90(crop)
    return np.ascontiguousarray(crop)
