"""Commands `thaigen doctor` and `read` (entry points in group thaigen.commands), and the model options they share.

`read` reads line images with a recognizer, or whole pages when also given a detector (`--det`).

Only light modules are imported here; the runtimes (paddle, onnxruntime) load inside the run functions.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from thaigen.cli import Runner
from thaigen.errors import ConfigError

if TYPE_CHECKING:
    from trainers.inference.detector import Detector
    from trainers.inference.image import Image
    from trainers.inference.recognizer import Recognizer

RUNTIMES = ("auto", "onnx", "paddle")


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--runtime", choices=RUNTIMES, default="auto", help="auto: ONNX when the folder has inference.onnx"
    )
    parser.add_argument(
        "--dict", type=Path, help="character dictionary (default: inference.yml PostProcess.character_dict)"
    )


def add_detector_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--det", type=Path, help="exported DB detector folder: read whole pages")
    parser.add_argument(
        "--det-limit-side-len",
        type=int,
        help="longest page side, px, before detection (default: the detector's inference.yml, else 960)",
    )


def load_detector(path: Path, args: argparse.Namespace, threads: int | None = None) -> Detector:
    from trainers.inference.detector import Detector
    from trainers.inference.recognizer import DEFAULT_THREADS, Runtime

    return Detector.load(
        path, runtime=Runtime(args.runtime), threads=threads or DEFAULT_THREADS, limit_side_len=args.det_limit_side_len
    )


def load_recognizer(path: Path, args: argparse.Namespace, batch_size: int | None = None) -> Recognizer:
    from trainers.inference.recognizer import DEFAULT_BATCH, Recognizer, Runtime

    return Recognizer.load(
        path, runtime=Runtime(args.runtime), dict_path=args.dict, batch_size=batch_size or DEFAULT_BATCH
    )


def add_doctor(parser: argparse.ArgumentParser) -> Runner:
    """say what a recognizer or detector folder holds, which runtimes load it and what is wrong"""
    parser.add_argument("model", type=Path, help="exported recognizer or detector folder")
    parser.add_argument(
        "--dict", type=Path, help="character dictionary (default: inference.yml PostProcess.character_dict)"
    )
    parser.add_argument("--to-onnx", action="store_true", help="first write inference.onnx with paddle2onnx")
    return _doctor


def _doctor(args: argparse.Namespace) -> int:
    from trainers.inference.doctor import diagnose
    from trainers.paddleocr.onnx import convert_to_onnx

    if args.to_onnx:
        try:
            print(f"wrote {convert_to_onnx(args.model)}")
        except FileNotFoundError as exc:
            raise ConfigError(str(exc)) from None
    diagnosis = diagnose(args.model, args.dict)
    print(diagnosis.render())
    return 1 if diagnosis.problems else 0


def add_read(parser: argparse.ArgumentParser) -> Runner:
    """read text lines from image files with a recognizer, or whole pages with --det too: text and confidence"""
    parser.add_argument("images", type=Path, nargs="+", help="line images, or page images with --det")
    parser.add_argument(
        "--model", "-m", "--rec", dest="model", type=Path, required=True, help="exported recognizer folder"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    add_detector_options(parser)
    add_model_options(parser)
    return _read


def _read(args: argparse.Namespace) -> int:
    from trainers.inference import image as inference_image

    limit = inference_image.LINE_MAX_PIXELS if args.det is None else inference_image.PAGE_MAX_PIXELS
    images = [inference_image.load(path, limit) for path in args.images]
    if args.det is not None:
        return _read_pages(args, images)
    readings = load_recognizer(args.model, args).read(images)
    for path, reading in zip(args.images, readings, strict=True):
        if args.json:
            print(
                json.dumps(
                    {"image": str(path), "text": reading.text, "confidence": reading.confidence}, ensure_ascii=False
                )
            )
        else:
            print(f"{path}\t{reading.text}\t{reading.confidence:.3f}")
    return 0


def _read_pages(args: argparse.Namespace, pages: list[Image]) -> int:
    from trainers.inference.pages import NoTextLines, PageReader

    reader = PageReader(load_detector(args.det, args), load_recognizer(args.model, args))
    for path, page in zip(args.images, pages, strict=True):
        lines = reader.read_page(page)
        if not lines:
            height, width = page.shape[:2]
            warnings.warn(f"{path}: the detector found no text lines on this {width} x {height} px page", NoTextLines)
        for number, line in enumerate(lines, start=1):
            if args.json:
                print(json.dumps({"image": str(path), "line": number, **line.as_json()}, ensure_ascii=False))
            else:
                points = " ".join(f"{x},{y}" for x, y in line.as_json()["points"])
                print(f"{path}\t{number}\t{line.text}\t{line.confidence:.3f}\t{line.det_score:.3f}\t{points}")
    return 0
