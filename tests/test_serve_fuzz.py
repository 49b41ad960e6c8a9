"""Malformed HTTP against `thaigen serve` on loopback (raw sockets): the server answers 2xx or 4xx, its own
errors are JSON, it never logs a traceback, and it still reads a good line afterwards. Decompression bombs in
every accepted format never take its peak resident memory past PEAK_RSS_MB.

Each property runs 100 examples (well under a minute in all); THAIGEN_FUZZ_EXAMPLES=3000 makes it a
long run. The server runs as a subprocess, its log captured in a file and checked at the end.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.client import HTTPException, HTTPResponse
from pathlib import Path

import numpy as np
import pytest
from bombs import BOMBS, MAX_SIDE, gif_bomb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_fixtures import tiny_models_fixture  # noqa: F401 (the tiny_models fixture)
from PIL import Image as PILImage
from tiny_model import TinyModels

from trainers.inference.image import LINE_MAX_PIXELS

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
MAX_BODY = 2**20
MAX_IMAGES = 8
EXAMPLES = int(os.environ.get("THAIGEN_FUZZ_EXAMPLES", "100"))
PEAK_RSS_MB = 1024
"""The server's resident memory at its peak over the module: the model and libraries take about 200 MB, the
largest image it decodes (10.24 Mpx) about 130 MB more while it decodes."""
UVICORN_400 = b"Invalid HTTP request received."
"""What uvicorn itself answers (text/plain, then it closes) to bytes h11 cannot parse as HTTP."""

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
STATUSES: Counter[int | str] = Counter()
"""Every answer's status over the module ('none': closed without one), reported at the end."""


@dataclass(frozen=True)
class FuzzServer:
    port: int
    log: Path
    process: subprocess.Popen[bytes]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    reusable: bool
    """The connection still answered GET /ping correctly after it."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _read_answer(raw: socket.socket, method: str) -> tuple[int, dict[str, str], bytes] | None:
    """One response from the socket, or None when the server closed it without one."""
    response = HTTPResponse(raw, method=method)
    try:
        response.begin()
        body = response.read()
    except (HTTPException, ConnectionResetError):
        return None
    finally:
        response.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def exchange(port: int, data: bytes, method: str = "POST", *, hang_up: bool = False) -> Answer | None:
    """Send raw bytes; read the answer, then check the same connection still serves GET /ping.

    With `hang_up` the client closes right after sending (a truncated body): nothing is read.
    """
    with socket.create_connection((HOST, port), timeout=20) as raw:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            raw.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered (413) and closed before all was sent
        if hang_up:
            STATUSES["hung up"] += 1
            return None
        answer = _read_answer(raw, method)
        if answer is None:
            STATUSES["none"] += 1
            return None
        status, headers, body = answer
        STATUSES[status] += 1
        reusable = False
        if headers.get("connection", "").lower() != "close":
            try:
                raw.sendall(b"GET /ping HTTP/1.1\r\nHost: fuzz\r\n\r\n")
                again = _read_answer(raw, "GET")
            except OSError:
                again = None
            reusable = again is not None and again[0] == 200 and json.loads(again[2]) == {"status": "healthy"}
        return Answer(status, headers, body, reusable)


def check(answer: Answer | None, method: str, *, may_close: bool = False) -> Answer | None:
    """The properties every answer has: 2xx/4xx; JSON from the app, uvicorn's plain 400 for unparsable HTTP."""
    if answer is None:
        assert may_close, "connection closed without an answer"
        return None
    assert 200 <= answer.status < 500, (answer.status, answer.body[:300])
    if answer.headers.get("content-type", "").startswith("application/json"):
        if method != "HEAD":
            payload = json.loads(answer.body)
            assert ("error" in payload) == (answer.status >= 400), payload
    else:
        assert (answer.status, answer.body) == (400, UVICORN_400), (answer.status, answer.headers, answer.body[:300])
    if answer.headers.get("connection", "").lower() != "close":
        assert answer.reusable, "the connection stayed open but did not serve the next request"
    return answer


def head(method: str, path: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: fuzz", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunked(body: bytes, cuts: list[int]) -> bytes:
    """`body` in chunks cut at the given offsets, then the last chunk."""
    edges = sorted({0, len(body), *(c % (len(body) + 1) for c in cuts)})
    parts = [body[a:b] for a, b in itertools.pairwise(edges) if b > a]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


# ---- what gets sent ----------------------------------------------------------------------------

MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK", "I;16", "I", "F", "YCbCr")
FORMATS = ("PNG", "TIFF", "JPEG", "BMP", "GIF", "WEBP", "PPM")
SIZES = st.one_of(
    st.tuples(st.integers(1, 400), st.integers(1, 80)),
    st.sampled_from([(1, 1), (50000, 1), (1, 50000), (5000, 50), (2, 1)]),
)
CONTENT_TYPES = st.sampled_from(
    [
        "image/png",
        "image/jpeg",
        "application/x-image",
        "application/octet-stream",
        "application/json",
        "Application/JSON; charset=utf-8",
        "text/plain",
        "multipart/form-data; boundary=x",
        "",
        "image/png; q=ü",
    ]
)


@st.composite
def odd_images(draw: st.DrawFn) -> bytes:
    """An encoded image in an odd mode, size or format (whatever PIL can write), or its first bytes."""
    mode, fmt, (width, height) = draw(st.sampled_from(MODES)), draw(st.sampled_from(FORMATS)), draw(SIZES)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    pixels = PILImage.fromarray(rng.integers(0, 256, (height, width), np.uint8))
    buffer = io.BytesIO()
    try:
        pixels.convert(mode).save(buffer, fmt)
    except (OSError, ValueError, KeyError, TypeError):  # a mode the format cannot hold: a plain PNG instead
        buffer = io.BytesIO()
        pixels.save(buffer, "PNG")
    data = buffer.getvalue()
    return data[: draw(st.integers(1, len(data)))] if draw(st.booleans()) else data


@st.composite
def bombs(draw: st.DrawFn) -> tuple[bytes, int]:
    """A bomb in any accepted format declaring from half to 400 times the line limit, 1:1 to 100:1, maybe cut
    anywhere (right after its header too), or a GIF whose first frame overflows a small screen (a lying header);
    and the pixels it declares (0 when cut: it may no longer declare anything)."""
    fmt = draw(st.sampled_from(sorted(BOMBS)))
    pixels = draw(
        st.one_of(
            st.integers(LINE_MAX_PIXELS // 2, LINE_MAX_PIXELS),
            st.integers(LINE_MAX_PIXELS + 1, 2 * LINE_MAX_PIXELS),
            st.integers(2 * LINE_MAX_PIXELS, 400 * LINE_MAX_PIXELS),
        )
    )
    aspect = draw(st.floats(1.0, 99.0))
    side = MAX_SIDE.get(fmt, 2**31 - 1)
    width = min(side, max(1, round((pixels * aspect) ** 0.5)))
    height = min(side, max(1, pixels // width))
    if fmt == "GIF" and draw(st.booleans()):
        return gif_bomb(width, height, screen=(draw(st.integers(1, 64)), draw(st.integers(1, 64)))), width * height
    data = BOMBS[fmt](width, height)
    if draw(st.booleans()):
        return data[: draw(st.integers(1, len(data)))], 0
    return data, width * height


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def json_bodies(draw: st.DrawFn, good: bytes) -> bytes:
    """JSON batches of every shape: right, wrong, bad base64, odd images, too many, not JSON at all."""
    item = st.one_of(
        st.just(base64.b64encode(good).decode()),
        odd_images().map(lambda b: base64.b64encode(b).decode()),
        st.text(max_size=40),
        st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()),
        st.just(base64.b64encode(good).decode()[:-3]),
        JSON_VALUES,
    )
    shape = draw(st.sampled_from(["images", "value", "key", "bytes"]))
    if shape == "images":
        return json.dumps({"images": draw(st.lists(item, max_size=MAX_IMAGES + 3))}).encode()
    if shape == "value":
        return json.dumps(draw(JSON_VALUES)).encode()
    if shape == "key":
        return json.dumps({draw(st.text(max_size=8)): draw(st.lists(item, max_size=3))}).encode()
    return draw(st.binary(max_size=200))


METHODS = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
PATHS = st.sampled_from(["/ping", "/invocations", "/", "/predict", "/invocations?x=1", "//ping", "/%FF%00", "/ping/"])


# ---- the server --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_png(tiny_models: TinyModels) -> bytes:
    first = (tiny_models.data / "val.txt").read_text(encoding="utf-8").splitlines()[0]
    return (tiny_models.data / first.split("\t")[0]).read_bytes()


@pytest.fixture(scope="module")
def server(tiny_models: TinyModels, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzServer]:
    """`thaigen serve` in its own process, access log on, everything it writes kept in a file."""
    port, log = _free_port(), tmp_path_factory.mktemp("fuzz") / "server.log"
    command = [sys.executable, "-m", "thaigen", "serve", str(tiny_models.onnx), "--host", HOST, "--port", str(port)]
    command += ["--max-body-mb", str(MAX_BODY / 2**20), "--max-images", str(MAX_IMAGES)]
    with log.open("wb") as sink, subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT) as process:
        deadline = time.monotonic() + 60
        while exchange_ping(port) != 200:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        STATUSES.clear()
        yield FuzzServer(port, log, process)
        process.terminate()
        process.wait(timeout=30)


def exchange_ping(port: int) -> int | None:
    try:
        answer = exchange(port, head("GET", "/ping", []), "GET")
    except OSError:
        return None
    return answer.status if answer else None


# ---- the properties ----------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
def test_odd_images_get_200_or_400(server: FuzzServer, data: st.DataObject) -> None:
    body = data.draw(odd_images())
    content_type = data.draw(st.sampled_from(["image/png", "application/octet-stream", "image/tiff"]))
    wire = head("POST", "/invocations", [("Content-Type", content_type), ("Content-Length", str(len(body)))]) + body
    answer = check(exchange(server.port, wire), "POST")
    assert answer is not None and answer.status in (200, 400), answer


@FUZZ
@given(bomb=bombs(), as_json=st.booleans())
def test_bombs_get_413_from_their_header(server: FuzzServer, bomb: tuple[bytes, int], as_json: bool) -> None:
    data, declared = bomb
    content_type = "application/json" if as_json else "application/octet-stream"
    body = json.dumps({"images": [base64.b64encode(data).decode()]}).encode() if as_json else data
    wire = head("POST", "/invocations", [("Content-Type", content_type), ("Content-Length", str(len(body)))]) + body
    answer = check(exchange(server.port, wire), "POST")
    assert answer is not None
    if declared > LINE_MAX_PIXELS:
        assert answer.status == 413 and "the limit is 10.24 Mpx" in json.loads(answer.body)["error"], answer
    else:
        assert answer.status in (200, 400, 413), answer  # cut, it may still declare as much as whole


@FUZZ
@given(data=st.data())
def test_json_batches_of_any_shape(server: FuzzServer, good_png: bytes, data: st.DataObject) -> None:
    body = data.draw(json_bodies(good_png))
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    answer = check(exchange(server.port, head("POST", "/invocations", headers) + body), "POST")
    assert answer is not None and answer.status in (200, 400, 413), answer
    if answer.status == 200:
        assert len(json.loads(answer.body)["predictions"]) == len(json.loads(body)["images"])


@FUZZ
@given(
    method=METHODS,
    path=PATHS,
    content_type=CONTENT_TYPES,
    body=st.binary(max_size=3000),
    framing=st.sampled_from(["length", "chunked", "none"]),
    cuts=st.lists(st.integers(0, 3000), max_size=5),
)
def test_any_method_path_type_and_body(
    server: FuzzServer, method: str, path: str, content_type: str, body: bytes, framing: str, cuts: list[int]
) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    if framing == "length":
        wire = head(method, path, [*headers, ("Content-Length", str(len(body)))]) + body
    elif framing == "chunked":
        wire = head(method, path, [*headers, ("Transfer-Encoding", "chunked")]) + chunked(body, cuts)
    else:
        wire = head(method, path, headers)
    answer = check(exchange(server.port, wire, method), method)
    assert answer is not None
    if path.split("?")[0] not in ("/ping", "/invocations"):
        assert answer.status == 404
    elif (method, path.split("?")[0]) not in (("GET", "/ping"), ("HEAD", "/ping"), ("POST", "/invocations")):
        assert answer.status == 405 and "allow" in answer.headers
    elif method == "POST" and framing == "none":
        assert answer.status == 411


@FUZZ
@given(
    declared=st.one_of(st.integers(MAX_BODY + 1, 10**30), st.integers(1, 10**6)),
    sent=st.binary(max_size=2000),
    good_start=st.booleans(),
)
def test_truncated_and_giant_declared_bodies(
    server: FuzzServer, good_png: bytes, declared: int, sent: bytes, good_start: bool
) -> None:
    body = (good_png + sent)[: max(0, declared - 1)] if good_start else sent[: max(0, declared - 1)]
    wire = head("POST", "/invocations", [("Content-Type", "image/png"), ("Content-Length", str(declared))]) + body
    if declared > MAX_BODY:
        answer = check(exchange(server.port, wire), "POST")
        assert answer is not None and answer.headers["connection"] == "close"
        # the HTTP parser itself refuses a Content-Length past 64 bits (uvicorn's plain 400)
        assert answer.status in ((413,) if declared < 10**19 else (400, 413)), answer
    else:
        assert exchange(server.port, wire, hang_up=True) is None  # declared more than sent, then closed


GARBAGE_LINES = st.one_of(
    # not only blank lines: those may precede a request, and the server rightly waits for it
    st.binary(min_size=1, max_size=300).filter(lambda b: b.strip()).map(lambda b: b + b"\r\n\r\n"),
    st.sampled_from(
        [
            b"GET / HTTP/9.9\r\n\r\n",
            b"GET\r\n\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(32) + b"\r\n\r\n",
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 1e3\r\n\r\n",
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n",
            b"GET /ping HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(3000)) + b"\r\n",
            b"GET /p\xffng HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /ping HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
            b"GET /ping HTTP/1.1\r\nHost: x\r\nX: \x00\r\n\r\n",
            b" GET /ping HTTP/1.1\r\n\r\n",
            b"GET /ping HTTP/1.1\nHost: x\n\n",
            b"GET /ping HTTP/1.0\r\n\r\n",
        ]
    ),
)


@FUZZ
@given(wire=GARBAGE_LINES)
def test_garbage_request_lines_and_headers(server: FuzzServer, wire: bytes) -> None:
    method = wire.split(b" ", 1)[0].decode("latin-1")
    check(exchange(server.port, wire, "HEAD" if method == "HEAD" else "GET"), method, may_close=True)


def test_still_serving_after_the_fuzzing_and_no_tracebacks(server: FuzzServer, good_png: bytes) -> None:
    wire = head("POST", "/invocations", [("Content-Type", "image/png"), ("Content-Length", str(len(good_png)))])
    answer = exchange(server.port, wire + good_png)
    assert answer is not None and answer.status == 200 and len(json.loads(answer.body)["predictions"]) == 1
    assert exchange_ping(server.port) == 200 and server.process.poll() is None
    log = server.log.read_text(encoding="utf-8", errors="replace")
    server_errors = sum(n for status, n in STATUSES.items() if isinstance(status, int) and status >= 500)
    print(
        f"fuzz: {sum(STATUSES.values())} exchanges, statuses {dict(STATUSES)}, 5xx {server_errors}, "
        f"tracebacks in the server log {log.count('Traceback')}"
    )
    assert "Traceback" not in log and server_errors == 0
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    print(f"fuzz: the server's peak resident memory {peak_kb / 1024:.0f} MB")
    assert peak_kb < PEAK_RSS_MB * 1024
