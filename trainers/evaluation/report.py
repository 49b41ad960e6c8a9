"""Write scores as JSON (every figure and line), Markdown (for people) and a PNG of each engine's worst lines."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw

from thaigen.resources import data_dir
from thaigen.typeset.faces import pil_font
from trainers.evaluation.metrics import Summary
from trainers.evaluation.score import EngineScore, LabelledLine
from trainers.inference.image import Image as Line

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
WORST_LINES = 12
FONT = "tlwg/Waree.ttf"
"""A shipped face with Thai, Latin and digits, for drawing predictions next to their truth."""
FONT_PX = 22
LINE_PX = 48
MARGIN_PX = 8
MAX_WIDTH_PX = 1200


def report_json(dataset: str, scores: Sequence[EngineScore], lines: Sequence[LabelledLine]) -> dict[str, Any]:
    """Everything: summaries, per-category figures, confusions, throughput and every line's reading."""
    return {
        "dataset": dataset,
        "lines": len(lines),
        "engines": [
            {
                "engine": s.engine,
                "summary": asdict(s.summary),
                "by_category": {c: asdict(v) for c, v in s.by_category.items()},
                "confusions": [{"truth": a, "prediction": b, "count": n} for a, b, n in s.confusions],
                "seconds": s.seconds,
                "lines_per_second": s.lines_per_second,
                "lines": [
                    {
                        "image": str(line.image),
                        "category": line.category,
                        "truth": ls.truth,
                        "prediction": ls.prediction,
                        "confidence": ls.confidence,
                        "char_edits": ls.char_edits,
                        "sara_am_only": ls.sara_am_only,
                    }
                    for line, ls in zip(lines, s.lines, strict=True)
                ],
            }
            for s in scores
        ],
    }


def write_json(path: Path, report: dict[str, Any]) -> None:
    """Write the JSON report (UTF-8, Thai kept readable)."""
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _percent(rate: float) -> str:
    return f"{100 * rate:.1f}%"


SUMMARY_COLUMNS = (
    "line acc",
    "line acc (no spaces)",
    "line acc (ำ = ํ+า)",
    "CER",
    "norm_edit_dis",
    "WER",
    "ำ-only lines",
)


def _summary_cells(summary: Summary) -> list[str]:
    return [
        _percent(summary.line_accuracy),
        _percent(summary.line_accuracy_ignoring_space),
        _percent(summary.line_accuracy_sara_am_folded),
        _percent(summary.cer),
        f"{summary.paddleocr_norm_edit_dis:.4f}",
        _percent(summary.wer),
        str(summary.sara_am_only_lines),
    ]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [f"| {' | '.join(header)} |", f"|{'|'.join('---' for _ in header)}|"] + [
        f"| {' | '.join(r)} |" for r in rows
    ]


def _cell(text: str) -> str:
    """Text safe in a Markdown table cell, with invisible or combining characters still visible."""
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`" if text else "∅"


def _char(ch: str) -> str:
    return f"{_cell(ch)} U+{ord(ch):04X}" if ch else "∅"


def summary_table(scores: Sequence[EngineScore]) -> str:
    """The one table printed by `thaigen score`."""
    rows = [[s.engine, str(s.summary.lines), *_summary_cells(s.summary), f"{s.lines_per_second:.1f}"] for s in scores]
    return "\n".join(_table(["engine", "lines", *SUMMARY_COLUMNS, "lines/s"], rows))


def report_markdown(dataset: str, scores: Sequence[EngineScore], pictures: dict[str, str]) -> str:
    """The human report: summary, metric definitions, per category, confusions and worst lines per engine."""
    out = [
        f"# Scores on {dataset}",
        "",
        summary_table(scores),
        "",
        (
            "line acc: exact, spaces included. line acc (no spaces): PaddleOCR RecMetric `acc` (ignore_space). "
            "line acc (ำ = ํ+า): also counting lines wrong only through SARA AM written as NIKHAHIT + SARA AA "
            "(never NFKC). CER: character edits / truth code points. norm_edit_dis: PaddleOCR RecMetric, "
            "1 - mean(ED / max length), spaces removed. WER: word edits / truth words, pythainlp newmm segmentation."
        ),
    ]
    for s in scores:
        out += ["", f"## {s.engine}", ""]
        if s.by_category:
            rows = [[c, str(v.lines), *_summary_cells(v)] for c, v in s.by_category.items()]
            out += _table(["category", "lines", *SUMMARY_COLUMNS], rows) + [""]
        if s.confusions:
            rows = [[_char(a), _char(b), str(n)] for a, b, n in s.confusions[:10]]
            out += (
                ["Most frequent character edits (truth → prediction):", ""]
                + _table(["truth", "prediction", "count"], rows)
                + [""]
            )
        worst = [s.lines[i] for i in worst_indices(s, WORST_LINES)]
        if worst:
            rows = [[_cell(ls.truth), _cell(ls.prediction), f"{ls.confidence:.2f}", str(ls.char_edits)] for ls in worst]
            out += ["Worst lines:", ""] + _table(["truth", "prediction", "confidence", "edits"], rows)
        if s.engine in pictures:
            out += ["", f"![worst lines of {s.engine}]({pictures[s.engine]})"]
    return "\n".join(out) + "\n"


def worst_indices(score: EngineScore, count: int) -> list[int]:
    """Indices of the `count` wrong lines with the highest error rate, worst first (stable for ties)."""
    wrong = (i for i, line in enumerate(score.lines) if not line.exact)
    return sorted(wrong, key=lambda i: -score.lines[i].error_rate)[:count]


def worst_lines_picture(score: EngineScore, images: Sequence[Line], count: int = WORST_LINES) -> Image.Image | None:
    """Each of the worst lines drawn as its image, then truth and prediction in a shipped Thai font; None if none is wrong."""
    order = worst_indices(score, count)
    if not order:
        return None
    font = pil_font(str(data_dir("fonts") / FONT), FONT_PX)
    text_px = int(FONT_PX * 1.6)
    row_px = LINE_PX + 2 * text_px + MARGIN_PX
    rows = []
    for i in order:
        line, ls = images[i], score.lines[i]
        width = min(MAX_WIDTH_PX, round(line.shape[1] * LINE_PX / line.shape[0]))
        rgb = cv2.cvtColor(cv2.resize(line, (width, LINE_PX), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
        texts = (f"truth: {ls.truth}", f"read:  {ls.prediction}  ({ls.confidence:.2f})")
        rows.append((Image.fromarray(np.ascontiguousarray(rgb)), texts))
    widest = max(max(picture.width, *(round(font.getlength(t)) for t in texts)) for picture, texts in rows)
    canvas = Image.new("RGB", (min(MAX_WIDTH_PX, widest) + 2 * MARGIN_PX, MARGIN_PX + row_px * len(rows)), "white")
    draw = ImageDraw.Draw(canvas)
    for row, (picture, (truth, read)) in enumerate(rows):
        top = MARGIN_PX + row * row_px
        canvas.paste(picture, (MARGIN_PX, top))
        draw.text((MARGIN_PX, top + LINE_PX), truth, font=font, fill="black")
        draw.text((MARGIN_PX, top + LINE_PX + text_px), read, font=font, fill="firebrick")
    return canvas


def slug(name: str) -> str:
    """A file-name-safe form of an engine name."""
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "engine"


def write_report(
    out: Path, dataset: str, scores: Sequence[EngineScore], lines: Sequence[LabelledLine], images: Sequence[Line]
) -> Path:
    """Write report.json, report.md and worst-<engine>.png into `out`; return the Markdown path."""
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / REPORT_JSON, report_json(dataset, scores, lines))
    pictures = {}
    for s in scores:
        picture = worst_lines_picture(s, images)
        if picture is not None:
            name = f"worst-{slug(s.engine)}.png"
            picture.save(out / name)
            pictures[s.engine] = name
    (out / REPORT_MD).write_text(report_markdown(dataset, scores, pictures), encoding="utf-8")
    return out / REPORT_MD
