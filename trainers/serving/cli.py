"""Command `thaigen serve` (entry point in group thaigen.commands).

Only light modules are imported here; the runtimes (paddle, onnxruntime) load inside the run functions.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import socket
from pathlib import Path

from thaigen.cli import Runner
from thaigen.errors import EnvironmentProblem
from trainers.inference.cli import add_detector_options, add_model_options, load_detector

SAGEMAKER_MODEL_DIR = "/opt/ml/model"
NETWORK_THREADS = max(1, (os.cpu_count() or 1) // 2)
"""Runtime threads for the network: half the cores. The rest is left to HTTP and decoding; onnxruntime's
threads spin between runs, and with all cores (the readers' default) the server spent up to 3x the CPU per
request on 2 cores (see README, load test)."""


def add_serve(parser: argparse.ArgumentParser) -> Runner:
    """serve a recognizer, or with --det whole pages, over HTTP (SageMaker contract: GET /ping, POST /invocations)"""
    from trainers.inference.image import LINE_MAX_PIXELS, PAGE_MAX_PIXELS
    from trainers.serving.app import ServeConfig

    defaults = ServeConfig()
    model_dir = os.environ.get("SM_MODEL_DIR", SAGEMAKER_MODEL_DIR)
    port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", defaults.port))
    parser.add_argument(
        "model", type=Path, nargs="?", default=Path(model_dir), help=f"recognizer folder (default {model_dir})"
    )
    parser.add_argument("--rec", type=Path, help="recognizer folder, instead of MODEL")
    parser.add_argument(
        "--host",
        default=defaults.host,
        help=f"address to bind (default {defaults.host}: this machine only; 0.0.0.0 exposes the server, which has "
        "no authentication: put a proxy with TLS and auth in front)",
    )
    parser.add_argument("--port", type=int, default=port, help=f"port (default {port}; SAGEMAKER_BIND_TO_PORT)")
    parser.add_argument("--max-batch", type=int, default=defaults.max_batch, help="lines per forward pass")
    parser.add_argument("--max-wait-ms", type=float, default=defaults.max_wait_s * 1000, help="wait to fill a batch")
    parser.add_argument(
        "--max-body-mb", type=float, default=defaults.max_body_bytes / 2**20, help="request size limit (413)"
    )
    parser.add_argument("--max-images", type=int, default=defaults.max_images, help="images per JSON request (413)")
    parser.add_argument(
        "--max-mpx",
        type=float,
        help="megapixels an image's header may declare (413, before decoding; default "
        f"{LINE_MAX_PIXELS / 1e6:g} for lines, {PAGE_MAX_PIXELS / 1e6:g} with --det)",
    )
    parser.add_argument(
        "--max-decoded-mb",
        type=float,
        default=defaults.max_decoded_bytes / 2**20,
        help="decoded images in flight, all requests (503 with Retry-After when full)",
    )
    parser.add_argument(
        "--max-bodies-mb",
        type=float,
        default=defaults.max_bodies_bytes / 2**20,
        help="request bodies in flight, all requests, counted 3 times (503 with Retry-After when full)",
    )
    parser.add_argument("--timeout", type=float, default=defaults.timeout_s, help="seconds before a request gets 503")
    parser.add_argument("--quiet", action="store_true", help="no access log")
    add_detector_options(parser)
    add_model_options(parser)
    return _serve


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (uvicorn starts listening on it).

    Raises:
        EnvironmentProblem: the address is in use or cannot be bound (one line naming it).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as exc:
        listening.close()
        raise EnvironmentProblem(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return listening


def _serve(args: argparse.Namespace) -> int:
    from trainers.inference.recognizer import Recognizer, Runtime
    from trainers.serving.app import InferenceServer, ServeConfig

    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(asctime)s %(message)s")
    # SIGTERM (how SageMaker and docker stop a container) ends the process as Ctrl-C does, also while the
    # model loads; while serving, uvicorn takes both signals for a graceful shutdown, then re-raises them.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    listening = _listen(args.host, args.port)  # before the model loads: a port in use fails at once
    recognizer = Recognizer.load(
        args.rec or args.model,
        runtime=Runtime(args.runtime),
        dict_path=args.dict,
        batch_size=args.max_batch,
        threads=NETWORK_THREADS,
    )
    config = ServeConfig(
        host=args.host,
        port=args.port,
        max_batch=args.max_batch,
        max_wait_s=args.max_wait_ms / 1000,
        max_body_bytes=int(args.max_body_mb * 2**20),
        max_images=args.max_images,
        max_pixels=None if args.max_mpx is None else int(args.max_mpx * 1e6),
        max_decoded_bytes=int(args.max_decoded_mb * 2**20),
        max_bodies_bytes=int(args.max_bodies_mb * 2**20),
        timeout_s=args.timeout,
    )
    detector = None if args.det is None else load_detector(args.det, args, NETWORK_THREADS)
    detect = None if detector is None else detector.detect
    server = InferenceServer(recognizer.read_batch, config, access_log=not args.quiet, detect=detect)
    # Libraries and model stay for the process's life: out of the collector's sight, a full collection no
    # longer walks them (those walks were the p99 spikes under load).
    gc.collect()
    gc.freeze()
    port = listening.getsockname()[1]
    what = recognizer.name if detector is None else f"pages: {detector.name} + {recognizer.name}"
    print(f"serving {what} on http://{args.host}:{port} (GET /ping, POST /invocations)", flush=True)
    try:
        return server.serve_until_stopped([listening])
    except KeyboardInterrupt:
        return 1 if server.batcher.failed else 0
