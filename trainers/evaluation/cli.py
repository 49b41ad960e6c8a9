"""Commands `thaigen score`, `doctor`, `read` and `serve` (entry points in group thaigen.commands).

Only light modules are imported here; the runtimes (paddle, onnxruntime) load inside the run functions.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from thaigen.errors import ConfigError

if TYPE_CHECKING:
    from trainers.inference.engine import Engine
    from trainers.inference.recognizer import Recognizer

Runner = Callable[[argparse.Namespace], int]
TESSERACT = "tesseract"
RUNTIMES = ("auto", "onnx", "paddle")
SAGEMAKER_MODEL_DIR = "/opt/ml/model"


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--runtime", choices=RUNTIMES, default="auto", help="auto: ONNX when the folder has inference.onnx"
    )
    parser.add_argument(
        "--dict", type=Path, help="character dictionary (default: inference.yml PostProcess.character_dict)"
    )


def _load(path: Path, args: argparse.Namespace, batch_size: int | None = None) -> Recognizer:
    from trainers.inference.recognizer import DEFAULT_BATCH, Recognizer, Runtime

    return Recognizer.load(
        path, runtime=Runtime(args.runtime), dict_path=args.dict, batch_size=batch_size or DEFAULT_BATCH
    )


def add_score(parser: argparse.ArgumentParser) -> Runner:
    """score recognizers (and Tesseract, ensembles) on a PaddleOCR label file or dataset folder"""
    parser.add_argument("model", help=f"model folder, or '{TESSERACT}'")
    parser.add_argument("dataset", type=Path, help="label file (path<TAB>label) or dataset folder (its val.txt)")
    parser.add_argument(
        "--engine", action="append", default=[], help=f"another model folder or '{TESSERACT}' (repeatable)"
    )
    parser.add_argument(
        "--ensemble",
        action="append",
        default=[],
        choices=("confidence", "vote"),
        help="also score all engines combined (repeatable)",
    )
    parser.add_argument("--labels", help="label file inside a dataset folder (default val.txt)")
    parser.add_argument(
        "--data-dir", type=Path, help="folder the image paths are relative to (default: the label file's)"
    )
    parser.add_argument("--limit", type=int, help="score only the first N lines")
    parser.add_argument("--tesseract-langs", default="tha+eng", help="Tesseract languages (default tha+eng)")
    parser.add_argument("--out", type=Path, help="report folder (default scores/<dataset>)")
    _add_model_options(parser)
    return _score


def _engine(spec: str, args: argparse.Namespace) -> Engine:
    if spec == TESSERACT:
        from trainers.inference.tesseract import TesseractEngine

        return TesseractEngine(args.tesseract_langs)
    return _load(Path(spec), args)


def _score(args: argparse.Namespace) -> int:
    from trainers.evaluation.report import summary_table, write_report
    from trainers.evaluation.score import label_file_for, load_images, read_labels, score
    from trainers.inference.ensemble import Combiner, Ensemble

    label_file = label_file_for(args.dataset, args.labels)
    lines = read_labels(label_file, args.data_dir)[: args.limit]
    engines = [_engine(spec, args) for spec in [args.model, *args.engine]]
    if args.ensemble and len(engines) < 2:
        raise ConfigError("--ensemble needs at least two engines: add --engine")
    engines += [Ensemble(engines, Combiner(name)) for name in args.ensemble]
    names = [e.name for e in engines]
    if len(set(names)) < len(names):
        raise ConfigError(f"the same engine is listed twice: {', '.join(names)}")
    images = load_images(lines)
    scores = score(engines, lines, images)
    out = args.out or Path("scores") / (args.dataset.name if args.dataset.is_dir() else label_file.stem)
    report = write_report(out, str(label_file), scores, lines, images)
    print(summary_table(scores))
    print(f"report: {report} (+ report.json, worst-*.png)")
    return 0


def add_doctor(parser: argparse.ArgumentParser) -> Runner:
    """say what a recognizer folder holds, which runtimes load it and what is wrong"""
    parser.add_argument("model", type=Path, help="exported recognizer folder")
    parser.add_argument(
        "--dict", type=Path, help="character dictionary (default: inference.yml PostProcess.character_dict)"
    )
    parser.add_argument("--to-onnx", action="store_true", help="first write inference.onnx with paddle2onnx")
    return _doctor


def _doctor(args: argparse.Namespace) -> int:
    from trainers.inference.doctor import diagnose
    from trainers.inference.onnx_backend import convert_to_onnx

    if args.to_onnx:
        try:
            print(f"wrote {convert_to_onnx(args.model)}")
        except FileNotFoundError as exc:
            raise ConfigError(str(exc)) from None
    diagnosis = diagnose(args.model, args.dict)
    print(diagnosis.render())
    return 1 if diagnosis.problems else 0


def add_read(parser: argparse.ArgumentParser) -> Runner:
    """read text lines from image files with a recognizer: text and confidence"""
    parser.add_argument("images", type=Path, nargs="+", help="line images")
    parser.add_argument("--model", "-m", type=Path, required=True, help="exported recognizer folder")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    _add_model_options(parser)
    return _read


def _read(args: argparse.Namespace) -> int:
    from trainers.inference import image as inference_image

    images = [inference_image.load(path) for path in args.images]
    readings = _load(args.model, args).read(images)
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


def add_serve(parser: argparse.ArgumentParser) -> Runner:
    """serve a recognizer over HTTP (SageMaker inference contract: GET /ping, POST /invocations)"""
    from trainers.serving.app import ServeConfig

    defaults = ServeConfig()
    model_dir = os.environ.get("SM_MODEL_DIR", SAGEMAKER_MODEL_DIR)
    port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", defaults.port))
    parser.add_argument(
        "model", type=Path, nargs="?", default=Path(model_dir), help=f"recognizer folder (default {model_dir})"
    )
    parser.add_argument("--host", default=defaults.host, help=f"address to bind (default {defaults.host})")
    parser.add_argument("--port", type=int, default=port, help=f"port (default {port}; SAGEMAKER_BIND_TO_PORT)")
    parser.add_argument("--max-batch", type=int, default=defaults.max_batch, help="lines per forward pass")
    parser.add_argument("--max-wait-ms", type=float, default=defaults.max_wait_s * 1000, help="wait to fill a batch")
    parser.add_argument(
        "--max-body-mb", type=float, default=defaults.max_body_bytes / 2**20, help="request size limit (413)"
    )
    parser.add_argument("--max-images", type=int, default=defaults.max_images, help="images per JSON request (413)")
    parser.add_argument("--timeout", type=float, default=defaults.timeout_s, help="seconds before a request gets 503")
    parser.add_argument("--quiet", action="store_true", help="no access log")
    _add_model_options(parser)
    return _serve


def _serve(args: argparse.Namespace) -> int:
    from trainers.serving.app import ServeConfig, make_server

    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(asctime)s %(message)s")
    recognizer = _load(args.model, args, args.max_batch)
    config = ServeConfig(
        host=args.host,
        port=args.port,
        max_batch=args.max_batch,
        max_wait_s=args.max_wait_ms / 1000,
        max_body_bytes=int(args.max_body_mb * 2**20),
        max_images=args.max_images,
        timeout_s=args.timeout,
    )
    server = make_server(recognizer.read_batch, config)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(
        f"serving {recognizer.name} on http://{args.host}:{server.server_port} (GET /ping, POST /invocations)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
