"""Dataset report: contact sheet and HTML page, for thaigen builds and for any PaddleOCR rec dataset."""

from __future__ import annotations

import subprocess
import sys
from itertools import accumulate
from pathlib import Path

import numpy as np
from PIL import Image
from pythainlp.tokenize import word_tokenize

from thaigen.config.loading import make_config
from thaigen.inspect.report import (
    MIN_IMAGE_HEIGHT,
    LabelFonts,
    SheetLayout,
    contact_sheet,
    layout_sheet,
    read_entries,
    write_report,
)
from thaigen.pipeline.build import build
from thaigen.typeset.runs import clusters


def test_report_of_a_thaigen_build(tmp_path: Path) -> None:
    out = tmp_path / "d"
    build(make_config(count=40, seed=2, augment={"presets": {"scan": 1, "photo": 1}}), out, workers=1, progress=False)
    report = write_report(out, tmp_path / "r", samples=12, min_char_count=3)
    page = report.html.read_text(encoding="utf-8")
    for section in ("Augmentation preset", "Text category", "Font (samples using it)", "Background", "Furniture",
                    "Label length", "Image width", "Character frequency", "mixed"):
        assert section in page
    assert "scan" in page and "photo" in page and report.entries == 40
    with Image.open(report.sheet) as sheet:
        assert sheet.width > 1000 and sheet.height > 3 * 48


def _inside(inner: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return outer[0] <= inner[0] <= inner[2] <= outer[2] and outer[1] <= inner[1] <= inner[3] <= outer[3]


def _assert_legible(layout: SheetLayout) -> None:
    """Every label's and tag's ink and every image inside its own cell, one under another; cells apart, images
    never squeezed."""
    sheet = (0, 0, *layout.size)
    for n, cell in enumerate(layout.cells):
        assert _inside(cell.box, sheet) and _inside(cell.image, cell.box)
        assert cell.image[3] - cell.image[1] >= MIN_IMAGE_HEIGHT
        bottom = cell.image[3]
        for line in (*cell.label, cell.tags):
            assert _inside(line.ink, cell.box), (line.text, line.ink, cell.box)
            assert line.ink[1] >= bottom, line.text
            bottom = line.ink[3]
        for other in layout.cells[n + 1:]:
            a, b = cell.box, other.box
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def test_contact_sheet_lays_long_lines_out_legibly(tmp_path: Path) -> None:
    out = tmp_path / "d"
    build(make_config(count=12, seed=3, sources={"running": 1}, max_text_length=80, ctc_time_steps=200), out,
          workers=1, progress=False)
    entries = read_entries(out)
    assert max(len(e.label) for e in entries) >= 70
    layout = contact_sheet(entries, 12, 0, tmp_path / "sheet.png")
    _assert_legible(layout)
    with Image.open(tmp_path / "sheet.png") as sheet:
        assert sheet.size == layout.size
    # The same labels under images a column wide (labels wrap) and one too wide for a row at full height.
    narrow = layout_sheet([(e, (200, 48)) for e in entries] + [(entries[0], (4000, 48))], LabelFonts.load())
    _assert_legible(narrow)
    assert narrow.cells[-1].image[3] - narrow.cells[-1].image[1] == MIN_IMAGE_HEIGHT
    assert narrow.size[0] == narrow.cells[-1].box[2] > 4000 * MIN_IMAGE_HEIGHT // 48
    assert all(len(cell.label) >= 2 for cell, entry in zip(narrow.cells, entries) if len(entry.label) >= 60)
    for cell, entry in zip(narrow.cells, entries):  # wrapped between clusters, only spaces dropped
        kept = [c for line in cell.label for c in clusters(line.text) if c != " "]
        assert kept == [c for c in clusters(entry.label) if c != " "]
        words = set(accumulate(len(w) for w in word_tokenize(entry.label, engine="newmm", keep_whitespace=True)))
        end = 0
        for line in cell.label:  # a column holds any word of these labels: lines end where words do
            end = entry.label.index(line.text, end) + len(line.text)
            assert end in words, (entry.label, line.text)


def test_report_of_any_paddleocr_dataset(tmp_path: Path) -> None:
    (tmp_path / "imgs").mkdir()
    lines = []
    for n, label in enumerate(["สวัสดี", "ราคา 10 บาท", "ทดสอบฎ"]):
        Image.fromarray(np.full((32, 100 + 10 * n, 3), 255, np.uint8)).save(tmp_path / "imgs" / f"{n}.jpg")
        lines.append(f"imgs/{n}.jpg\t{label}")
    (tmp_path / "train.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "dict.txt").write_text("\n".join("สวัดีราคบทอ0123456789ฬ") + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "thaigen", "report", str(tmp_path), "--min-char-count", "2"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "(not a thaigen build)" in page and "(unknown)" in page
    assert "ฬ" in page.split("fewer than 2 occurrences")[1].split("</p>")[0]  # in the dict, never in a label
    assert page.split("not in the dictionary")[1].split("</p>")[0].endswith("ฎ")
    assert (tmp_path / "report" / "contact_sheet.png").is_file()


def test_report_of_a_missing_dataset_is_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "thaigen", "report", str(tmp_path / "nope")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2 and result.stderr == f"thaigen: error: dataset not found: {tmp_path / 'nope'}\n"
