"""Write page scores: report.json (every figure, page and box), a text summary, and PNGs of the worst pages.

Each drawn page shows its true boxes in green, its ignored (`###`) boxes in orange and the predicted boxes
in magenta, so a miss is a green box alone and a false alarm a magenta one alone.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from trainers.evaluation.det_metrics import DetSummary, E2ESummary, det_summary
from trainers.evaluation.pages import GroupScore, PageResult, PageScores, load_page
from trainers.evaluation.report import REPORT_JSON, write_json

PAGES_DIR = "pages"
TRUE_BGR = (0, 170, 0)
IGNORED_BGR = (0, 140, 255)
PREDICTED_BGR = (255, 0, 200)
LINE_PX = 2


def _points(points: Any) -> list[list[int]]:
    return np.rint(np.asarray(points, dtype=np.float64)).astype(int).tolist()


def _page_json(result: PageResult) -> dict[str, Any]:
    paired = dict(result.match.pairs)
    line_of = dict(zip(result.match.truth_care, result.lines, strict=False))
    return {
        "image": str(result.page.image),
        "layout": result.page.layout,
        "seconds": result.seconds,
        "det": asdict(summarize_page(result)),
        "truth": [
            {
                "transcription": box.transcription,
                "points": _points(box.points),
                "element": result.page.elements[i],
                "ignored": box.ignored,
                "matched_prediction": paired.get(i),
                "reading": line_of[i].prediction if i in line_of else None,
            }
            for i, box in enumerate(result.page.boxes)
        ],
        "predictions": [
            {"points": _points(p.points), "det_score": p.det_score, "text": p.text, "confidence": p.confidence}
            for p in result.predictions
        ],
    }


def summarize_page(result: PageResult) -> DetSummary:
    """One page's detection figures."""
    m = result.match
    return det_summary(1, len(m.truth_care), len(m.predicted_care), m.matched)


def _group_json(group: GroupScore) -> dict[str, Any]:
    return {"det": asdict(group.det), "e2e": asdict(group.e2e) if group.e2e else None}


def report_json(dataset: str, models: dict[str, str], scores: PageScores) -> dict[str, Any]:
    """Every figure, breakdown and page."""
    return {
        "dataset": dataset,
        "models": models,
        "pages": len(scores.results),
        "seconds": scores.seconds,
        "ms_per_page": scores.ms_per_page,
        "overall": _group_json(scores.overall),
        "by_recipe": {k: _group_json(v) for k, v in scores.by_recipe.items()},
        "by_layout": {k: _group_json(v) for k, v in scores.by_layout.items()},
        "by_element": {k: asdict(v) for k, v in scores.by_element.items()},
        "page_results": [_page_json(r) for r in scores.results],
    }


def _det_cells(det: DetSummary) -> str:
    return f"P {det.precision:.3f}  R {det.recall:.3f}  H {det.hmean:.3f}  ({det.matched}/{det.truth} true, {det.predicted} predicted)"


def _e2e_cells(e2e: E2ESummary | None) -> str:
    if e2e is None:
        return ""
    cer = "n/a (no line matched)" if e2e.cer is None else f"{e2e.cer:.3f}"
    return f"  |  e2e acc {e2e.accuracy:.3f}  CER {cer}  missed {e2e.missed_share:.3f}"


def summary_text(scores: PageScores) -> str:
    """Overall, per recipe, per layout and per element figures, one line each."""
    rows = [f"overall: {_det_cells(scores.overall.det)}{_e2e_cells(scores.overall.e2e)}"]
    for title, groups in (("recipe", scores.by_recipe), ("layout", scores.by_layout)):
        rows += [f"{title} {name}: {_det_cells(g.det)}{_e2e_cells(g.e2e)}" for name, g in groups.items()]
    for name, element in scores.by_element.items():
        rows.append(
            f"element {name}: R {element.recall:.3f} ({element.matched}/{element.lines}){_e2e_cells(element.e2e)}"
        )
    rows.append(f"{len(scores.results)} pages, {scores.ms_per_page:.0f} ms per page")
    return "\n".join(rows)


def _page_quality(result: PageResult) -> tuple[float, float]:
    lines = result.lines
    read = sum(line.read for line in lines) / len(lines) if lines else 1.0
    return (summarize_page(result).hmean, read)


def draw_page(result: PageResult) -> np.ndarray:
    """The page with true (green), ignored (orange) and predicted (magenta) polygons drawn on it."""
    image = load_page(result.page).copy()
    for box in result.page.boxes:
        colour = IGNORED_BGR if box.ignored else TRUE_BGR
        cv2.polylines(image, [np.array(box.points, np.int32)], True, colour, LINE_PX)
    for prediction in result.predictions:
        cv2.polylines(image, [np.rint(prediction.points).astype(np.int32)], True, PREDICTED_BGR, LINE_PX)
    return image


def write_page_report(out: Path, dataset: str, models: dict[str, str], scores: PageScores, drawn: int) -> Path:
    """Write report.json and PNGs of the `drawn` worst pages (lowest hmean, then e2e accuracy) under `out`."""
    pages_dir = out / PAGES_DIR
    pages_dir.mkdir(parents=True, exist_ok=True)
    for old in pages_dir.glob("*.png"):
        old.unlink()
    worst = sorted(scores.results, key=_page_quality)[:drawn]
    for rank, result in enumerate(worst, start=1):
        cv2.imwrite(str(pages_dir / f"{rank:03d}-{result.page.image.stem}.png"), draw_page(result))
    path = out / REPORT_JSON
    write_json(path, report_json(dataset, models, scores))
    return path
