"""The SageMaker-style server (uvicorn on loopback): /ping, raw and JSON requests, batching, limits, errors,
the supervised batcher, and the serving Dockerfile's entrypoint run as the container would run it."""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path

import cv2
import numpy as np
import pytest
from bombs import BOMBS, png_bomb
from ink_detector import draw_page
from model_fixtures import tiny_models_fixture  # noqa: F401 (the tiny_models fixture)
from PIL import Image as PILImage
from tiny_model import TinyModels

from trainers.inference import image as inference_image
from trainers.inference.engine import Reading
from trainers.inference.image import Image
from trainers.inference.recognizer import Recognizer
from trainers.serving.app import InferenceServer, ServeConfig, page_warning
from trainers.serving.cli import add_serve

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "trainers" / "serving" / "Dockerfile"
HOST = "127.0.0.1"
Response = tuple[int, dict[str, str], dict[str, object]]


@contextmanager
def serving(read_batch: Callable[[Sequence[Image]], list[Reading]], **limits: float) -> Iterator[InferenceServer]:
    """A real uvicorn server on a free loopback port, run in a thread; its exit code is checked on the way out."""
    config = ServeConfig(host=HOST, port=0, **limits)  # type: ignore[arg-type]
    server = InferenceServer(read_batch, config, access_log=False)
    with ThreadPoolExecutor(1) as pool:
        exit_code: Future[int] = pool.submit(server.serve_until_stopped)
        deadline = time.monotonic() + 10
        while not server.started and not exit_code.done() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.started, "server did not start"
        try:
            yield server
        finally:
            server.stop()
        assert exit_code.result(timeout=30) == 0


def request(port: int, method: str, path: str, body: bytes | None = None, content_type: str = "image/png") -> Response:
    connection = HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        connection.close()


def raw_exchange(port: int, data: bytes) -> bytes:
    """Send bytes as they are and read the answer until the server closes the connection."""
    with socket.create_connection((HOST, port), timeout=10) as raw:
        raw.sendall(data)
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
        return answer


def wait_ping(port: int, process: subprocess.Popen[bytes], status: int = 200, within_s: float = 60) -> None:
    """Poll GET /ping until it answers `status`."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"server exited with {process.returncode}"
        try:
            if request(port, "GET", "/ping")[0] == status:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"/ping never answered {status}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def recognizer(tiny_models: TinyModels) -> Recognizer:
    return Recognizer.load(tiny_models.onnx)


@pytest.fixture(scope="module")
def port(recognizer: Recognizer) -> Iterator[int]:
    limits = {"max_batch": 8, "max_wait_s": 0.25, "max_body_bytes": 300_000, "max_images": 4, "max_aspect": 50}
    with serving(recognizer.read_batch, **limits) as running:
        yield running.port


@pytest.fixture(scope="module")
def pngs(tiny_models: TinyModels) -> list[bytes]:
    rows = (tiny_models.data / "val.txt").read_text(encoding="utf-8").splitlines()[:8]
    return [(tiny_models.data / row.split("\t")[0]).read_bytes() for row in rows]


def test_ping(port: int) -> None:
    assert request(port, "GET", "/ping")[:3:2] == (200, {"status": "healthy"})


def test_raw_image_gets_the_recognizers_reading(port: int, recognizer: Recognizer, pngs: list[bytes]) -> None:
    status, _, payload = request(port, "POST", "/invocations", pngs[0])
    assert status == 200
    (expected,) = recognizer.read_batch([inference_image.decode(pngs[0])])
    assert payload["predictions"] == [{"text": expected.text, "confidence": round(expected.confidence, 6)}]


def test_json_batch_answers_in_order(port: int, recognizer: Recognizer, pngs: list[bytes]) -> None:
    body = json.dumps({"images": [base64.b64encode(p).decode() for p in pngs[:3]]}).encode()
    status, headers, payload = request(port, "POST", "/invocations", body, "application/json")
    assert status == 200
    texts = [p["text"] for p in payload["predictions"]]  # type: ignore[attr-defined]
    assert texts == [r.text for r in recognizer.read([inference_image.decode(p) for p in pngs[:3]])]
    assert headers["x-batch-sizes"] == "3,3,3"


def test_concurrent_requests_share_batches(port: int, pngs: list[bytes]) -> None:
    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(lambda png: request(port, "POST", "/invocations", png), pngs[:6]))
    assert all(status == 200 for status, _, _ in responses)
    assert max(int(headers["x-batch-sizes"]) for _, headers, _ in responses) > 1


def test_corrupt_image_gets_400_and_the_server_stays_up(port: int, pngs: list[bytes]) -> None:
    status, _, payload = request(port, "POST", "/invocations", pngs[0][:40])
    assert status == 400 and "not a decodable image" in str(payload["error"])
    body = json.dumps({"images": [base64.b64encode(pngs[0]).decode(), "***"]}).encode()
    status, _, payload = request(port, "POST", "/invocations", body, "application/json")
    assert status == 400 and payload["error"] == "images[1] is not base64"
    assert request(port, "GET", "/ping")[0] == 200
    assert request(port, "POST", "/invocations", pngs[0])[0] == 200


def test_too_wide_line_gets_400(port: int) -> None:
    wide = cv2.imencode(".png", np.full((1, 5000), 255, np.uint8))[1].tobytes()
    status, _, payload = request(port, "POST", "/invocations", wide)
    assert status == 400 and "wider than 50:1" in str(payload["error"])


def test_a_page_posted_without_a_detector_gets_a_warning(port: int, pngs: list[bytes]) -> None:
    """A whole page, read as one squashed line, used to get a bare 200 with an empty prediction."""
    page = cv2.imencode(".png", draw_page([("0812345678", (40, 40)), ("3-4", (40, 140))])[0])[1].tobytes()
    body = json.dumps({"images": [base64.b64encode(p).decode() for p in (pngs[0], page)]}).encode()
    status, _, payload = request(port, "POST", "/invocations", body, "application/json")
    line, read_page = payload["predictions"]  # type: ignore[misc]
    assert status == 200 and "warning" not in line
    assert read_page["warning"] == (
        "a 960 x 640 px image is shaped like a page, not a text line: this server has no detector "
        "and reads each image as one line; start it with --det to read pages"
    )


@pytest.mark.parametrize(
    ("size", "page"),
    [((960, 640), True), ((200, 200), True), ((399, 200), True), ((400, 200), False), ((199, 199), False)]
    + [((3000, 400), False), ((120, 32), False), ((40, 48), False), ((1, 3000), True)],
)
def test_page_shape_is_tall_and_not_much_wider(size: tuple[int, int], page: bool) -> None:
    """Lines, even a one-character crop or a 400 px high-resolution line, are low or wide; pages are neither."""
    image = np.zeros((size[1], size[0], 3), np.uint8)
    assert (page_warning(image, ServeConfig()) is not None) == page


def _encoded(mode: str, size: tuple[int, int], fmt: str) -> bytes:
    buffer = io.BytesIO()
    PILImage.fromarray(np.random.default_rng(0).integers(0, 256, size[::-1], np.uint8)).convert(mode).save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("mode", "size", "fmt", "status"),
    [
        ("RGB", (1, 1), "PNG", 200),
        ("L", (1, 3000), "PNG", 200),
        ("L", (50000, 1), "PNG", 400),
        ("CMYK", (120, 32), "TIFF", 200),
        ("CMYK", (120, 32), "JPEG", 200),
        ("I;16", (120, 32), "PNG", 200),
        ("I;16", (120, 32), "TIFF", 200),
        ("I", (120, 32), "TIFF", 400),
        ("F", (120, 32), "PPM", 200),
        ("P", (120, 32), "GIF", 200),
        ("LA", (120, 32), "PNG", 200),
        ("RGBA", (120, 32), "WEBP", 200),
        ("1", (120, 32), "BMP", 200),
    ],
)
def test_odd_images_get_200_or_400(port: int, mode: str, size: tuple[int, int], fmt: str, status: int) -> None:
    answer = request(port, "POST", "/invocations", _encoded(mode, size, fmt), "application/octet-stream")
    assert answer[0] == status, answer[2]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "body is not JSON"),
        (b'{"image": "x"}', 'must be {"images"'),
        (b'{"images": []}', "at least one image"),
        (b'["x"]', 'must be {"images"'),
    ],
)
def test_bad_json_gets_400(port: int, body: bytes, error: str) -> None:
    status, _, payload = request(port, "POST", "/invocations", body, "application/json")
    assert status == 400 and error in str(payload["error"])


def test_too_many_images_get_413(port: int, pngs: list[bytes]) -> None:
    body = json.dumps({"images": [base64.b64encode(pngs[0]).decode()] * 5}).encode()
    status, _, payload = request(port, "POST", "/invocations", body, "application/json")
    assert status == 413 and "limit is 4" in str(payload["error"])


def test_oversized_body_gets_413_before_it_is_read(port: int) -> None:
    head = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 999999999\r\n\r\n"
    answer = raw_exchange(port, head)
    assert answer.startswith(b"HTTP/1.1 413")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"] == "body of 999999999 bytes; the limit is 300000"
    assert request(port, "GET", "/ping")[0] == 200


def test_chunked_body_over_the_limit_gets_413(port: int) -> None:
    chunk = b"x" * 100_000
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4)) + b"0\r\n\r\n"
    head = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n"
    answer = raw_exchange(port, head + chunks)
    assert answer.startswith(b"HTTP/1.1 413") and b"over the limit of 300000" in answer


def test_body_not_sent_in_time_gets_408() -> None:
    with serving(lambda images: [Reading("x", 1.0) for _ in images], socket_timeout_s=0.3) as running:
        head = b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 100\r\n\r\n"
        answer = raw_exchange(running.port, head + b"only part")
    assert answer.startswith(b"HTTP/1.1 408") and b"body not sent within 0.3 s" in answer


def test_missing_content_length_gets_411(port: int) -> None:
    answer = raw_exchange(port, b"POST /invocations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 411") and b'{"error":"Content-Length header required"}' in answer


def test_unknown_paths_get_404(port: int) -> None:
    for method, path in (("GET", "/health"), ("POST", "/predict"), ("DELETE", "/")):
        status, _, payload = request(port, method, path, b"x" if method == "POST" else None)
        assert status == 404 and "use GET /ping or POST /invocations" in str(payload["error"])


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/invocations", "POST"),
        ("POST", "/ping", "GET"),
        ("PUT", "/invocations", "POST"),
        ("DELETE", "/ping", "GET"),
    ],
)
def test_wrong_methods_get_405_with_allow(port: int, method: str, path: str, allowed: str) -> None:
    status, headers, payload = request(port, method, path, b"x" if method in ("POST", "PUT") else None)
    assert status == 405 and allowed in headers["allow"] and f"{method} not allowed" in str(payload["error"])


def _rss_kb() -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE).group(1))  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", sorted(BOMBS))
def test_a_bomb_gets_413_in_milliseconds_with_memory_unchanged(port: int, fmt: str) -> None:
    """A 124 KB PNG declaring 32,000 x 32,000 px took the server to 6.1 GB and 21.7 s of CPU; now its header
    is read and the image refused (every accepted format, the largest size it can declare up to 20,000 px)."""
    side = 20000 if fmt != "WEBP" else 16384
    bomb = png_bomb(32000, 32000, full=True) if fmt == "PNG" else BOMBS[fmt](side, side)
    rss, start = _rss_kb(), time.perf_counter()
    status, _, payload = request(port, "POST", "/invocations", bomb, "application/octet-stream")
    assert time.perf_counter() - start < 1.0 and _rss_kb() - rss < 20 * 1024
    width = 32000 if fmt == "PNG" else side
    assert status == 413 and payload["error"] == (
        f"request body declares {width} x {width} px ({width * width / 1e6:.1f} Mpx); "
        "the limit is 10.24 Mpx (10240000 px)"
    )
    body = json.dumps({"images": [base64.b64encode(b).decode() for b in (png_bomb(20, 10, full=True), bomb)]})
    status, _, payload = request(port, "POST", "/invocations", body.encode(), "application/json")
    assert status == 413 and str(payload["error"]).startswith("images[1] declares")


def test_decoded_images_over_the_budget_wait_then_get_503_and_the_server_stays_up() -> None:
    """Eight concurrent large-but-legal images (2,000 x 400 px: 2.4 MB decoded, 10.4 MB while decoding) on a
    budget of 24 MB with a slow model: some are read, the others wait 0.2 s, then get 503 with Retry-After."""

    def slow(images: Sequence[Image]) -> list[Reading]:
        time.sleep(0.5)
        return [Reading("x", 1.0) for _ in images]

    large = cv2.imencode(".png", np.random.default_rng(0).integers(0, 256, (400, 2000), np.uint8))[1].tobytes()
    limits = {"max_decoded_bytes": 24_000_000, "budget_wait_s": 0.2, "retry_after_s": 3, "max_wait_s": 0.001}
    with serving(slow, **limits) as running, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: request(running.port, "POST", "/invocations", large), range(8)))
        statuses = sorted(status for status, _, _ in answers)
        assert 200 in statuses and 503 in statuses and set(statuses) == {200, 503}, statuses
        for status, headers, payload in answers:
            if status == 503:
                assert headers["retry-after"] == "3" and "bytes of decoded images not free within 0.2 s" in str(
                    payload["error"]
                )
        assert request(running.port, "GET", "/ping")[0] == 200
        assert request(running.port, "POST", "/invocations", large)[0] == 200


def test_images_needing_more_than_the_whole_budget_get_413() -> None:
    large = cv2.imencode(".png", np.zeros((400, 2000), np.uint8))[1].tobytes()
    with serving(lambda images: [Reading("x", 1.0) for _ in images], max_decoded_bytes=5_000_000) as running:
        status, _, payload = request(running.port, "POST", "/invocations", large)
    assert status == 413 and payload["error"] == "10400000 bytes of decoded images; the server's budget is 5000000"


def test_bodies_over_their_budget_get_503_and_the_connection_closes() -> None:
    def slow(images: Sequence[Image]) -> list[Reading]:
        time.sleep(0.5)
        return [Reading("x", 1.0) for _ in images]

    line = cv2.imencode(".png", np.zeros((32, 200), np.uint8))[1].tobytes()
    limits = {"max_body_bytes": 100_000, "max_bodies_bytes": 3 * len(line), "budget_wait_s": 0.1}
    with serving(slow, **limits) as running, ThreadPoolExecutor(2) as pool:
        first = pool.submit(request, running.port, "POST", "/invocations", line)
        time.sleep(0.2)
        status, headers, payload = request(running.port, "POST", "/invocations", line)
        assert status == 503 and headers["connection"] == "close" and headers["retry-after"] == "1"
        assert "bytes of request bodies not free" in str(payload["error"])
        assert first.result()[0] == 200


def test_serve_binds_loopback_unless_told_otherwise() -> None:
    parser = argparse.ArgumentParser()
    add_serve(parser)
    assert parser.parse_args([]).host == "127.0.0.1" == ServeConfig().host
    assert parser.parse_args(["--host", "0.0.0.0"]).host == "0.0.0.0"


def test_slow_model_gets_503_and_failing_model_500() -> None:
    def slow(images: Sequence[Image]) -> list[Reading]:
        time.sleep(1.0)
        return [Reading("late", 1.0) for _ in images]

    def failing(images: Sequence[Image]) -> list[Reading]:
        raise RuntimeError("out of memory")

    body = cv2.imencode(".png", np.full((32, 64, 3), 255, np.uint8))[1].tobytes()
    for read_batch, status, error in ((slow, 503, "not read within 0.2 s"), (failing, 500, "out of memory")):
        with serving(read_batch, timeout_s=0.2) as running:
            answer = request(running.port, "POST", "/invocations", body)
            assert answer[0] == status and error in str(answer[2]["error"])
            assert request(running.port, "GET", "/ping")[0] == 200
            assert not running.batcher.failed


DYING_SERVER = """
import sys
from trainers.inference.recognizer import Recognizer

def die(self, images):
    raise SystemExit("the batcher thread is killed by the test")

Recognizer.read_batch = die
from thaigen.cli import main
sys.exit(main(["serve", *sys.argv[1:]]))
"""


def test_dead_batcher_fails_ping_and_exits_non_zero(tiny_models: TinyModels, pngs: list[bytes]) -> None:
    port = free_port()
    command = [sys.executable, "-c", DYING_SERVER, str(tiny_models.onnx), "--host", HOST, "--port", str(port)]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as server:
        try:
            wait_ping(port, server)
            status, _, payload = request(port, "POST", "/invocations", pngs[0])
            assert status == 503 and "batcher has stopped: SystemExit" in str(payload["error"])
            assert request(port, "GET", "/ping")[0] == 503
            assert server.wait(timeout=10) == 1
        finally:
            server.kill()
        assert b"the batcher thread died" in server.stdout.read()  # type: ignore[union-attr]


def container_command(dockerfile: Path) -> list[str]:
    """ENTRYPOINT and CMD of the Dockerfile (exec form) as `docker run IMAGE serve` runs them: `serve` replaces CMD."""
    entrypoint = json.loads(re.findall(r"^ENTRYPOINT (\[.*\])$", dockerfile.read_text(), re.MULTILINE)[-1])
    return [*entrypoint, "serve"]


def test_dockerfile_entrypoint_serves_as_sagemaker_runs_it(tiny_models: TinyModels, pngs: list[bytes]) -> None:
    command = container_command(DOCKERFILE)
    assert command[:2] == ["sh", "-c"] and command[2].count("exec python ") == 1
    assert "--host 0.0.0.0" in command[2]  # SageMaker connects from outside; thaigen serve binds loopback by default
    command[2] = command[2].replace("exec python ", f"exec {shlex.quote(sys.executable)} ")
    port = free_port()
    env = os.environ | {"SM_MODEL_DIR": str(tiny_models.onnx), "SAGEMAKER_BIND_TO_PORT": str(port)}
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as server:
        try:
            wait_ping(port, server)
            status, _, payload = request(port, "POST", "/invocations", pngs[0], "application/x-image")
            assert status == 200 and len(payload["predictions"]) == 1  # type: ignore[arg-type]
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=20) == 0
        finally:
            server.kill()
        log = server.stdout.read()  # type: ignore[union-attr]
    assert b"Traceback" not in log and b"onnxruntime" in log and f"on http://0.0.0.0:{port}".encode() in log


def test_a_port_in_use_is_one_line_naming_the_address(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        busy = taken.getsockname()[1]
        command = [sys.executable, "-m", "thaigen", "serve", str(tmp_path), "--host", HOST, "--port", str(busy)]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"thaigen: error: cannot listen on {HOST}:{busy}: Address already in use"]
