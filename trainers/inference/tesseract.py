"""Tesseract as a baseline engine: one `tesseract` process per line, single-line mode, Thai + English.

Text comes from Tesseract's plain-text output (its TSV splits Thai into clusters, so joining TSV words
would invent spaces); confidence is the mean of the TSV word confidences. Tesseract writes ำ as ํ + า;
the scorer reports those lines rather than hiding them.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2

from thaigen.errors import EnvironmentProblem
from trainers.inference.engine import Reading
from trainers.inference.image import Image

DEFAULT_LANGUAGES = "tha+eng"
SINGLE_LINE = 7
"""--psm 7: treat the image as a single text line."""
TIMEOUT_S = 60.0


def check_tesseract(languages: str) -> str:
    """Path of the tesseract binary, after checking it has every language in `languages`.

    Raises:
        EnvironmentProblem: tesseract or one of the languages is not installed.
    """
    binary = shutil.which("tesseract")
    if binary is None:
        raise EnvironmentProblem("tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-tha")
    listed = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, check=True).stdout.split()
    missing = [lang for lang in languages.split("+") if lang not in listed]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
        raise EnvironmentProblem(f"tesseract has no {'+'.join(missing)} model: apt-get install {packages}")
    return binary


class TesseractEngine:
    """Tesseract (an Engine), run on several lines at once in separate processes."""

    def __init__(self, languages: str = DEFAULT_LANGUAGES, workers: int = os.cpu_count() or 1) -> None:
        self.binary = check_tesseract(languages)
        self.languages = languages
        self.workers = workers

    @property
    def name(self) -> str:
        """'tesseract' and its languages."""
        return f"tesseract ({self.languages})"

    def read_one(self, image: Image) -> Reading:
        """Read one line."""
        ok, png = cv2.imencode(".png", image)
        if not ok:
            raise ValueError("OpenCV could not encode the image as PNG")
        with tempfile.TemporaryDirectory(prefix="thaigen-tesseract-") as folder:
            base = Path(folder) / "line"
            subprocess.run(
                [self.binary, "stdin", str(base), "--psm", str(SINGLE_LINE), "-l", self.languages, "txt", "tsv"],
                input=png.tobytes(),
                capture_output=True,
                check=True,
                timeout=TIMEOUT_S,
                env={**os.environ, "OMP_THREAD_LIMIT": "1"},
            )
            text = base.with_suffix(".txt").read_text(encoding="utf-8").strip()
            with base.with_suffix(".tsv").open(encoding="utf-8", newline="") as handle:
                rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
                confidences = [float(r["conf"]) / 100 for r in rows if r["level"] == "5" and float(r["conf"]) >= 0]
        return Reading(text=text, confidence=sum(confidences) / len(confidences) if confidences else 0.0)

    def read(self, images: Sequence[Image]) -> list[Reading]:
        """Read lines, `workers` processes at a time; results in input order."""
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(self.read_one, images))
