"""The SageMaker-style HTTP server on loopback: /ping, raw and JSON requests, batching, limits, errors."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPConnection

import cv2
import numpy as np
import pytest
from model_fixtures import tiny_models_fixture  # noqa: F401 (the tiny_models fixture)
from tiny_model import TinyModels

from trainers.inference import image as inference_image
from trainers.inference.engine import Reading
from trainers.inference.image import Image
from trainers.inference.recognizer import Recognizer
from trainers.serving.app import InferenceServer, ServeConfig, make_server

Response = tuple[int, dict[str, str], dict[str, object]]


def _start(read_batch: Callable[[Sequence[Image]], list[Reading]], **limits: float) -> InferenceServer:
    config = ServeConfig(host="127.0.0.1", port=0, **limits)  # type: ignore[arg-type]
    server = make_server(read_batch, config)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _stop(server: InferenceServer) -> None:
    server.shutdown()
    server.server_close()


def request(
    server: InferenceServer, method: str, path: str, body: bytes = b"", content_type: str = "image/png"
) -> Response:
    host, port = server.server_address[:2]
    connection = HTTPConnection(str(host), port, timeout=30)
    try:
        connection.request(
            method, path, body=body if method == "POST" else None, headers={"Content-Type": content_type}
        )
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        connection.close()


@pytest.fixture(scope="module")
def recognizer(tiny_models: TinyModels) -> Recognizer:
    return Recognizer.load(tiny_models.onnx)


@pytest.fixture(scope="module")
def server(recognizer: Recognizer) -> Iterator[InferenceServer]:
    running = _start(recognizer.read_batch, max_batch=8, max_wait_s=0.25, max_body_bytes=300_000, max_images=4)
    yield running
    _stop(running)


@pytest.fixture(scope="module")
def pngs(tiny_models: TinyModels) -> list[bytes]:
    rows = (tiny_models.data / "val.txt").read_text(encoding="utf-8").splitlines()[:8]
    return [(tiny_models.data / row.split("\t")[0]).read_bytes() for row in rows]


def test_ping(server: InferenceServer) -> None:
    assert request(server, "GET", "/ping")[0] == 200


def test_raw_image_gets_the_recognizers_reading(
    server: InferenceServer, recognizer: Recognizer, pngs: list[bytes]
) -> None:
    status, _, payload = request(server, "POST", "/invocations", pngs[0])
    assert status == 200
    (expected,) = recognizer.read_batch([inference_image.decode(pngs[0])])
    assert payload["predictions"] == [{"text": expected.text, "confidence": round(expected.confidence, 6)}]


def test_json_batch_answers_in_order(server: InferenceServer, recognizer: Recognizer, pngs: list[bytes]) -> None:
    body = json.dumps({"images": [base64.b64encode(p).decode() for p in pngs[:3]]}).encode()
    status, headers, payload = request(server, "POST", "/invocations", body, "application/json")
    assert status == 200
    texts = [p["text"] for p in payload["predictions"]]  # type: ignore[attr-defined]
    assert texts == [r.text for r in recognizer.read([inference_image.decode(p) for p in pngs[:3]])]
    assert headers["X-Batch-Sizes"] == "3,3,3"


def test_concurrent_requests_share_batches(server: InferenceServer, pngs: list[bytes]) -> None:
    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(lambda png: request(server, "POST", "/invocations", png), pngs[:6]))
    assert all(status == 200 for status, _, _ in responses)
    assert max(int(headers["X-Batch-Sizes"]) for _, headers, _ in responses) > 1
    assert max(server.batcher.batch_sizes) > 1


def test_corrupt_image_gets_400_and_the_server_stays_up(server: InferenceServer, pngs: list[bytes]) -> None:
    status, _, payload = request(server, "POST", "/invocations", pngs[0][:40])
    assert status == 400 and "not a decodable image" in str(payload["error"])
    body = json.dumps({"images": [base64.b64encode(pngs[0]).decode(), "***"]}).encode()
    status, _, payload = request(server, "POST", "/invocations", body, "application/json")
    assert status == 400 and payload["error"] == "images[1] is not base64"
    assert request(server, "GET", "/ping")[0] == 200
    assert request(server, "POST", "/invocations", pngs[0])[0] == 200


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "body is not JSON"),
        (b'{"image": "x"}', 'must be {"images"'),
        (b'{"images": []}', "at least one image"),
    ],
)
def test_bad_json_gets_400(server: InferenceServer, body: bytes, error: str) -> None:
    status, _, payload = request(server, "POST", "/invocations", body, "application/json")
    assert status == 400 and error in str(payload["error"])


def test_too_many_images_get_413(server: InferenceServer, pngs: list[bytes]) -> None:
    body = json.dumps({"images": [base64.b64encode(pngs[0]).decode()] * 5}).encode()
    status, _, payload = request(server, "POST", "/invocations", body, "application/json")
    assert status == 413 and "limit is 4" in str(payload["error"])


def test_oversized_body_gets_413_before_it_is_read(server: InferenceServer) -> None:
    with socket.create_connection((str(server.server_address[0]), server.server_address[1]), timeout=10) as raw:
        raw.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: 999999999\r\n\r\n"
        )
        assert raw.recv(4096).startswith(b"HTTP/1.1 413")
    assert request(server, "GET", "/ping")[0] == 200


def test_unknown_paths_get_404(server: InferenceServer) -> None:
    assert request(server, "GET", "/health")[0] == 404
    assert request(server, "POST", "/predict", b"x")[0] == 404


def test_slow_model_gets_503_and_failing_model_500() -> None:
    def slow(images: Sequence[Image]) -> list[Reading]:
        time.sleep(1.0)
        return [Reading("late", 1.0) for _ in images]

    def failing(images: Sequence[Image]) -> list[Reading]:
        raise RuntimeError("out of memory")

    body = cv2.imencode(".png", np.full((32, 64, 3), 255, np.uint8))[1].tobytes()
    for read_batch, status, error in ((slow, 503, "not read within 0.2 s"), (failing, 500, "out of memory")):
        running = _start(read_batch, timeout_s=0.2)
        try:
            answer = request(running, "POST", "/invocations", body)
            assert answer[0] == status and error in str(answer[2]["error"])
            assert request(running, "GET", "/ping")[0] == 200
        finally:
            _stop(running)
