"""An HTTP recognizer following SageMaker's inference contract: GET /ping, POST /invocations (port 8080).

POST /invocations takes either one raw image (any Content-Type but JSON: image/png, image/jpeg,
application/x-image, application/octet-stream) or JSON `{"images": ["<base64>", ...]}`, and answers
`{"predictions": [{"text": "...", "confidence": 0.97}, ...]}` in request order.

Requests from all connections meet in one queue; a batcher thread takes up to `max_batch` lines, waiting
at most `max_wait_s` for more after the first, and runs them in one forward pass (dynamic batching; the
`X-Batch-Sizes` response header says which batch sizes served a request). Bodies over `max_body_bytes`
get 413, undecodable images 400, a line not read within `timeout_s` 503; the server stays up.

The standard library's ThreadingHTTPServer is enough here: one model, one batcher thread, a thread per
connection for I/O and image decoding, and nothing to install in the serving container.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from trainers.inference import image as inference_image
from trainers.inference.engine import Reading
from trainers.inference.image import BadImage, Image

LOG = logging.getLogger("thaigen.serve")
DEFAULT_PORT = 8080


@dataclass(frozen=True)
class ServeConfig:
    """Limits and batching of the server."""

    host: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    max_batch: int = 16
    max_wait_s: float = 0.005
    max_body_bytes: int = 8 * 1024 * 1024
    max_images: int = 64
    """Images in one JSON request."""
    timeout_s: float = 30.0
    """Longest wait for a request's lines to be read."""
    socket_timeout_s: float = 10.0
    """Longest wait for a client to send its request."""


@dataclass(frozen=True)
class Job:
    """One line waiting to be read, and where its reading goes."""

    image: Image
    result: Future[tuple[Reading, int]]
    """Reading and the size of the batch it was read in."""


class Batcher:
    """A thread that reads queued lines in batches of up to `max_batch`, waiting at most `max_wait_s` to fill one."""

    def __init__(
        self, read_batch: Callable[[Sequence[Image]], list[Reading]], max_batch: int, max_wait_s: float
    ) -> None:
        self._read_batch = read_batch
        self._max_batch = max_batch
        self._max_wait_s = max_wait_s
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self.batch_sizes: Counter[int] = Counter()
        self._thread = threading.Thread(target=self._loop, name="thaigen-batcher", daemon=True)
        self._thread.start()

    def submit(self, images: Sequence[Image]) -> list[Future[tuple[Reading, int]]]:
        """Queue lines; each future gives the line's reading and its batch size."""
        jobs = [Job(image, Future()) for image in images]
        for job in jobs:
            self._queue.put(job)
        return [job.result for job in jobs]

    def close(self) -> None:
        """Stop after the lines already queued."""
        self._queue.put(None)
        self._thread.join()

    def _collect(self, first: Job) -> tuple[list[Job], bool]:
        """The first job and whatever arrives within max_wait_s, up to max_batch; and whether to stop after."""
        jobs, deadline = [first], time.monotonic() + self._max_wait_s
        while len(jobs) < self._max_batch:
            try:
                job = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if job is None:
                return jobs, True
            jobs.append(job)
        return jobs, False

    def _loop(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                return
            jobs, stop = self._collect(first)
            jobs = [job for job in jobs if job.result.set_running_or_notify_cancel()]
            if not jobs:
                continue
            try:
                readings = self._read_batch([job.image for job in jobs])
            except Exception as exc:
                LOG.exception("batch of %d failed", len(jobs))
                for job in jobs:
                    job.result.set_exception(exc)
                continue
            self.batch_sizes[len(jobs)] += 1
            for job, reading in zip(jobs, readings, strict=True):
                job.result.set_result((reading, len(jobs)))


class RequestError(Exception):
    """A request the server refuses, with the HTTP status to answer."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_images(body: bytes, content_type: str, max_images: int) -> list[Image]:
    """Decode a request body: JSON {"images": [base64, ...]} or one raw encoded image.

    Raises:
        RequestError: 400 for bad JSON, base64 or images; 413 for too many images.
    """
    if content_type.split(";")[0].strip().lower() != "application/json":
        try:
            return [inference_image.decode(body, "request body")]
        except BadImage as exc:
            raise RequestError(HTTPStatus.BAD_REQUEST, str(exc)) from None
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RequestError(HTTPStatus.BAD_REQUEST, f"body is not JSON: {exc}") from None
    encoded = payload.get("images") if isinstance(payload, dict) else None
    if not isinstance(encoded, list) or not encoded or not all(isinstance(e, str) for e in encoded):
        raise RequestError(
            HTTPStatus.BAD_REQUEST, 'JSON body must be {"images": ["<base64>", ...]} with at least one image'
        )
    if len(encoded) > max_images:
        raise RequestError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"{len(encoded)} images in one request; the limit is {max_images}"
        )
    images = []
    for i, text in enumerate(encoded):
        try:
            images.append(inference_image.decode(base64.b64decode(text, validate=True), f"images[{i}]"))
        except binascii.Error:
            raise RequestError(HTTPStatus.BAD_REQUEST, f"images[{i}] is not base64") from None
        except BadImage as exc:
            raise RequestError(HTTPStatus.BAD_REQUEST, str(exc)) from None
    return images


class InferenceServer(ThreadingHTTPServer):
    """ThreadingHTTPServer carrying the batcher and the limits its handlers apply."""

    daemon_threads = True
    request_queue_size = 128
    """Listen backlog: the default 5 resets connections from a burst of clients."""

    def __init__(self, config: ServeConfig, batcher: Batcher) -> None:
        self.config = config
        self.batcher = batcher
        handler = type("Handler", (InvocationHandler,), {"timeout": config.socket_timeout_s})
        super().__init__((config.host, config.port), handler)

    def server_close(self) -> None:
        """Close the socket and stop the batcher."""
        super().server_close()
        self.batcher.close()


class InvocationHandler(BaseHTTPRequestHandler):
    """GET /ping and POST /invocations."""

    server: InferenceServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """Headers and body go out in two writes; with Nagle on, a delayed ACK adds about 40 ms to each answer."""

    def log_message(self, format: str, *args: Any) -> None:
        """Access log through logging, not bare stderr."""
        LOG.info("%s %s", self.address_string(), format % args)

    def _answer(self, status: HTTPStatus, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        """Health check: 200 once the model is loaded (it is, before the socket opens)."""
        if self.path.split("?")[0] == "/ping":
            self._answer(HTTPStatus.OK, {"status": "healthy"})
        else:
            self._answer(
                HTTPStatus.NOT_FOUND, {"error": f"no such path {self.path}: use GET /ping or POST /invocations"}
            )

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            raise RequestError(HTTPStatus.LENGTH_REQUIRED, "Content-Length header required")
        if int(length) > self.server.config.max_body_bytes:
            self.close_connection = True  # the unread body must not be taken for the next request
            raise RequestError(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"body of {length} bytes; the limit is {self.server.config.max_body_bytes}",
            )
        return self.rfile.read(int(length))

    def _read_lines(self, images: Sequence[Image]) -> list[tuple[Reading, int]]:
        """Queue the lines and wait for their readings (503 after timeout_s)."""
        timeout_s = self.server.config.timeout_s
        futures = self.server.batcher.submit(images)
        deadline = time.monotonic() + timeout_s
        try:
            return [f.result(timeout=max(0.0, deadline - time.monotonic())) for f in futures]
        except FutureTimeout:
            for future in futures:
                future.cancel()
            raise RequestError(HTTPStatus.SERVICE_UNAVAILABLE, f"not read within {timeout_s} s; retry later") from None

    def do_POST(self) -> None:
        """Read the lines in the body."""
        try:
            body = self._read_body()
            if self.path.split("?")[0] != "/invocations":
                raise RequestError(HTTPStatus.NOT_FOUND, f"no such path {self.path}: use POST /invocations")
            images = parse_images(body, self.headers.get("Content-Type", ""), self.server.config.max_images)
            results = self._read_lines(images)
        except RequestError as exc:
            self._answer(exc.status, {"error": str(exc)})
            return
        except Exception as exc:  # noqa: BLE001 (a model failure: answer 500 and keep serving)
            self._answer(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"recognition failed: {exc}"})
            return
        predictions = [{"text": r.text, "confidence": round(r.confidence, 6)} for r, _ in results]
        sizes = ",".join(str(size) for _, size in results)
        self._answer(HTTPStatus.OK, {"predictions": predictions}, {"X-Batch-Sizes": sizes})


def make_server(read_batch: Callable[[Sequence[Image]], list[Reading]], config: ServeConfig) -> InferenceServer:
    """A bound (not yet serving) server; port 0 picks a free port (see server.server_address)."""
    return InferenceServer(config, Batcher(read_batch, config.max_batch, config.max_wait_s))
