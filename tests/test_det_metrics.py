"""Detection metrics against PaddleOCR's own DetectionIoUEvaluator on random polygon sets; end-to-end figures."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainers.evaluation.det_metrics import (
    LineResult,
    det_summary,
    line_results,
    match_page,
    summarize_det,
    summarize_e2e,
)

Quad = list[tuple[float, float]]


@pytest.fixture(scope="module")
def paddle_iou(ppocr: Path) -> ModuleType:
    """ppocr/metrics/eval_det_iou.py itself, loaded alone (the package's __init__ pulls in every metric)."""
    path = ppocr / "ppocr" / "metrics" / "eval_det_iou.py"
    if not path.is_file():
        pytest.skip(f"no {path}: the PaddleOCR wheel lacks ppocr/metrics; set PADDLEOCR_SRC")
    spec = importlib.util.spec_from_file_location("eval_det_iou", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


coordinate = st.integers(0, 60)


@st.composite
def quads(draw: st.DrawFn) -> Quad:
    """Rectangles, jittered quads and arbitrary 4-gons (some self-intersecting or degenerate: invalid)."""
    kind = draw(st.sampled_from(["rect", "jitter", "free"]))
    if kind == "free":
        return [(draw(coordinate), draw(coordinate)) for _ in range(4)]
    x, y = draw(coordinate), draw(coordinate)
    w, h = draw(st.integers(1, 40)), draw(st.integers(1, 20))
    quad = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
    if kind == "jitter":
        quad = [(px + draw(st.integers(-3, 3)), py + draw(st.integers(-3, 3))) for px, py in quad]
    return quad


@st.composite
def pages(draw: st.DrawFn) -> tuple[list[Quad], list[bool], list[Quad]]:
    """True boxes with ignore flags, and predictions: shifted copies of true boxes mixed with random ones."""
    truth = draw(st.lists(quads(), max_size=8))
    ignored = draw(st.lists(st.booleans(), min_size=len(truth), max_size=len(truth)))
    predicted = []
    for quad in truth:
        if draw(st.booleans()):
            dx, dy, scale = draw(st.integers(-6, 6)), draw(st.integers(-3, 3)), draw(st.floats(0.6, 1.5))
            cx = sum(p[0] for p in quad) / 4
            predicted.append([(cx + (px - cx) * scale + dx, py + dy) for px, py in quad])
    predicted += draw(st.lists(quads(), max_size=5))
    return truth, ignored, draw(st.permutations(predicted))


def _paddle_figures(module: ModuleType, truth: list[Quad], ignored: list[bool], predicted: list[Quad]) -> dict:
    evaluator = module.DetectionIoUEvaluator()
    gt = [{"points": q, "text": "", "ignore": flag} for q, flag in zip(truth, ignored, strict=True)]
    return evaluator.evaluate_image(gt, [{"points": q, "text": ""} for q in predicted])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(pages(), min_size=1, max_size=4))
def test_figures_equal_paddleocrs_evaluator(paddle_iou: ModuleType, data: list) -> None:
    ours, theirs = [], []
    for truth, ignored, predicted in data:
        match = match_page(truth, ignored, predicted)
        paddle = _paddle_figures(paddle_iou, truth, ignored, predicted)
        assert (len(match.truth_care), len(match.predicted_care), match.matched) == (
            paddle["gtCare"],
            paddle["detCare"],
            paddle["detMatched"],
        )
        ours.append(match)
        theirs.append(paddle)
    summary = summarize_det(ours)
    combined = paddle_iou.DetectionIoUEvaluator().combine_results(theirs)
    assert (summary.precision, summary.recall, summary.hmean) == (
        combined["precision"],
        combined["recall"],
        combined["hmean"],
    )


def test_greedy_one_to_one_matching_and_ignored_regions() -> None:
    box = [(0, 0), (100, 0), (100, 20), (0, 20)]
    near = [(2, 0), (100, 0), (100, 20), (2, 20)]
    ignored_box = [(0, 50), (100, 50), (100, 70), (0, 70)]
    inside_ignored = [(10, 52), (60, 52), (60, 68), (10, 68)]
    bowtie = [(0, 0), (10, 10), (10, 0), (0, 10)]
    match = match_page([box, ignored_box, bowtie], [False, True, False], [near, box, inside_ignored])
    assert match.pairs == ((0, 0),)  # the first prediction over the threshold wins, not the best one
    assert match.truth_care == (0,) and match.invalid_truth == (2,)
    assert match.predicted_care == (0, 1)  # the one inside ### is discarded
    summary = summarize_det([match])
    assert (summary.precision, summary.recall) == (0.5, 1.0)
    assert summary.hmean == pytest.approx(2 / 3)


def test_iou_of_exactly_half_does_not_match() -> None:
    box = [(0, 0), (100, 0), (100, 10), (0, 10)]
    half = [(0, 0), (50, 0), (50, 10), (0, 10)]
    assert match_page([box], [False], [half]).pairs == ()


def test_no_counts_give_zeros() -> None:
    assert det_summary(0, 0, 0, 0).hmean == 0.0
    assert summarize_e2e([]).accuracy == 0.0


def test_cer_over_no_matched_line_is_undefined_not_zero() -> None:
    assert summarize_e2e([]).cer is None
    missed = summarize_e2e([LineResult("ไม่พบ", None, 0), LineResult("2566", None, 0)])
    assert (missed.missed_share, missed.accuracy, missed.cer) == (1.0, 0.0, None)
    assert summarize_e2e([LineResult("ไม่พบ", None, 0), LineResult("ab", "ab", 0)]).cer == 0.0


def test_e2e_reads_misses_and_cer_over_matched_lines_only() -> None:
    a = [(0, 0), (100, 0), (100, 20), (0, 20)]
    b = [(0, 40), (100, 40), (100, 60), (0, 60)]
    c = [(0, 80), (100, 80), (100, 100), (0, 100)]
    match = match_page([a, b, c], [False, False, False], [b, a])
    results = line_results(match, ["สวัสดี", "ครับ", "ไม่พบ"], ["ครบ", "สวัสดี"])
    assert results == [
        LineResult("สวัสดี", "สวัสดี", 0),
        LineResult("ครับ", "ครบ", 1),
        LineResult("ไม่พบ", None, 0),
    ]
    summary = summarize_e2e(results)
    assert (summary.lines, summary.read, summary.missed) == (3, 1, 1)
    assert summary.accuracy == pytest.approx(1 / 3) and summary.missed_share == pytest.approx(1 / 3)
    assert summary.cer == pytest.approx(1 / (6 + 4))
