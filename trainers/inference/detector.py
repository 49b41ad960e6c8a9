"""Load an exported DB text detector (ONNX or Paddle) and find text boxes on page images.

    detector = Detector.load(Path("runs/pages-db/model"))        # ONNX when the folder has inference.onnx
    for detection in detector.detect(inference_image.load(Path("page.png"))):
        print(detection.points, detection.score)

Pre-processing is PaddleOCR's predict_det (DetResizeForTest, limit_type max, to multiples of 32;
NormalizeImage with ImageNet mean and std on the BGR image, scale 1/255; CHW), post-processing is
trainers.inference.db (PaddleOCR's DBPostProcess), and boxes come in PaddleOCR's reading order. Paddle
runs with oneDNN off: DB's `F.upsample(scale_factor=...)` fails under oneDNN with paddle 3.3.1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from thaigen.errors import ConfigError
from trainers.inference.db import DEFAULT_DB, DBParams, Detection, boxes_from_map, finish
from trainers.inference.folder import DETECTOR_POSTPROCESS, model_formats, postprocess_name, read_inference_yml
from trainers.inference.image import Image
from trainers.inference.reading_order import reading_order
from trainers.inference.recognizer import DEFAULT_THREADS, Backend, Runtime, choose_format, open_model, run_blank

DEFAULT_LIMIT_SIDE = 960
"""Longest side, px, a page is scaled down to before detection (PaddleOCR's det_limit_side_len)."""
LIMIT_TYPES = ("max", "min")
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(1, 1, 3)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(1, 1, 3)
SCALE = np.float32(1.0 / 255.0)
PROBE_SIDE = 32
"""Side, px, of the blank page a detector is checked with at load: its output must be a map of the same size."""


class NotADetector(ConfigError):
    """A folder given as a detector that holds something else, e.g. a recognizer."""


@dataclass(frozen=True)
class DetectorSettings:
    """How pages are resized (DetResizeForTest's limit) and boxes extracted."""

    limit_side_len: int = DEFAULT_LIMIT_SIDE
    limit_type: str = "max"
    """"max": the long side is scaled down to limit_side_len; "min": the short side up to it."""
    db: DBParams = DEFAULT_DB


def resize_for_test(image: Image, settings: DetectorSettings) -> Image:
    """DetResizeForTest (resize type 0): scale to the side limit, then each side to a multiple of 32 (at least 32)."""
    height, width = image.shape[:2]
    limit = settings.limit_side_len
    if settings.limit_type == "max":
        ratio = limit / max(height, width) if max(height, width) > limit else 1.0
    else:
        ratio = limit / min(height, width) if min(height, width) < limit else 1.0
    resized_h = max(round(int(height * ratio) / 32) * 32, 32)
    resized_w = max(round(int(width * ratio) / 32) * 32, 32)
    return cv2.resize(image, (resized_w, resized_h))


def preprocess(image: Image, settings: DetectorSettings) -> np.ndarray:
    """A BGR page as the 1 x 3 x H x W float32 batch a DB model reads."""
    height, width = image.shape[:2]
    if height + width < 64:  # DetResizeForTest pads tiny images to 32 x 32 with black first
        padded = np.zeros((max(32, height), max(32, width), 3), np.uint8)
        padded[:height, :width] = image
        image = padded
    scaled = (resize_for_test(image, settings).astype(np.float32) * SCALE - MEAN) / STD
    return scaled.transpose(2, 0, 1)[np.newaxis]


def read_settings(config: Mapping[str, Any], path: Path) -> DetectorSettings:
    """Settings from inference.yml: its DetResizeForTest limit, when it gives one; DB defaults otherwise.

    Raises:
        NotADetector: inference.yml names a recognizer's or another detector's post-process.
        ConfigError: an unknown DetResizeForTest limit_type.
    """
    name = postprocess_name(config)
    if name is not None and name.endswith("LabelDecode"):
        raise NotADetector(f"{path} is a text recognizer ({name}), not a detector: pass it as --rec")
    if name is not None and name != "DBPostProcess":
        known = " (a detector thaigen does not run)" if name in DETECTOR_POSTPROCESS else ""
        raise NotADetector(f"{path} is not a DB detector: its post-process is {name}{known}")
    for op in (config.get("PreProcess") or {}).get("transform_ops") or []:
        args = op.get("DetResizeForTest") if isinstance(op, Mapping) else None
        if isinstance(args, Mapping) and "limit_side_len" in args:
            limit_type = str(args.get("limit_type", "min"))
            if limit_type not in LIMIT_TYPES:
                raise ConfigError(f"{path}: DetResizeForTest limit_type {limit_type!r} is not max or min")
            return DetectorSettings(int(args["limit_side_len"]), limit_type)
    return DetectorSettings()


def probe_map(backend: Backend, path: Path) -> tuple[tuple[int, ...], str | None]:
    """The output shape for a blank 32 x 32 page, and what is wrong with it: it must be a 1 x 1 x 32 x 32 map.

    Raises:
        ModelLoadError: the network fails on it.
    """
    side = PROBE_SIDE
    shape = run_blank(backend, (1, 3, side, side), f"{path} fails on a blank 3 x {side} x {side} page")
    if shape == (1, 1, side, side):
        return shape, None
    hint = ": N x T x classes, a text recognizer's output: pass it as --rec" if len(shape) == 3 else ""
    return shape, f"output has shape {list(shape)} for a {side} x {side} input, not a DB probability map{hint}"


class Detector:
    """A DB text detector ready to run on page images."""

    def __init__(self, path: Path, backend: Backend, settings: DetectorSettings = DetectorSettings()) -> None:
        self.path = path
        self.backend = backend
        self.settings = settings

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        runtime: Runtime = Runtime.AUTO,
        threads: int = DEFAULT_THREADS,
        limit_side_len: int | None = None,
        db: DBParams = DEFAULT_DB,
    ) -> Detector:
        """Load the detector in folder `path` and check it outputs one probability map per input pixel.

        Args:
            runtime: AUTO prefers inference.onnx, else inference.json / inference.pdmodel (Paddle, oneDNN off).
            limit_side_len: overrides inference.yml's DetResizeForTest limit (default 960, limit type max).
            db: DB post-process thresholds.

        Raises:
            NotADetector: a recognizer's folder, or a network without a DB probability map.
            ConfigError: not a folder, or no model file for `runtime`.
            ModelLoadError: the runtime cannot load the model.
        """
        if not path.is_dir():
            raise ConfigError(f"model folder not found: {path}")
        settings = replace(read_settings(read_inference_yml(path), path), db=db)
        if limit_side_len is not None:
            settings = replace(settings, limit_side_len=limit_side_len)
        model_format = choose_format(path, model_formats(path)[0], runtime)
        backend = open_model(path / model_format.value, model_format, threads)
        _, problem = probe_map(backend, path)
        if problem:
            raise NotADetector(f"{path}: {problem}")
        return cls(path, backend, settings)

    @property
    def name(self) -> str:
        """Folder name and runtime, e.g. 'model (onnxruntime)'."""
        return f"{self.path.name} ({self.backend.name})"

    def probability_map(self, image_bgr: Image) -> np.ndarray:
        """The model's text probability map (H x W float32, at the resized page's size) for one BGR page."""
        return np.asarray(self.backend.run(preprocess(image_bgr, self.settings))[0, 0])

    def detect(self, image_bgr: Image) -> list[Detection]:
        """Text boxes on one uint8 H x W x 3 BGR page, in source pixels, in PaddleOCR's reading order."""
        height, width = image_bgr.shape[:2]
        found = finish(
            boxes_from_map(self.probability_map(image_bgr), (height, width), self.settings.db), (height, width)
        )
        return [found[i] for i in reading_order([d.points for d in found])]
