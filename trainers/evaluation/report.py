"""Write scores as JSON (every figure and line), Markdown (for people) and a PNG of each engine's worst lines.

Truth and reading are drawn so that what does not show still shows: each space as ␣, other whitespace and
invisible characters (zero-width, control) as ‹U+XXXX›; two strings that would still look alike (ำ against
ํ + า, or differing only in such characters) get a line naming the differing code points.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw
from rapidfuzz.distance import Levenshtein

from thaigen.resources import data_dir
from thaigen.typeset.faces import pil_font
from trainers.evaluation.metrics import LineScore, Summary
from trainers.evaluation.score import EngineScore, LabelledLine
from trainers.inference.image import Image as Line

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
WORST_LINES = 12
FONT = "tlwg/Norasi.ttf"
"""A shipped face with Thai, Latin, digits and the marks `visible` adds (␣ ‹ ›): readings drawn by their truth."""
SPACE_MARK = "␣"
HIDDEN_CATEGORIES = ("Cc", "Cf", "Co", "Cn", "Zl", "Zp", "Zs")
"""Unicode categories drawn as ‹U+XXXX›: control, format (zero-width), private, unassigned, separators."""
DIFF_RGB = "royalblue"
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
            rows = [
                [
                    _cell(visible(ls.truth)),
                    _cell(visible(ls.prediction)),
                    f"{ls.confidence:.2f}",
                    str(ls.char_edits),
                    code_point_diff(ls.truth, ls.prediction) if look_alike(ls.truth, ls.prediction) else "",
                ]
                for ls in worst
            ]
            header = ["truth", "prediction", "confidence", "edits", "look-alike: code points"]
            out += ["Worst lines (␣ a space):", ""] + _table(header, rows)
        if s.engine in pictures:
            out += ["", f"![worst lines of {s.engine}]({pictures[s.engine]})"]
    return "\n".join(out) + "\n"


def worst_indices(score: EngineScore, count: int) -> list[int]:
    """Indices of the `count` wrong lines with the highest error rate, worst first (stable for ties)."""
    wrong = (i for i, line in enumerate(score.lines) if not line.exact)
    return sorted(wrong, key=lambda i: -score.lines[i].error_rate)[:count]


def _hidden(ch: str) -> bool:
    return unicodedata.category(ch) in HIDDEN_CATEGORIES or ch.isspace()


def visible(text: str) -> str:
    """`text` with each space drawn as ␣ and other whitespace or invisible characters as ‹U+XXXX›."""
    return "".join(SPACE_MARK if ch == " " else f"‹U+{ord(ch):04X}›" if _hidden(ch) else ch for ch in text)


def look_alike(truth: str, prediction: str) -> bool:
    """Whether two different strings look the same drawn: equal once NFKC-normalized (ำ = ํ + า) and stripped of
    whitespace and invisible characters."""

    def seen(text: str) -> str:
        return "".join(ch for ch in unicodedata.normalize("NFKC", text) if not _hidden(ch))

    return truth != prediction and seen(truth) == seen(prediction)


def code_point_diff(truth: str, prediction: str) -> str:
    """The stretches where the two differ, in code points: 'U+0E33 vs U+0E4D U+0E32; U+0020 vs nothing'."""

    def points(text: str) -> str:
        return " ".join(f"U+{ord(ch):04X}" for ch in text) or "nothing"

    stretches: list[list[int]] = []  # [truth start, end, prediction start, end], adjacent edits joined
    for tag, a, b, c, d in Levenshtein.opcodes(truth, prediction):
        if tag == "equal":
            continue
        if stretches and stretches[-1][1] == a and stretches[-1][3] == c:
            stretches[-1][1], stretches[-1][3] = b, d
        else:
            stretches.append([a, b, c, d])
    return "; ".join(f"{points(truth[a:b])} vs {points(prediction[c:d])}" for a, b, c, d in stretches)


def row_texts(line: LineScore) -> list[tuple[str, str]]:
    """The (text, colour) lines drawn under a wrong line's image: truth, reading and, for look-alikes, code points."""
    texts = [
        (f"truth: {visible(line.truth)}", "black"),
        (f"read:  {visible(line.prediction)}  ({line.confidence:.2f})", "firebrick"),
    ]
    if look_alike(line.truth, line.prediction):
        texts.append((f"alike, but: {code_point_diff(line.truth, line.prediction)}", DIFF_RGB))
    return texts


def worst_lines_picture(score: EngineScore, images: Sequence[Line], count: int = WORST_LINES) -> Image.Image | None:
    """Each of the worst lines drawn as its image, then `row_texts` in a shipped Thai font; None if none is wrong."""
    order = worst_indices(score, count)
    if not order:
        return None
    font = pil_font(str(data_dir("fonts") / FONT), FONT_PX)
    text_px = int(FONT_PX * 1.6)
    rows = []
    for i in order:
        line = images[i]
        width = min(MAX_WIDTH_PX, round(line.shape[1] * LINE_PX / line.shape[0]))
        rgb = cv2.cvtColor(cv2.resize(line, (width, LINE_PX), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
        rows.append((Image.fromarray(np.ascontiguousarray(rgb)), row_texts(score.lines[i])))
    widest = max(max(picture.width, *(round(font.getlength(t)) for t, _ in texts)) for picture, texts in rows)
    height = MARGIN_PX + sum(LINE_PX + len(texts) * text_px + MARGIN_PX for _, texts in rows)
    canvas = Image.new("RGB", (min(MAX_WIDTH_PX, widest) + 2 * MARGIN_PX, height), "white")
    draw = ImageDraw.Draw(canvas)
    top = MARGIN_PX
    for picture, texts in rows:
        canvas.paste(picture, (MARGIN_PX, top))
        for k, (text, colour) in enumerate(texts):
            draw.text((MARGIN_PX, top + LINE_PX + k * text_px), text, font=font, fill=colour)
        top += LINE_PX + len(texts) * text_px + MARGIN_PX
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
