"""Dataset report: contact sheet and HTML page, for thaigen builds and for any PaddleOCR rec dataset."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from thaigen.config.loading import make_config
from thaigen.inspect.report import write_report
from thaigen.pipeline.build import build


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
