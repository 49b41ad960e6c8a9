"""The print-and-scan chain: its transforms, the legibility check every preset passes, and its calibration against
lines printed and scanned outside thaigen (bench/scanned.py: pango-view, ghostscript, ImageMagick)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from thaigen.augment.apply import augment
from thaigen.augment.legibility import legible, separation
from thaigen.augment.transforms import Binarize, InkSpread
from thaigen.cli import main
from thaigen.config.loading import make_config
from thaigen.pipeline.sample import compose_sample
from thaigen.typeset.fonts import FontPool

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))
import scan_stats
import scanned


def _line(pool: FontPool, index: int = 3, **values: object) -> tuple[np.ndarray, np.ndarray]:
    config = make_config(file_values={"augment": {"presets": {"clean": 1}}, **values}, count=10, seed=2)
    composed = compose_sample(config, pool, index)
    return composed.pixels, composed.ink


def _dark(image: np.ndarray) -> int:
    return int((image[..., 0] < 128).sum())


def test_ink_spread_thickens_and_thins_strokes(pool: FontPool) -> None:
    pixels, _ = _line(pool)
    spread = InkSpread(amount=(0.4, 0.4), sigma=(0.8, 0.8), p=1)(image=pixels)["image"]
    thinned = InkSpread(amount=(-0.4, -0.4), sigma=(0.8, 0.8), p=1)(image=pixels)["image"]
    assert _dark(spread) > 1.15 * _dark(pixels) > 1.15 * _dark(thinned) > 0
    assert spread.shape == pixels.shape and spread.dtype == np.uint8


@pytest.mark.parametrize("adaptive", [0.0, 1.0])
def test_binarize_at_the_lines_resolution_saves_one_bit(pool: FontPool, adaptive: float) -> None:
    pixels, ink = _line(pool, background={"kinds": {"paper": 1}})
    binary = Binarize(offset=(0, 0), adaptive=adaptive, p=1)(image=pixels)["image"]
    assert set(np.unique(binary)) <= {0, 255} and binary.shape == pixels.shape
    assert legible(binary, ink)
    speckled = float((binary[..., 0][ink == 0] == 0).mean())
    assert speckled < 0.02, "the paper's texture turned to specks"


def test_binarize_at_scan_resolution_keeps_size_and_leaves_gray_edges(pool: FontPool) -> None:
    pixels, _ = _line(pool)
    out = Binarize(offset=(0, 0), scale=(3, 3), p=1)(image=pixels)["image"]
    assert out.shape == pixels.shape
    assert 0 < float(((out > 0) & (out < 255)).mean()) < 0.2


def test_separation_falls_when_the_text_is_gone(pool: FontPool) -> None:
    pixels, ink = _line(pool)
    assert separation(pixels, ink) > 3
    erased = np.full_like(pixels, 255)
    assert separation(erased, ink) == 0 and not legible(erased, ink)
    speckled = np.where(np.random.default_rng(0).random(pixels.shape[:2])[..., None] < 0.5, 0, 255).astype(np.uint8)
    assert not legible(np.repeat(speckled, 3, axis=2), ink)


def test_a_draw_that_erases_the_text_is_redrawn_then_given_up(pool: FontPool) -> None:
    pixels, ink = _line(pool)
    wipe = ({"RandomBrightnessContrast": {"brightness_limit": [1, 1], "contrast_limit": [0, 0], "p": 1}},)
    out = augment(pixels, ink, "wipe", wipe, np.random.default_rng(0))
    assert out.preset == "clean" and np.array_equal(out.image, pixels)


@pytest.mark.parametrize("preset", ["print_scan", "photocopy", "fax"])
def test_every_kept_line_is_legible(pool: FontPool, preset: str) -> None:
    config = make_config(file_values={"augment": {"presets": {preset: 1}}, "max_text_length": 90,
                                      "ctc_time_steps": 100}, count=40, seed=4)  # fmt: skip
    kept = 0
    for index in range(40):
        composed = compose_sample(config, pool, index)
        assert legible(composed.pixels, composed.ink), (preset, index, composed.sample.label)
        kept += composed.sample.preset == preset
    assert kept >= 36


def test_print_scan_matches_lines_scanned_outside_thaigen(tmp_path: Path) -> None:
    """Ink fill and the 1-bit share of `print_scan` lines against pango-view + ghostscript + ImageMagick scans."""
    rng = np.random.default_rng(3)
    scans = []
    for text in scanned.prose_lines(12, rng):
        image = None
        while image is None:
            image = scanned.scan_line(text, "Arundina Sans", scanned.plan(rng), tmp_path, rng)
        scans.append(scan_stats.line_stats(np.asarray(scanned.cut_at_ink(image, rng, scanned.SPECK_PX).convert("L"))))
    config = tmp_path / "print_scan.yaml"
    config.write_text(
        "augment: {presets: {print_scan: 1}}\nmax_text_length: 90\nctc_time_steps: 100\n", encoding="utf-8"
    )
    assert main(["build", "--config", str(config), "--count", "60", "--out", str(tmp_path / "built")]) == 0
    ours = scan_stats.folder_stats(tmp_path / "built", 60)
    theirs = {k: float(np.median([s[k] for s in scans])) for k in scan_stats.STATS}
    assert ours["1-bit"][0] > 0.8 and theirs["1-bit"] > 0.8
    assert abs(ours["ink fill"][0] - theirs["ink fill"]) < 0.35 * theirs["ink fill"]
    assert abs(ours["stroke px"][0] - theirs["stroke px"]) < 0.35 * theirs["stroke px"]
