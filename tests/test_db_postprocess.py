"""thaigen's DB pre/post-processing and reading order against PaddleOCR's own code on the same inputs."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from trainers.inference.db import DBParams, Detection, boxes_from_map, finish, order_clockwise
from trainers.inference.detector import DetectorSettings, preprocess
from trainers.inference.reading_order import reading_order, sorted_boxes

pytestmark = pytest.mark.filterwarnings(
    "ignore:No ccache found:UserWarning",  # paddle's import-time notice about C++ extension builds
    "ignore:invalid escape sequence:DeprecationWarning",  # PaddleOCR v3.0.0 source regexes (ppocr/postprocess)
)


def probability_map(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A map like a DB head's: blurred rotated text bars of mixed confidence, sizes and cuts, plus speckle."""
    prob = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(5, 40))):
        centre = (float(rng.uniform(-10, width + 10)), float(rng.uniform(-10, height + 10)))
        size = (float(rng.uniform(2, width / 3)), float(rng.uniform(1, 30)))
        corners = cv2.boxPoints((centre, size, float(rng.uniform(-40, 40))))
        cv2.fillPoly(prob, [corners.astype(np.int32)], float(rng.uniform(0.4, 1.0)))
    blurred = cv2.GaussianBlur(prob, (5, 5), float(rng.uniform(0.5, 1.5)))
    speckle = rng.uniform(0, 0.5, prob.shape) * (rng.random(prob.shape) < 0.002)
    return np.clip(blurred + speckle, 0, 1).astype(np.float32)


SIZES = [((640, 640), (640, 640)), ((960, 704), (1600, 1173)), ((96, 320), (90, 300)), ((1248, 960), (1248, 960))]


def test_boxes_match_paddleocr_dbpostprocess(ppocr: Path) -> None:
    from ppocr.postprocess.db_postprocess import DBPostProcess
    from tools.infer.predict_det import TextDetector

    params = DBParams()
    theirs = DBPostProcess(
        thresh=params.thresh,
        box_thresh=params.box_thresh,
        max_candidates=params.max_candidates,
        unclip_ratio=params.unclip_ratio,
    )
    detector = TextDetector.__new__(TextDetector)  # only its filter_tag_det_res, which reads no settings
    rng = np.random.default_rng(3)
    total = kept = 0
    for trial in range(40):
        (map_h, map_w), (src_h, src_w) = SIZES[trial % len(SIZES)]
        prob = probability_map(rng, map_h, map_w)
        shape = np.array([[src_h, src_w, map_h / src_h, map_w / src_w]])
        expected = theirs({"maps": prob[np.newaxis, np.newaxis]}, shape)[0]["points"]
        ours = boxes_from_map(prob, (src_h, src_w), params)
        assert [d.points.tolist() for d in ours] == np.asarray(expected, np.float32).tolist(), trial
        final = finish(ours, (src_h, src_w))
        assert [d.points.tolist() for d in final] == detector.filter_tag_det_res(expected, (src_h, src_w)).tolist()
        total, kept = total + len(ours), kept + len(final)
    assert total > 100 and 0 < kept <= total  # the maps exercised the thresholds, not just empty pages


def test_scores_are_mean_probability_inside_box() -> None:
    prob = np.zeros((64, 128), np.float32)
    prob[20:40, 10:110] = 0.9
    (found,) = boxes_from_map(prob, (64, 128))
    assert found.score == pytest.approx(0.9, abs=1e-6)
    grown = found.points
    assert grown[:, 0].min() < 10 and grown[:, 0].max() > 109 and grown[:, 1].min() < 20 and grown[:, 1].max() > 39
    prob[20:40, 10:110] = 0.5  # above thresh, under box_thresh
    assert boxes_from_map(prob, (64, 128)) == []


def test_order_clockwise_from_top_left() -> None:
    shuffled = np.array([[90, 40], [10, 12], [12, 42], [88, 10]], np.float32)
    assert order_clockwise(shuffled).tolist() == [[10, 12], [88, 10], [90, 40], [12, 42]]


def test_finish_drops_slivers_and_clips() -> None:
    sliver = Detection(np.array([[0, 0], [50, 0], [50, 3], [0, 3]], np.float32), 0.9)
    outside = Detection(np.array([[-5, 10], [200, 10], [200, 30], [-5, 30]], np.float32), 0.8)
    (clipped,) = finish([sliver, outside], (100, 150))
    assert clipped.points.tolist() == [[0, 10], [149, 10], [149, 30], [0, 30]] and clipped.score == 0.8


def test_reading_order_matches_paddleocr_sorted_boxes(ppocr: Path) -> None:
    from tools.infer.predict_system import sorted_boxes as paddle_sorted

    rng = np.random.default_rng(5)
    for _ in range(50):
        count = int(rng.integers(0, 25))
        tops = rng.choice([rng.uniform(0, 1000, count), np.repeat(rng.uniform(0, 900, 1), count)])
        boxes = []
        for top in tops + rng.uniform(-12, 12, count):
            left = float(rng.uniform(0, 800))
            boxes.append(np.array([[left, top], [left + 90, top], [left + 90, top + 30], [left, top + 30]], np.float32))
        ours = sorted_boxes(boxes)
        theirs = paddle_sorted(np.array(boxes).reshape(-1, 4, 2))
        assert [b.tolist() for b in ours] == [b.tolist() for b in theirs]


def test_reading_order_same_line_rule() -> None:
    right = np.array([[300, 102], [400, 102], [400, 130], [300, 130]], np.float32)
    left = np.array([[10, 108], [90, 108], [90, 136], [10, 136]], np.float32)
    below = np.array([[5, 140], [90, 140], [90, 170], [5, 170]], np.float32)
    assert reading_order([below, right, left]) == [2, 1, 0]  # within 10 px: left to right; then the next line


@pytest.mark.parametrize("size", [(1600, 1131), (700, 990), (20, 30), (961, 961)])
@pytest.mark.parametrize("limit", [(960, "max"), (1280, "max"), (736, "min")])
def test_preprocess_matches_paddleocr_operators(ppocr: Path, size: tuple[int, int], limit: tuple[int, str]) -> None:
    from ppocr.data import create_operators, transform

    ops = create_operators(
        [
            {"DetResizeForTest": {"limit_side_len": limit[0], "limit_type": limit[1]}},
            {
                "NormalizeImage": {
                    "std": [0.229, 0.224, 0.225],
                    "mean": [0.485, 0.456, 0.406],
                    "scale": "1./255.",
                    "order": "hwc",
                }
            },
            {"ToCHWImage": None},
            {"KeepKeys": {"keep_keys": ["image", "shape"]}},
        ]
    )
    image = np.random.default_rng(1).integers(0, 256, (*size, 3), dtype=np.uint8)
    expected, _ = transform({"image": image.copy()}, ops)
    ours = preprocess(image, DetectorSettings(limit[0], limit[1]))
    assert ours.shape == (1, *expected.shape) and ours.dtype == np.float32
    assert np.array_equal(ours[0], expected)
