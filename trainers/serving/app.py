"""An HTTP recognizer following SageMaker's inference contract: GET /ping, POST /invocations (port 8080).

POST /invocations takes either one raw image (any Content-Type but JSON: image/png, image/jpeg,
application/x-image, application/octet-stream) or JSON `{"images": ["<base64>", ...]}`, and answers
`{"predictions": [{"text": "...", "confidence": 0.97}, ...]}` in request order; the prediction for an
image shaped like a page (ServeConfig.page_height) also has a "warning": without a detector it is read as
one squashed line. The `X-Batch-Sizes` response header says which batch sizes served a request (see
batcher.py). Given a detector too, every image is a page: its boxes are found (one page at a time, in a
thread of their own), cut out, and their crops join the same batcher queue; the answer is `{"pages":
[{"lines": [{"points": [[x, y], ...], "text", "confidence", "det_score"}, ...]}, ...]}`, lines in reading
order.

A starlette app on uvicorn (asyncio loop, httptools parser): the event loop only moves bytes; decoding
runs in a worker thread and the network in the batcher's thread. Every answer the app gives is JSON,
errors `{"error": "..."}`: 400 bad body or image, 404 unknown path, 405 wrong method (with Allow), 408
body not sent within `socket_timeout_s`, 411 no Content-Length, 413 body over `max_body_bytes` (refused
before it is read), too many images, or an image whose header declares more pixels than the limit (refused
before it is decoded), 500 model failure, 503 a line not read within `timeout_s`, or (with Retry-After) the
memory budget for bodies or decoded images not free within `budget_wait_s`. If the batcher thread dies,
/ping answers 503 and the server stops after `death_grace_s`, exiting non-zero.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
import math
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from trainers.inference import image as inference_image
from trainers.inference.db import Detection
from trainers.inference.engine import Reading
from trainers.inference.image import BadImage, Image, ImageTooLarge, Size
from trainers.inference.pages import crop_lines, page_lines
from trainers.serving.batcher import Batcher, BatcherStopped, ReadBatch
from trainers.serving.budget import Budget, BudgetBusy, OverBudget

LOG = logging.getLogger("thaigen.serve")
DEFAULT_PORT = 8080
WATCH_INTERVAL_S = 0.1
"""How often the watchdog looks at the batcher thread."""
BODY_COPIES = 3
"""Body bytes held per byte sent, at most: the streamed chunks and their join; for JSON, the body, its text and
the parsed base64 strings (then the decoded images, three quarters of it)."""


@dataclass(frozen=True)
class ServeConfig:
    """Limits and batching of the server.

    Worst-case resident memory, with these limits: the process with its model loaded (measure it: `/ping`
    answering, no request yet), plus `max_bodies_bytes` (request bodies and their parsed copies), plus
    `max_decoded_bytes` (decoded images, and with a detector their line crops, and the transient buffers of the
    decoders), plus one batch (`max_batch` lines of model height H and width up to `max_aspect` x H, float32,
    about 3 copies: 16 x 3 x 48 x 4800 x 4 x 3 = 130 MB at H = 48) and, with a detector, one page at
    `det_limit_side_len` (960 x 960 x 3 float32, about 3 copies: 33 MB), plus uvicorn's buffers for up to
    `max_connections` connections (64 KiB each before it stops reading: 32 MiB at 512). With the defaults:
    model + 256 MiB + 768 MiB + about 200 MB.
    """

    host: str = "127.0.0.1"
    """Loopback only by default: the server has no authentication (see README: how to expose it)."""
    port: int = DEFAULT_PORT
    max_batch: int = 16
    max_wait_s: float = 0.005
    max_body_bytes: int = 8 * 1024 * 1024
    max_images: int = 64
    """Images in one JSON request."""
    max_aspect: float = 100.0
    """Widest line accepted, width / height: a 50000 x 1 px line would make a 1.6 Mpx-wide batch."""
    max_pixels: int | None = None
    """Most pixels an image's header may declare (413, before decoding); None: LINE_MAX_PIXELS (10.24 Mpx)
    without a detector, PAGE_MAX_PIXELS (40 Mpx) with one (see trainers/inference/image.py)."""
    max_bodies_bytes: int = 256 * 1024 * 1024
    """Request bodies in flight, bytes, counted BODY_COPIES times from Content-Length (max_body_bytes when
    chunked) before the body is read."""
    max_decoded_bytes: int = 768 * 1024 * 1024
    """Decoded images in flight, bytes, counted from the headers before decoding: 3 bytes a pixel (6 with a
    detector: the page and its line crops), plus the decoder's transient buffers for the largest image."""
    budget_wait_s: float = 2.0
    """Longest wait for a share of either budget before 503 with Retry-After."""
    retry_after_s: int = 1
    max_connections: int = 512
    """Connections and requests at once (uvicorn's limit_concurrency); more get uvicorn's 503."""
    page_height: int = 200
    """Without a detector, an image this tall or taller and less than `page_aspect` times as wide as tall is
    shaped like a page: it is still read as one line, but its prediction carries a warning."""
    page_aspect: float = 2.0
    timeout_s: float = 30.0
    """Longest wait for a request's lines to be read."""
    socket_timeout_s: float = 10.0
    """Longest wait for a client to send its request body."""
    keep_alive_s: int = 75
    """Idle keep-alive connections close after this; longer than a load balancer's usual 60 s."""
    death_grace_s: float = 1.0
    """After the batcher dies, how long /ping answers 503 before the server stops."""

    def pixel_limit(self, pages: bool) -> int:
        """Most pixels an image may declare: `max_pixels`, else the line or page default."""
        if self.max_pixels is not None:
            return self.max_pixels
        return inference_image.PAGE_MAX_PIXELS if pages else inference_image.LINE_MAX_PIXELS


class RequestError(Exception):
    """A request the server refuses, with the HTTP status to answer."""

    def __init__(
        self, status: HTTPStatus, message: str, *, close: bool = False, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.close = close
        """Close the connection after answering: the rest of the body must not be taken for a request."""
        self.headers = headers or {}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON answer for an error."""
    return JSONResponse({"error": message}, status, headers)


@dataclass(frozen=True)
class Upload:
    """One encoded image of a request and the size its header declares."""

    name: str
    """How errors name it: `request body` or `images[i]`."""
    data: bytes
    size: Size


def _measure(data: bytes, name: str, max_pixels: int, max_aspect: float) -> Upload:
    try:
        size = inference_image.measure(data, name, max_pixels)
    except ImageTooLarge as exc:
        raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, str(exc)) from None
    except BadImage as exc:
        raise RequestError(HTTPStatus.BAD_REQUEST, str(exc)) from None
    if size.width > max_aspect * size.height:
        raise RequestError(
            HTTPStatus.BAD_REQUEST,
            f"{name} is {size.width} x {size.height} px; lines wider than {max_aspect:g}:1 are refused",
        )
    return Upload(name, data, size)


def page_warning(image: Image, config: ServeConfig) -> str | None:
    """Why `image` looks like a page rather than a text line (a line is low and wide), or None."""
    height, width = image.shape[:2]
    if height < config.page_height or width >= config.page_aspect * height:
        return None
    return (
        f"a {width} x {height} px image is shaped like a page, not a text line: this server has no detector "
        "and reads each image as one line; start it with --det to read pages"
    )


def parse_uploads(body: bytes, content_type: str, max_images: int, max_pixels: int, max_aspect: float) -> list[Upload]:
    """Split a request body into its images (JSON {"images": [base64, ...]} or one raw encoded image) and read
    each one's size from its header, decoding nothing.

    Raises:
        RequestError: 400 for bad JSON, base64, image headers or too wide lines; 413 for too many images or an
            image declaring more than `max_pixels`.
    """
    if content_type.split(";")[0].strip().lower() != "application/json":
        return [_measure(body, "request body", max_pixels, max_aspect)]
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
    uploads = []
    for i, text in enumerate(encoded):
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise RequestError(HTTPStatus.BAD_REQUEST, f"images[{i}] is not base64") from None
        uploads.append(_measure(data, f"images[{i}]", max_pixels, max_aspect))
    return uploads


def decode_uploads(uploads: Sequence[Upload], max_pixels: int) -> list[Image]:
    """Decode measured uploads, one at a time.

    Raises:
        RequestError: 400 for an image that does not decode, or not to the size its header declared.
    """
    try:
        return [inference_image.decode(u.data, u.name, max_pixels) for u in uploads]
    except BadImage as exc:
        raise RequestError(HTTPStatus.BAD_REQUEST, str(exc)) from None


def decoded_bytes(sizes: Sequence[Size], pages: bool) -> int:
    """Memory, bytes, that decoding and reading images of these sizes may hold at once: each decoded image
    (and with pages, its line crops: at most the page again), plus the decoder's transient buffers for the
    largest one (images are decoded one at a time)."""
    kept = sum(s.decoded_bytes for s in sizes) * (2 if pages else 1)
    largest = max(s.pixels for s in sizes)
    return kept + largest * (inference_image.DECODE_PEAK_BYTES - inference_image.PIXEL_BYTES)


@contextlib.asynccontextmanager
async def holding(budget: Budget, nbytes: int, config: ServeConfig, *, close: bool = False) -> AsyncIterator[None]:
    """Hold a share of `budget` while the request works.

    Raises:
        RequestError: 413 when the share is more than the whole budget, 503 with Retry-After when it does not
            come free within `config.budget_wait_s`; `close`: close the connection after (the body is unread).
    """
    try:
        async with budget.hold(nbytes, config.budget_wait_s):
            yield  # what the request raises inside is a RequestError or a bug, never OverBudget or BudgetBusy
    except OverBudget as exc:
        raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, str(exc), close=close) from None
    except BudgetBusy as exc:
        retry = {"Retry-After": str(config.retry_after_s)}
        raise RequestError(HTTPStatus.SERVICE_UNAVAILABLE, f"server busy: {exc}", close=close, headers=retry) from None


async def read_body(request: Request, max_bytes: int, timeout_s: float) -> bytes:
    """The request body, refused (413) when its declared or streamed size passes `max_bytes`.

    Raises:
        RequestError: 411 without Content-Length on a body that is not chunked, 413 too large, 408 not
            sent within `timeout_s`, 400 when the client hung up mid-body.
    """
    length = request.headers.get("content-length")
    if length is None and "chunked" not in request.headers.get("transfer-encoding", "").lower():
        raise RequestError(HTTPStatus.LENGTH_REQUIRED, "Content-Length header required")
    if length is not None and not length.strip().isdigit():
        raise RequestError(HTTPStatus.BAD_REQUEST, f"Content-Length {length!r} is not a number", close=True)
    if length is not None and int(length) > max_bytes:
        raise RequestError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body of {length} bytes; the limit is {max_bytes}", close=True
        )
    chunks, size = [], 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_bytes:
                    raise RequestError(
                        HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"body over the limit of {max_bytes} bytes", close=True
                    )
                chunks.append(chunk)
    except TimeoutError:
        raise RequestError(HTTPStatus.REQUEST_TIMEOUT, f"body not sent within {timeout_s} s", close=True) from None
    except ClientDisconnect:
        raise RequestError(HTTPStatus.BAD_REQUEST, "client closed the connection mid-body", close=True) from None
    return b"".join(chunks)


def _body_length(request: Request, max_bytes: int) -> int:
    """Bytes the body will take: its Content-Length, or `max_bytes` when chunked or over it (read_body refuses those)."""
    length = request.headers.get("content-length", "").strip()
    return min(int(length), max_bytes) if length.isdigit() else max_bytes


async def read_lines(batcher: Batcher, images: Sequence[Image], timeout_s: float) -> list[tuple[Reading, int]]:
    """Queue the lines and wait for their readings without blocking the event loop.

    Raises:
        RequestError: 503 when they are not read within `timeout_s` or the batcher has stopped.
    """
    try:
        futures = [asyncio.wrap_future(f) for f in batcher.submit(images)]
        return await asyncio.wait_for(asyncio.gather(*futures), timeout_s)
    except TimeoutError:
        raise RequestError(HTTPStatus.SERVICE_UNAVAILABLE, f"not read within {timeout_s} s; retry later") from None
    except BatcherStopped as exc:
        raise RequestError(HTTPStatus.SERVICE_UNAVAILABLE, str(exc)) from None


Detect = Callable[[Image], list[Detection]]


def _detect_and_crop(detect: Detect, page: Image) -> tuple[list[Detection], list[Image]]:
    detections = detect(page)
    return detections, crop_lines(page, detections)


async def read_pages(
    batcher: Batcher, pool: ThreadPoolExecutor, detect: Detect, pages: Sequence[Image], timeout_s: float
) -> tuple[list[dict[str, object]], list[int]]:
    """Detect each page's lines in `pool`, read their crops with `batcher`: JSON pages and the batch sizes used.

    Raises:
        RequestError: 503 as read_lines.
    """
    loop = asyncio.get_running_loop()
    answers: list[dict[str, object]] = []
    sizes: list[int] = []
    for page in pages:
        detections, crops = await loop.run_in_executor(pool, _detect_and_crop, detect, page)
        results = await read_lines(batcher, crops, timeout_s) if crops else []
        lines = page_lines(detections, [reading for reading, _ in results])
        answers.append({"lines": [line.as_json() for line in lines]})
        sizes += [size for _, size in results]
    return answers, sizes


async def _watch(batcher: Batcher, grace_s: float, stop: Callable[[], None]) -> None:
    """Wait for the batcher thread to die; then, after `grace_s` of 503 on /ping, stop the server."""
    while not batcher.failed:
        await asyncio.sleep(WATCH_INTERVAL_S)
    LOG.error("the batcher thread died (%r); stopping the server in %g s", batcher.failure, grace_s)
    await asyncio.sleep(grace_s)
    stop()


def make_app(
    batcher: Batcher, config: ServeConfig, stop: Callable[[], None], detect: Detect | None = None
) -> Starlette:
    """The ASGI app reading lines with `batcher` (pages, with `detect`); `stop` is called when the batcher dies."""
    detect_pool = ThreadPoolExecutor(1, thread_name_prefix="thaigen-detect")

    async def ping(request: Request) -> Response:
        if batcher.failed:
            return error_response(HTTPStatus.SERVICE_UNAVAILABLE, "the batcher has stopped; the server is restarting")
        return JSONResponse({"status": "healthy"})

    pages = detect is not None
    max_pixels = config.pixel_limit(pages)
    bodies = Budget(config.max_bodies_bytes, "request bodies")
    decoded = Budget(config.max_decoded_bytes, "decoded images")

    async def invocations(request: Request) -> Response:
        share = BODY_COPIES * _body_length(request, config.max_body_bytes)
        async with holding(bodies, share, config, close=True):  # a 503 here leaves the body unread
            body = await read_body(request, config.max_body_bytes, config.socket_timeout_s)
            content_type = request.headers.get("content-type", "")
            uploads = await run_in_threadpool(
                parse_uploads, body, content_type, config.max_images, max_pixels, config.max_aspect
            )
            async with holding(decoded, decoded_bytes([u.size for u in uploads], pages), config):
                images = await run_in_threadpool(decode_uploads, uploads, max_pixels)
                return await (_pages(images) if pages else _lines(images))

    async def _lines(images: list[Image]) -> Response:
        try:
            results = await read_lines(batcher, images, config.timeout_s)
        except RequestError:
            raise
        except Exception as exc:  # noqa: BLE001 (a model failure: answer 500 and keep serving)
            return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, f"recognition failed: {exc}")
        predictions: list[dict[str, object]] = [
            {"text": r.text, "confidence": round(r.confidence, 6)} for r, _ in results
        ]
        for prediction, image in zip(predictions, images, strict=True):
            warning = page_warning(image, config)
            if warning:
                prediction["warning"] = warning
        sizes = ",".join(str(size) for _, size in results)
        return JSONResponse({"predictions": predictions}, headers={"X-Batch-Sizes": sizes})

    async def _pages(pages: list[Image]) -> Response:
        assert detect is not None
        try:
            answers, sizes = await read_pages(batcher, detect_pool, detect, pages, config.timeout_s)
        except RequestError:
            raise
        except Exception as exc:  # noqa: BLE001 (a model failure: answer 500 and keep serving)
            return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, f"page reading failed: {exc}")
        return JSONResponse({"pages": answers}, headers={"X-Batch-Sizes": ",".join(map(str, sizes))})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        watchdog = asyncio.create_task(_watch(batcher, config.death_grace_s, stop))
        try:
            yield
        finally:
            watchdog.cancel()
            detect_pool.shutdown(wait=False, cancel_futures=True)

    app = Starlette(
        routes=[Route("/ping", ping, methods=["GET"]), Route("/invocations", invocations, methods=["POST"])],
        exception_handlers={RequestError: _refused, HTTPException: _http_error, Exception: _internal_error},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # /ping/ is a 404, not a redirect without a JSON body
    return app


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestError)
    return error_response(exc.status, str(exc), exc.headers | ({"Connection": "close"} if exc.close else {}))


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's routing errors (404, 405) as JSON."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == HTTPStatus.NOT_FOUND:
        message = f"no such path {request.url.path}: use GET /ping or POST /invocations"
    elif exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
        message = f"{request.method} not allowed on {request.url.path}: use {(exc.headers or {}).get('Allow')}"
    else:
        message = exc.detail
    return error_response(exc.status_code, message, dict(exc.headers or {}))


async def _internal_error(request: Request, exc: Exception) -> Response:
    """A bug (starlette logs its traceback): still JSON."""
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, f"internal error: {type(exc).__name__}")


class InferenceServer(uvicorn.Server):
    """uvicorn serving the app, stopped (and failed) when the batcher thread dies."""

    def __init__(
        self, read_batch: ReadBatch, config: ServeConfig, *, access_log: bool = True, detect: Detect | None = None
    ) -> None:
        self.batcher = Batcher(read_batch, config.max_batch, config.max_wait_s)
        app = make_app(self.batcher, config, self.stop, detect)
        super().__init__(
            uvicorn.Config(
                app,
                host=config.host,
                port=config.port,
                loop="asyncio",
                http="httptools",  # C parser: about a third less CPU per request than h11 here
                lifespan="on",
                log_config=None,
                access_log=access_log,
                timeout_keep_alive=config.keep_alive_s,
                limit_concurrency=config.max_connections,
                backlog=1024,
                timeout_graceful_shutdown=math.ceil(config.timeout_s),
            )
        )

    def stop(self) -> None:
        """Ask the server to shut down gracefully (as SIGTERM does)."""
        self.should_exit = True

    @property
    def port(self) -> int:
        """The port it listens on (once started): the real one when the config said 0."""
        return int(self.servers[0].sockets[0].getsockname()[1])

    def serve_until_stopped(self, sockets: list[socket.socket] | None = None) -> int:
        """Serve until SIGTERM, SIGINT, stop() or the batcher's death; the exit code: 1 if the batcher died."""
        try:
            self.run(sockets)
        finally:
            self.batcher.close()
        return 1 if self.batcher.failed else 0
