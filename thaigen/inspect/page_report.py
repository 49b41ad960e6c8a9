"""What a PaddleOCR detection dataset holds: a sheet of pages with their polygons drawn, and an HTML page of counts."""

from __future__ import annotations

import html
import io
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from thaigen.dataset import paths
from thaigen.dataset.atomic import atomic_bytes, atomic_text
from thaigen.dataset.detection import DetPage, read_det_labels
from thaigen.dataset.samples import records_by_image
from thaigen.errors import DatasetError
from thaigen.inspect.report import Report, bars, binned

SHEET_COLUMNS = 3
THUMB_PX = 480
"""Long side of a page on the sheet."""
LABELLED = (0, 170, 60)
IGNORED = (220, 30, 30)


def read_pages(target: Path) -> list[tuple[DetPage, str]]:
    """Every page of the det label files, with the label file's stem (train, val).

    Raises:
        DatasetError: no label files, a malformed line, or no pages.
    """
    _, files = paths.label_files(target)
    pages = [(page, labels.stem) for labels in files for page in read_det_labels(labels)]
    if not pages:
        raise DatasetError(f"no pages in {', '.join(map(str, files))}")
    return pages


def _thumbnail(root: Path, page: DetPage) -> Image.Image:
    """The page scaled to THUMB_PX on its long side, polygons drawn: green labelled, red `###`."""
    try:
        with Image.open(root / page.path) as image:
            picture = image.convert("RGB")
    except OSError:
        return Image.new("RGB", (THUMB_PX * 3 // 4, THUMB_PX), IGNORED)
    scale = THUMB_PX / max(picture.size)
    picture = picture.resize((max(1, round(picture.width * scale)), max(1, round(picture.height * scale))))
    draw = ImageDraw.Draw(picture)
    for box in page.boxes:
        points = [(x * scale, y * scale) for x, y in box.points]
        draw.polygon(points, outline=IGNORED if box.ignored else LABELLED, width=2 if box.ignored else 1)
    return picture


def page_sheet(root: Path, pages: list[tuple[DetPage, str]], count: int, seed: int, out: Path) -> None:
    """A grid of `count` random pages (seeded) with their polygons."""
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(pages), size=min(count, len(pages)), replace=False))
    thumbs = [_thumbnail(root, pages[int(i)][0]) for i in chosen]
    rows = -(-len(thumbs) // SHEET_COLUMNS)
    cell = THUMB_PX + 12
    sheet = Image.new("RGB", (SHEET_COLUMNS * cell, rows * cell), (255, 255, 255))
    for n, thumb in enumerate(thumbs):
        sheet.paste(thumb, ((n % SHEET_COLUMNS) * cell + 6, (n // SHEET_COLUMNS) * cell + 6))
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG")
    atomic_bytes(out, buffer.getvalue())


def write_page_report(target: Path, out: Path, *, samples: int = 12, seed: int = 0) -> Report:
    """Write contact_sheet.png (pages with polygons) and report.html for the det set at `target` into `out`.

    Raises:
        DatasetError: no dataset, no label files, malformed lines, or no pages.
    """
    root, _ = paths.label_files(target)
    pages = read_pages(target)
    records = records_by_image(root)
    out.mkdir(parents=True, exist_ok=True)
    sheet = out / "contact_sheet.png"
    page_sheet(root, pages, samples, seed, sheet)
    boxes = [box for page, _ in pages for box in page.boxes]
    ignored = sum(box.ignored for box in boxes)
    heights = [max(y for _, y in b.points) - min(y for _, y in b.points) for b in boxes]
    widths = [max(x for x, _ in b.points) - min(x for x, _ in b.points) for b in boxes]
    lines = [line for record in records.values() for line in record.get("lines", [])]
    summary = (
        f"<p>{len(pages)} pages, {len(boxes)} boxes ({ignored} <code>###</code>, ignored by PaddleOCR) in"
        f" {html.escape(str(target))}. Green: labelled lines; red: <code>###</code>.</p>"
        f"<img src='{sheet.name}' alt='pages with polygons'>"
    )
    sections = [
        summary,
        bars(Counter(split for _, split in pages), "Label file (pages)"),
        bars(Counter(str(r.get("layout", "(unknown)")) for r in records.values()), "Layout (pages)"),
        bars(Counter(str(r.get("preset", "(unknown)")) for r in records.values()), "Augmentation preset (pages)"),
        bars(Counter(str(line["element"]) for line in lines), "Layout element (lines)"),
        bars(Counter(str(line["ignore"]) for line in lines if line.get("ignore")), "Why ### (lines)"),
        bars(Counter(len(page.boxes) for page, _ in pages), "Lines per page"),
        bars(binned(heights, 8), "Box height (px, axis-aligned, bins of 8)"),
        bars(binned(widths, 50), "Box width (px, axis-aligned, bins of 50)"),
        bars(Counter(len(b.points) for b in boxes), "Points per polygon"),
    ]
    report = out / "report.html"
    with atomic_text(report) as handle:
        handle.write(
            "<!doctype html><meta charset=utf-8><title>thaigen det report</title><style>"
            "body{font-family:'Noto Sans Thai',sans-serif;margin:2em}td{padding:1px 8px}td.n{text-align:right}"
            ".bar{background:#4a7;height:12px}img{max-width:100%}</style>"
            f"<h1>Detection dataset report</h1>{''.join(sections)}\n"
        )
    return Report(report, sheet, len(pages), ())
