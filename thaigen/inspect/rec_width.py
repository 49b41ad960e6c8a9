"""The width a PaddleOCR recogniser should train at to hold a rec set's lines: the CTC steps its labels need and
the shape of its line images (read from image headers, never decoded), against each architecture's input."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from thaigen.dataset import lmdb, paths
from thaigen.dataset.labels import read_label_lines
from thaigen.dataset.manifest import read_manifest
from thaigen.text.sources import ctc_steps

DEFAULT_WIDTH = 320
"""PaddleOCR's recogniser training width, px: what a set of short lines trains at."""
MAX_WIDTH = 1600
"""Widest training width fitted, px (50:1 at 32 px high): wider lines are squeezed into it."""
WIDTH_MULTIPLE = 32
"""Fitted widths are multiples of this (PPLCNetV3 and MobileNetV3 halve the width up to five times)."""
STEP_MARGIN = 0.1
"""Share of CTC steps added above the most a label needs, once a set outgrows the default width."""
ASPECT_PERCENTILE = 95
"""Lines up to this percentile of width/height are not squeezed by the fitted width."""
SAMPLED_IMAGES = 2000
"""Image headers read per set (evenly spaced over its lines) to estimate the aspect percentile."""


@dataclass(frozen=True)
class RecInput:
    """A recogniser's input and how its CTC time steps follow the width.

    Attributes:
        height: input height, px.
        stride: input width per CTC time step, px (at inference, and in training unless `pooled_steps`).
        pooled_steps: CTC time steps in training at any width, or None. PPLCNetV3 (PaddleOCR v3.0.0
            rec_lcnetv3.py) adaptive-pools its training features to [1, 40] but average-pools by [3, 2] at
            inference (width / 8 steps): the two agree only at 40 x 8 = 320 px.
    """

    height: int
    stride: int
    pooled_steps: int | None = None

    def steps(self, width: int) -> int:
        """CTC time steps the model trains with at `width` px."""
        return self.pooled_steps or width // self.stride


REC_INPUTS: dict[str, RecInput] = {
    "crnn": RecInput(32, 4),  # MobileNetV3 halves the width twice: 80 steps at 320 px
    "svtr": RecInput(48, 8, 40),
    "ppocrv5-th": RecInput(48, 8, 40),
}
"""`thaigen train --arch` recognisers -> their input (the trainers' ArchSpec shapes come from here)."""


@dataclass(frozen=True)
class LineShapes:
    """What a rec set's lines need from a recogniser's input."""

    most_steps: int
    """CTC steps of the label needing the most."""
    aspect: float
    """ASPECT_PERCENTILE-th percentile of the line images' width / height."""


@dataclass(frozen=True)
class RecWidth:
    """A recogniser's training width for a set: px, the CTC steps at it, and what the lines wanted."""

    width: int
    steps: int
    wanted: int
    """Width the lines need (steps and aspect), px, before MAX_WIDTH: above `width` when capped."""

    @property
    def capped(self) -> bool:
        """Whether lines up to the aspect percentile are still squeezed (the set needs more than MAX_WIDTH)."""
        return self.wanted > self.width


def _round_up(px: float) -> int:
    return math.ceil(px / WIDTH_MULTIPLE) * WIDTH_MULTIPLE


def fit_width(model: RecInput, lines: LineShapes | None) -> RecWidth:
    """The training width for `model` on lines shaped like `lines` (None: unknown, the default width).

    The default width stays while it holds the lines; otherwise the width gives the most CTC steps a label needs
    plus STEP_MARGIN, and lines up to the aspect percentile at `model.height` unsqueezed, rounded up to
    WIDTH_MULTIPLE and capped at MAX_WIDTH. A model whose training steps are pooled keeps the width where training
    and inference agree (its labels must fit its pooled steps).
    """
    if lines is None or model.pooled_steps:
        return RecWidth(DEFAULT_WIDTH, model.steps(DEFAULT_WIDTH), DEFAULT_WIDTH)
    steps_px = 0
    if lines.most_steps > model.steps(DEFAULT_WIDTH):
        steps_px = math.ceil(lines.most_steps * (1 + STEP_MARGIN)) * model.stride
    wanted = _round_up(max(DEFAULT_WIDTH, steps_px, model.height * lines.aspect))
    width = min(wanted, MAX_WIDTH)
    return RecWidth(width, model.steps(width), wanted)


def _evenly(count: int) -> list[int]:
    """Up to SAMPLED_IMAGES indices spread evenly over range(count)."""
    taken = min(count, SAMPLED_IMAGES)
    return [i * count // taken for i in range(taken)]


def _header_size(image: Path | bytes) -> tuple[int, int] | None:
    """(width, height) px from an image's header; None when it is missing or unreadable (lint names those)."""
    try:
        with Image.open(io.BytesIO(image) if isinstance(image, bytes) else image) as opened:
            return opened.size
    except (OSError, UnidentifiedImageError):
        return None


def _lmdb_lines(target: Path) -> Iterator[tuple[list[str], list[tuple[int, int] | None]]]:
    """Per LMDB of `target`: its labels when no manifest records the most CTC steps, and sampled image sizes."""
    root = lmdb.lmdb_root(target)
    recorded = root is not None and (root / paths.MANIFEST).is_file()
    for folder in lmdb.lmdb_splits(target) or []:
        labels = [] if recorded else [label for _, label in lmdb.read_lmdb(folder)]
        numbers = _evenly(lmdb.count_samples(folder))
        yield labels, [_header_size(lmdb.read_image(folder, n + 1)) for n in numbers]


def _folder_lines(files: list[Path], folder: Path) -> Iterator[tuple[list[str], list[tuple[int, int] | None]]]:
    """Per label file: its labels and sampled image sizes."""
    for file in files:
        usable = [line for line in read_label_lines(file) if line.label is not None]
        labels = [str(line.label) for line in usable]
        yield labels, [_header_size(folder / usable[i].path) for i in _evenly(len(usable))]


def line_shapes(target: Path) -> LineShapes | None:
    """The shapes of a rec set's lines: a dataset folder (train.txt + val.txt), one label file, an LMDB set or one
    LMDB. The most CTC steps come from the manifest when there is one, else from the labels; the aspect percentile
    from up to SAMPLED_IMAGES image headers per label file or LMDB. None: no readable image.

    Raises:
        DatasetError: the target or its label files are missing.
        EnvironmentProblem: an LMDB set, without the lmdb package.
    """
    root = lmdb.lmdb_root(target)
    if root is None:
        root, files = paths.label_files(target)
        parts = list(_folder_lines(files, root))
    else:
        parts = list(_lmdb_lines(target))
    sizes = [size for _, found in parts for size in found if size is not None and size[1] > 0]
    if not sizes:
        return None
    manifest = read_manifest(root / paths.MANIFEST) if (root / paths.MANIFEST).is_file() else {}
    most = manifest.get("most_ctc_steps")
    if most is None:
        most = max((ctc_steps(label) for labels, _ in parts for label in labels), default=0)
    aspect = float(np.percentile([w / h for w, h in sizes], ASPECT_PERCENTILE))
    return LineShapes(int(most), aspect)
