"""Cluster boxes (`char_boxes`, build --char-boxes): each grapheme cluster of a label boxed around its own ink, through
every geometric step the pixels take (slant, recrop, scaling, presets' rotation and perspective, a page's curl), with
the images unchanged."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from thaigen.cli import main
from thaigen.config.loading import make_config
from thaigen.config.schema import GenConfig
from thaigen.dataset.paths import SAMPLES
from thaigen.pipeline.page import compose_page
from thaigen.pipeline.sample import compose_sample
from thaigen.text.thai import STRESS_SET
from thaigen.typeset.fonts import FontPool
from thaigen.typeset.render import ClusterBoxes, LineStyle, cluster_boxes, draw_line
from thaigen.typeset.runs import clusters, split_runs
from thaigen.typeset.styles import TextStyle

INK = 96
"""Coverage from which a pixel counts as ink (as the page's id mask counts it)."""
TOLERANCE_PX = 2
"""How far a box may miss its ink: anti-aliasing, nearest-neighbour masks, straight edges between moved corners."""
STYLE = {
    "letter_spacing": {"p": 0.3, "range": [0.05, 0.2]},
    "skew": {"p": 0.3, "range": [-0.1, 0.3]},
    "width": {"p": 0.3, "range": [0.8, 1.2]},
}
"""More spaced, slanted and scaled lines than the defaults make, so that each geometric step is met."""


def _lines(preset: str, boxes: bool = True) -> GenConfig:
    return make_config(None, {"augment": {"presets": {preset: 1}}, "style": STYLE, "char_boxes": boxes}, seed=11)


def _quads_mask(shape: tuple[int, ...], quads: np.ndarray, grow: int) -> np.ndarray:
    """Pixels whose centres lie inside any of the quads (corner coordinates), grown by `grow` px."""
    mask = np.zeros(shape[:2], dtype=np.uint8)
    for quad in quads:
        cv2.fillConvexPoly(mask, np.round((quad - 0.5) * 16).astype(np.int32), 1, cv2.LINE_8, shift=4)
    return cv2.dilate(mask, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)).astype(bool) if grow else mask.astype(bool)


def _touches(quad: np.ndarray, inked: np.ndarray, reach: int) -> bool:
    """Whether each side of the quad passes within `reach` px of ink."""
    for start, end in zip(quad, np.roll(quad, -1, axis=0)):
        side = np.zeros(inked.shape, dtype=np.uint8)
        a, b = (tuple(int(v) for v in np.round((p - 0.5) * 16)) for p in (start, end))
        cv2.line(side, a, b, 1, 2 * reach + 1, cv2.LINE_8, shift=4)
        if not (inked & side.astype(bool)).any():
            return False
    return True


def _assert_boxes_hold_the_ink(boxes: ClusterBoxes, text: str, ink: np.ndarray, where: str) -> None:
    """The clusters spell `text`; the boxes lie inside the image; every ink pixel lies in some box; and each inked
    cluster's box is about its ink, not a span of the line: at least half of it near ink (faint ink included), and
    each of its sides against ink."""
    height, width = ink.shape[:2]
    assert "".join(boxes.texts) == text, where
    assert boxes.texts == tuple(clusters(text)), where
    assert (boxes.points >= -0.5).all() and (boxes.points <= (width + 0.5, height + 0.5)).all(), where
    outside = (ink >= INK) & ~_quads_mask(ink.shape, boxes.points, TOLERANCE_PX)
    assert not outside.any(), f"{where}: {int(outside.sum())} ink px outside every cluster box"
    faint = ink > 0
    near = cv2.dilate(faint.astype(np.uint8), np.ones((2 * TOLERANCE_PX + 1,) * 2, np.uint8)).astype(bool)
    for cluster, quad in zip(boxes.texts, boxes.points):
        if cluster.isspace():
            continue
        area = _quads_mask(ink.shape, quad[None], 0)
        share = (area & near).sum() / max(int(area.sum()), 1)
        assert share >= 0.5, f"{where}: cluster {cluster!r}: only {share:.0%} of its box near ink"
        assert _touches(quad, faint, TOLERANCE_PX + 1), (
            f"{where}: cluster {cluster!r}: a side of its box is off its ink"
        )


@pytest.mark.parametrize("preset", ["scan", "tilted"])
def test_line_boxes_hold_each_clusters_ink_through_the_geometry(pool: FontPool, preset: str) -> None:
    config = _lines(preset)
    applied = set()
    for index in range(24):
        composed = compose_sample(config, pool, index)
        sample = composed.sample
        applied.add(sample.preset)
        assert sample.clusters is not None
        _assert_boxes_hold_the_ink(sample.clusters, sample.label, composed.ink, f"line {index} ({sample.preset})")
    assert preset in applied


def test_page_boxes_hold_each_lines_ink_through_the_curl(pool: FontPool) -> None:
    config = make_config("pages", {"augment": {"presets": {"curled": 1}}, "char_boxes": True}, seed=3)
    checked = 0
    for index in range(3):
        page = compose_page(config, pool, index)
        assert page.sample.preset == "curled"
        for number, label in enumerate(page.sample.labels, start=1):
            assert (label.clusters is None) == (label.ignore is not None)
            if label.clusters is None:
                continue
            ink = np.where(page.ids == number, 255, 0).astype(np.uint8)
            _assert_boxes_hold_the_ink(label.clusters, label.line.text, ink, f"page {index} line {label.line.text!r}")
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize("look", [TextStyle(), TextStyle(bold=True, stroke=0.04), TextStyle(width=0.8, skew=0.2)])
def test_each_box_holds_the_ink_its_cluster_adds_to_the_line(pool: FontPool, look: TextStyle) -> None:
    """Drawn one more cluster at a time, the ink each cluster adds in context (shaped with the run) is in its box."""
    style = LineStyle(0.8, 3, 3, 0.5, 0, 255, look)
    for font in pool.thai[::7]:
        for text in (*STRESS_SET, "กำลังใจ AV 123 ญาติ"):
            runs = split_runs(text, font, pool.fallbacks_for(font))
            assert runs is not None
            if look.bold:
                runs = [replace(run, synthetic_bold=True) for run in runs]
            boxes = cluster_boxes(draw_line(runs, style, 48))
            before, end = None, 0
            for cluster, quad in zip(boxes.texts, boxes.points):
                end += len(cluster)
                part = [replace(r, text=r.text[: end - r.start]) for r in runs if r.start < end]
                ink = draw_line(part, style, 48).ink
                added = ink >= INK
                if before is not None:
                    width = min(ink.shape[1], before.shape[1])
                    added[:, :width] &= ink[:, :width].astype(int) - before[:, :width] >= INK
                outside = added & ~_quads_mask(ink.shape, quad[None], 1)
                assert not outside.any(), f"{font.path.name} {text!r} {cluster!r}: {int(outside.sum())} px outside"
                before = ink


def _records(config: GenConfig, pool: FontPool, count: int) -> list[tuple[bytes, dict[str, Any]]]:
    return [((s := compose_sample(config, pool, i).sample).png, s.metadata()) for i in range(count)]


@pytest.mark.parametrize("preset", ["tilted", "curled"])
def test_boxes_change_no_image_and_no_record_but_their_own(pool: FontPool, preset: str) -> None:
    plain = _records(_lines(preset, boxes=False), pool, 30)
    boxed = _records(_lines(preset), pool, 30)
    for (png, record), (boxed_png, boxed_record) in zip(plain, boxed):
        assert png == boxed_png
        assert "clusters" not in record
        assert {k: v for k, v in boxed_record.items() if k != "clusters"} == record
    pages, boxed_pages = (
        make_config("pages", {"augment": {"presets": {"curled": 1}}, "char_boxes": on}, seed=5) for on in (False, True)
    )
    for index in range(2):
        page, boxed_page = compose_page(pages, pool, index), compose_page(boxed_pages, pool, index)
        assert page.sample.png == boxed_page.sample.png
        assert all(label.clusters is None for label in page.sample.labels)
        assert any(label.clusters is not None for label in boxed_page.sample.labels)


def test_build_char_boxes_writes_clusters_to_samples_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "lines"
    assert main(["build", "--count", "3", "--char-boxes", "--out", str(out), "--workers", "1", "--quiet"]) == 0
    records = [json.loads(line) for line in (out / SAMPLES).read_text(encoding="utf-8").splitlines()]
    assert json.loads((out / "build.json").read_text(encoding="utf-8"))["config"]["char_boxes"] is True
    for record in records:
        assert "".join(c["text"] for c in record["clusters"]) == record["label"]
        points = np.array([c["points"] for c in record["clusters"]])
        assert points.shape == (len(record["clusters"]), 4, 2)
        assert (points >= 0).all() and (points <= (record["width"], record["height"])).all()
