"""Streamed samples: each is, byte for byte, the one a build writes at its index (lines and pages)."""

from __future__ import annotations

from pathlib import Path

import pytest

import thaigen
from thaigen.config.loading import make_config
from thaigen.dataset import paths
from thaigen.dataset.detection import read_det_labels
from thaigen.dataset.lines import read_line_samples
from thaigen.dataset.samples import format_record, read_records
from thaigen.errors import ConfigError
from thaigen.pipeline.build import CHUNK_SIZE, build
from thaigen.pipeline.page import PageSample
from thaigen.pipeline.sample import Sample
from thaigen.pipeline.stream import prepare, samples, stream

LINES = CHUNK_SIZE + 6
"""Two chunks, so that the build's two workers each draw one."""


def test_streamed_lines_are_the_built_lines(tmp_path: Path) -> None:
    config = make_config(count=LINES, seed=11, val_fraction=0.2)
    build(config, tmp_path / "set", workers=2, progress=False)
    built = list(read_line_samples(tmp_path / "set"))
    streamed = list(thaigen.samples(config))
    assert [s.index for s in streamed] == [b.index for b in built] == list(range(LINES))
    assert {s.split for s in streamed} == {"train", "val"}
    for line, sample in zip(built, streamed):
        assert isinstance(sample, Sample)
        assert (sample.png, sample.label, sample.split) == (line.png, line.label, line.split)
        assert format_record(sample.metadata()) == line.record + "\n"
    tail = list(samples(config, start=LINES - 3, step=2))  # a slice draws the same samples as the whole
    assert [(s.index, s.png) for s in tail] == [(s.index, s.png) for s in streamed[LINES - 3 :: 2]]


def test_streamed_pages_are_the_built_pages_in_any_order(tmp_path: Path) -> None:
    config = make_config("pages", count=3, seed=5, val_fraction=0.5)
    build(config, tmp_path / "set", workers=2, progress=False)
    records = list(read_records(tmp_path / "set" / paths.SAMPLES))
    boxes = {
        page.path: (split, page.boxes)
        for split, name in (("train", paths.TRAIN_LABELS), ("val", paths.VAL_LABELS))
        for page in read_det_labels(tmp_path / "set" / name)
    }
    for page in stream(config, [2, 0, 1]):
        assert isinstance(page, PageSample)
        path = paths.image_relpath(page.index)
        assert page.png == (tmp_path / "set" / path).read_bytes()
        assert boxes[path] == (page.split, tuple(label.box for label in page.labels))
        assert format_record(page.metadata((None,) * len(page.labels))) == format_record(records[page.index])


def test_the_pool_loads_once_per_config() -> None:
    config = make_config(count=4, seed=1)
    assert prepare(config) is prepare(make_config(count=4, seed=1))
    assert prepare(config) is not prepare(make_config(count=4, seed=2))


def test_bad_indices_are_refused_in_one_line() -> None:
    config = make_config(count=4)
    with pytest.raises(ConfigError, match="sample index -1 is negative"):
        next(samples(config, start=-1))
    with pytest.raises(ConfigError, match="step must be 1 or more, not 0"):
        samples(config, step=0)
