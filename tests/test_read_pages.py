"""Whole pages read by a real Detector (hand-built ink network, tests/ink_detector.py) and the tiny recognizer:
PageReader, `thaigen read --det`, and `serve --det` on a real uvicorn server on loopback."""

from __future__ import annotations

import base64
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path

import cv2
import numpy as np
import pytest
from ink_detector import draw_page, write_ink_detector
from model_fixtures import tiny_models_fixture  # noqa: F401 (the tiny_models fixture)
from tiny_model import TinyModels

from thaigen.cli import main as cli
from thaigen.compose.quad import crop_quad
from trainers.evaluation.det_metrics import match_page
from trainers.inference.detector import Detector
from trainers.inference.pages import NoTextLines, PageReader
from trainers.inference.recognizer import Recognizer
from trainers.serving.app import InferenceServer, ServeConfig

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
LINES = [
    ("0812345678", (40, 40)),
    ("12,345.00", (520, 44)),  # 4 px lower than its neighbour: same line, read after it
    ("3-4", (40, 140)),
    ("799.6", (520, 140)),
    ("090-111-2222", (40, 240)),
]


@pytest.fixture(scope="module")
def detector_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ink_detector(tmp_path_factory.mktemp("ink") / "det")


@pytest.fixture(scope="module")
def reader(detector_dir: Path, tiny_models: TinyModels) -> PageReader:
    return PageReader(Detector.load(detector_dir), Recognizer.load(tiny_models.onnx))


def test_every_line_is_found_in_reading_order_and_read_from_its_crop(reader: PageReader) -> None:
    page, truth = draw_page(LINES)
    lines = reader.read_page(page)
    match = match_page([b.points for b in truth], [False] * len(truth), [line.points for line in lines])
    assert match.pairs == tuple((i, i) for i in range(len(LINES)))  # each box, and in the drawn (reading) order
    assert len(lines) == len(LINES)
    assert all(line.det_score > 0.6 and 0 <= line.confidence <= 1 for line in lines)
    crops = [crop_quad(page, line.points) for line in lines]
    assert [line.text for line in lines] == [r.text for r in reader.recognizer.read(crops)]
    assert reader.read_page(np.full((200, 300, 3), 255, np.uint8)) == []


def test_read_cli_prints_each_line_with_its_polygon(
    reader: PageReader, detector_dir: Path, tiny_models: TinyModels, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page, _ = draw_page(LINES)
    path = tmp_path / "page.png"
    cv2.imwrite(str(path), page)
    expected = [line.as_json() for line in reader.read_page(page)]

    assert cli(["read", str(path), "--det", str(detector_dir), "--rec", str(tiny_models.onnx), "--json"]) == 0
    printed = [json.loads(row) for row in capsys.readouterr().out.splitlines()]
    assert printed == [{"image": str(path), "line": i, **line} for i, line in enumerate(expected, start=1)]

    assert cli(["read", str(path), "--det", str(detector_dir), "-m", str(tiny_models.onnx)]) == 0
    rows = [row.split("\t") for row in capsys.readouterr().out.splitlines()]
    assert [row[1] for row in rows] == [str(i) for i in range(1, len(LINES) + 1)]
    assert [row[2] for row in rows] == [line["text"] for line in expected]
    assert rows[0][5] == " ".join(f"{x},{y}" for x, y in expected[0]["points"])


def test_read_cli_says_when_a_page_has_no_text_line(
    detector_dir: Path, tiny_models: TinyModels, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A page without a line used to print nothing and exit 0, like a page never read: now a warning names it."""
    page, blank = tmp_path / "page.png", tmp_path / "blank.png"
    cv2.imwrite(str(page), draw_page(LINES[:1])[0])
    cv2.imwrite(str(blank), np.full((640, 960, 3), 255, np.uint8))
    command = ["read", str(page), str(blank), "--det", str(detector_dir), "--rec", str(tiny_models.onnx), "--json"]
    with pytest.warns(NoTextLines) as caught:
        assert cli(command) == 0
    assert [str(w.message) for w in caught] == [f"{blank}: the detector found no text lines on this 960 x 640 px page"]
    printed = [json.loads(row) for row in capsys.readouterr().out.splitlines()]  # JSON lines: only page.png has any
    assert [(row["image"], row["line"]) for row in printed] == [(str(page), 1)]


def test_read_cli_bad_detector_is_one_line(
    tiny_models: TinyModels, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "page.png"
    cv2.imwrite(str(path), draw_page(LINES[:1])[0])
    assert cli(["read", str(path), "--det", str(tmp_path / "nothing"), "--rec", str(tiny_models.onnx)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"thaigen: error: model folder not found: {tmp_path / 'nothing'}"
    ]


@contextmanager
def serving_pages(reader: PageReader) -> Iterator[int]:
    """A real uvicorn server reading pages on a free loopback port; yields the port."""
    assert isinstance(reader.recognizer, Recognizer) and isinstance(reader.detector, Detector)
    server = InferenceServer(
        reader.recognizer.read_batch, ServeConfig(host=HOST, port=0), access_log=False, detect=reader.detector.detect
    )
    with ThreadPoolExecutor(1) as pool:
        exit_code: Future[int] = pool.submit(server.serve_until_stopped)
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.started, "server did not start"
        try:
            yield server.port
        finally:
            server.stop()
        assert exit_code.result(timeout=30) == 0


def _post(port: int, body: bytes, content_type: str) -> tuple[int, dict[str, object]]:
    connection = HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("POST", "/invocations", body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_serve_reads_posted_pages_as_lines_with_polygons(reader: PageReader) -> None:
    page, _ = draw_page(LINES)
    blank = np.full((120, 200, 3), 255, np.uint8)
    png = cv2.imencode(".png", page)[1].tobytes()
    expected = {"lines": [line.as_json() for line in reader.read_page(page)]}
    with serving_pages(reader) as port:
        assert _post(port, png, "image/png") == (200, {"pages": [expected]})
        both = json.dumps({"images": [base64.b64encode(p).decode() for p in (png, cv2.imencode(".png", blank)[1])]})
        assert _post(port, both.encode(), "application/json") == (200, {"pages": [expected, {"lines": []}]})
        status, answer = _post(port, b"not an image", "image/png")
        assert status == 400 and "not a decodable image" in str(answer["error"])


def test_serve_cli_with_both_models_answers_pages(
    reader: PageReader, detector_dir: Path, tiny_models: TinyModels
) -> None:
    page, _ = draw_page(LINES)
    expected = {"pages": [{"lines": [line.as_json() for line in reader.read_page(page)]}]}
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "thaigen", "serve", "--rec", str(tiny_models.onnx), "--det", str(detector_dir)]
    command += ["--host", HOST, "--port", str(port), "--quiet"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as server:
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and server.poll() is None:
                try:
                    status, answer = _post(port, cv2.imencode(".png", page)[1].tobytes(), "image/png")
                    break
                except OSError:
                    time.sleep(0.2)
            assert (status, answer) == (200, expected)
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=20) == 0
        finally:
            server.kill()
        log = server.stdout.read()  # type: ignore[union-attr]
    assert b"serving pages: det (onnxruntime) + onnx (onnxruntime)" in log and b"Traceback" not in log
