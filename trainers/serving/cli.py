"""Command `thaigen serve` (entry point in group thaigen.commands).

Only light modules are imported here; the runtimes (paddle, onnxruntime) load inside the run functions.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path

from trainers.inference.cli import add_model_options, load_recognizer

Runner = Callable[[argparse.Namespace], int]
SAGEMAKER_MODEL_DIR = "/opt/ml/model"


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
    add_model_options(parser)
    return _serve


def _serve(args: argparse.Namespace) -> int:
    from trainers.serving.app import InferenceServer, ServeConfig

    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(asctime)s %(message)s")
    # SIGTERM (how SageMaker and docker stop a container) ends the process as Ctrl-C does, also while the
    # model loads; while serving, uvicorn takes both signals for a graceful shutdown, then re-raises them.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    recognizer = load_recognizer(args.model, args, args.max_batch)
    config = ServeConfig(
        host=args.host,
        port=args.port,
        max_batch=args.max_batch,
        max_wait_s=args.max_wait_ms / 1000,
        max_body_bytes=int(args.max_body_mb * 2**20),
        max_images=args.max_images,
        timeout_s=args.timeout,
    )
    server = InferenceServer(recognizer.read_batch, config, access_log=not args.quiet)
    print(f"serving {recognizer.name} on http://{args.host}:{args.port} (GET /ping, POST /invocations)", flush=True)
    try:
        return server.serve_until_stopped()
    except KeyboardInterrupt:
        return 1 if server.batcher.failed else 0
