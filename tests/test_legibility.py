"""Legibility: Tesseract (tha) reads thaigen's `clean` and `scan` lines, and `clean` as well as Pango's renders.

The reference renders the same labels with `pango-view` (HarfBuzz through Pango and cairo: another
engine) in the same font family, weight and pixel size, black on white. Character error rate (CER) is
edit distance over label length, summed over lines, after NFC, ํ + า -> ำ (Tesseract's habit:
it reads ำ as the two) and removing spaces (Tesseract inserts them between Thai words).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from thaigen.config.loading import make_config
from thaigen.pipeline.sample import Sample, make_sample
from thaigen.resources import data_dir
from thaigen.typeset.fonts import FontPool
from thaigen.typeset.styles import family

LINES = int(os.environ.get("THAIGEN_LEGIBILITY_LINES", "200"))
"""Lines per preset (and for the Pango reference)."""
SCAN_SLACK = 0.10
SEED = 11
"""`scan` may read this much worse (absolute CER) than `clean`: it is meant to be harder, not illegible."""


def _has_tesseract_thai() -> bool:
    if shutil.which("tesseract") is None:
        return False
    langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, check=False).stdout.split()
    return "tha" in langs


pytestmark = pytest.mark.skipif(
    not _has_tesseract_thai() or shutil.which("pango-view") is None,
    reason="needs tesseract with tesseract-ocr-tha and pango-view (Debian: tesseract-ocr-tha pango1.0-tools)",
)


def normalise(text: str) -> str:
    """Compare what a reader sees: NFC, ำ as one code point, no spaces."""
    return "".join(unicodedata.normalize("NFC", text).replace("\u0e4d\u0e32", "\u0e33").split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute: 1 each)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(labels: Sequence[str], read: Sequence[str]) -> float:
    """Summed edit distance over summed label length."""
    truth = [normalise(t) for t in labels]
    return sum(edit_distance(t, normalise(r)) for t, r in zip(truth, read)) / sum(map(len, truth))


def paired_gap(labels: Sequence[str], read_a: Sequence[str], read_b: Sequence[str]) -> tuple[float, float]:
    """CER of reading a minus CER of reading b, and twice the standard error of that gap over the lines
    (the same labels read twice: a paired difference of per-line edit distances)."""
    truth = [normalise(t) for t in labels]
    gaps = np.array(
        [edit_distance(t, normalise(a)) - edit_distance(t, normalise(b)) for t, a, b in zip(truth, read_a, read_b)],
        dtype=float,
    )
    total = sum(map(len, truth))
    return float(gaps.sum() / total), float(2 * np.sqrt(len(gaps) * gaps.var(ddof=1)) / total)


def tesseract(images: Sequence[Path], work: Path) -> list[str]:
    """Tesseract's single-line reading (--psm 7, Thai model) of each image, two processes in parallel."""
    halves = [images[: len(images) // 2], images[len(images) // 2 :]]

    def run(part: int) -> list[str]:
        listing = work / f"list-{part}.txt"
        listing.write_text("".join(f"{p}\n" for p in halves[part]), encoding="utf-8")
        done = subprocess.run(
            ["tesseract", str(listing), "stdout", "-l", "tha", "--psm", "7"],
            capture_output=True, text=True, check=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
        pages = done.stdout.split("\f")
        return [page.strip() for page in pages[: len(halves[part])]]

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(run, (0, 1))
    assert len(first) + len(second) == len(images)
    return first + second


def pango_render(samples: Sequence[Sample], work: Path) -> list[Path]:
    """Each label rendered by pango-view in the sample's font family, weight and px size, black on white."""
    config = work / "fonts.conf"
    config.write_text(
        f"<?xml version='1.0'?><fontconfig><dir>{data_dir('fonts')}</dir><cachedir>{work / 'fc'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(config)}

    def render(sample: Sample) -> Path:
        first = sample.runs[0].font
        out = work / f"pango-{sample.index}.png"
        weight = " Bold" if first.bold or sample.text_style.bold else ""
        subprocess.run(
            ["pango-view", "--no-display", "--dpi=72", "--margin=8", f"--font={family(first)}{weight} {sample.font_size}",
             f"--text={sample.label}", f"--output={out}"],
            check=True, env=env, capture_output=True,
        )
        return out

    subprocess.run(["fc-cache", str(data_dir("fonts"))], env=env, capture_output=True, check=False)
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(render, samples))


PLAIN_LOOK = {
    "style": {"letter_spacing": {"p": 0.0}, "width": {"p": 0.0}, "skew": {"p": 0.0}},
    "frame": {"recrop": 0.0},
}
"""No deliberate variation of the look (spacing, width, slant, tight crops, furniture): what is left is the
rendering itself, with the default fonts, weights, colours and backgrounds."""


def _samples(pool: FontPool, preset: str, *, varied: bool = False) -> list[Sample]:
    """The default recipe under one preset; `varied` keeps the default style and frame variation."""
    look = {} if varied else PLAIN_LOOK
    config = make_config(count=LINES, seed=SEED, augment={"presets": {preset: 1}}, **look)
    return [make_sample(config, pool, index) for index in range(LINES)]


def _write(samples: Sequence[Sample], work: Path, preset: str) -> list[Path]:
    paths = []
    for sample in samples:
        path = work / f"{preset}-{sample.index}.png"
        path.write_bytes(sample.png)
        paths.append(path)
    return paths


def test_tesseract_reads_clean_as_well_as_pango_and_scan_nearly(pool: FontPool, tmp_path: Path) -> None:
    runs = {"clean": _samples(pool, "clean"), "scan": _samples(pool, "scan"), "clean, varied look": _samples(pool, "clean", varied=True)}
    labels = [s.label for s in runs["clean"]]
    assert all([s.label for s in samples] == labels for samples in runs.values())
    images = [p for name, samples in runs.items() for p in _write(samples, tmp_path, name.replace(", ", "-").replace(" ", "-"))]
    read = tesseract(images + pango_render(runs["clean"], tmp_path), tmp_path)
    rates = {name: round(cer(labels, read[n * LINES : (n + 1) * LINES]), 4) for n, name in enumerate([*runs, "pango"])}
    print(f"\nTesseract CER over {LINES} lines each: {json.dumps(rates, ensure_ascii=False)}")
    gap, margin = paired_gap(labels, read[:LINES], read[3 * LINES :])
    assert gap <= margin, (rates, gap, margin)  # clean reads no worse than Pango's renders, beyond noise
    assert rates["scan"] <= rates["clean"] + SCAN_SLACK, rates
