"""Detector on a real exported DB network (random weights, PaddleOCR's own exporter): ONNX conversion, both runtimes."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
import yaml
from PIL import Image

from thaigen.dataset.detection import DetBox, format_det_line
from thaigen.errors import ConfigError, EnvironmentProblem
from trainers.inference.db import Detection
from trainers.inference.detector import Detector, preprocess
from trainers.inference.recognizer import Runtime
from trainers.paddleocr import source as paddle_source
from trainers.paddleocr.configs import Arch, Layout, TrainOptions, build_config, write_config
from trainers.paddleocr.export import ONNX_TOLERANCE, convert_checked
from trainers.paddleocr.onnx import float_interp_scales

if TYPE_CHECKING:
    from onnx import NodeProto

pytestmark = pytest.mark.filterwarnings("ignore:No ccache found:UserWarning")


def _det_set(root: Path) -> Path:
    (root / "images").mkdir(parents=True)
    Image.new("RGB", (320, 240), "white").save(root / "images/0.png")
    line = format_det_line("images/0.png", [DetBox("ก", ((10, 10), (200, 10), (200, 40), (10, 40)))])
    (root / "train.txt").write_text(line, encoding="utf-8")
    (root / "val.txt").write_text(line, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DB (MobileNetV3 + DBFPN + DBHead) at initial weights, exported by PaddleOCR's tools/export_model.py."""
    try:
        source = paddle_source.locate()
    except EnvironmentProblem as problem:
        pytest.skip(f"needs PaddleOCR v3.0.0 source: {problem}")
    root = tmp_path_factory.mktemp("db")
    options = TrainOptions(Arch.DB, root / "ckpt", use_gpu=False, epochs=1, batch_size=1)
    config = write_config(build_config(Layout.of(_det_set(root / "data")), options), root / "config.yml")
    command = paddle_source.tool_command(
        source, "export_model.py", "-c", str(config), "-o", f"Global.save_inference_dir={root / 'model'}"
    )
    subprocess.run(command, cwd=source, check=True, capture_output=True)
    return root / "model"


@pytest.fixture(scope="module")
def converted(exported: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export plus inference.onnx, converted and checked against Paddle on a page-sized input."""
    folder = tmp_path_factory.mktemp("converted") / "model"
    shutil.copytree(exported, folder)
    page = np.random.default_rng(0).integers(0, 256, (900, 700, 3), dtype=np.uint8)
    result = convert_checked(folder, preprocess(page, Detector.load(folder).settings))
    assert result.path == folder / "inference.onnx" and result.skipped is None
    assert result.max_abs_diff is not None and result.max_abs_diff <= ONNX_TOLERANCE
    return folder


def test_interp_scales_become_float_only_there() -> None:
    program: dict[str, Any] = {
        "ops": [
            {
                "#": "1.nearest_interp",
                "A": [{"AT": {"#": "0.a_array", "D": [{"#": "0.a_f64", "D": 2.0} for _ in range(2)]}, "N": "scale"}],
            },
            {"#": "1.full", "A": [{"AT": {"#": "0.a_f64", "D": 1.0}, "N": "value"}]},
        ]
    }
    assert float_interp_scales(program) == 2
    assert [e["#"] for e in program["ops"][0]["A"][0]["AT"]["D"]] == ["0.a_f32", "0.a_f32"]
    assert program["ops"][1]["A"][0]["AT"]["#"] == "0.a_f64"


@pytest.mark.slow
def test_onnx_and_paddle_detectors_agree(converted: Path) -> None:
    onnx = Detector.load(converted)
    paddle = Detector.load(converted, runtime=Runtime.PADDLE)
    assert onnx.backend.name == "onnxruntime" and paddle.backend.name == "paddle"
    assert onnx.settings.limit_side_len == 960 and onnx.settings.limit_type == "max"
    page = np.random.default_rng(1).integers(0, 256, (1131, 1600, 3), dtype=np.uint8)
    maps = onnx.probability_map(page), paddle.probability_map(page)
    assert maps[0].shape == (672, 960)  # 1131 x 1600 scaled to a 960 long side, sides rounded to multiples of 32
    assert float(np.max(np.abs(maps[0] - maps[1]))) <= ONNX_TOLERANCE
    for detections in (onnx.detect(page), paddle.detect(page)):
        assert all(isinstance(d, Detection) and d.points.shape == (4, 2) for d in detections)
        assert all(d.points.dtype == np.float32 and 0.6 <= d.score <= 1 for d in detections)
        assert all(
            (d.points >= 0).all() and (d.points[:, 0] < 1600).all() and (d.points[:, 1] < 1131).all()
            for d in detections
        )


@pytest.mark.slow
def test_paddle_export_alone_loads_with_onednn_off(exported: Path) -> None:
    """Without inference.onnx the detector runs the Paddle program (oneDNN fails on DB's upsample)."""
    detector = Detector.load(exported, limit_side_len=640)
    assert detector.backend.name == "paddle" and detector.settings.limit_side_len == 640
    assert detector.probability_map(np.zeros((480, 1280, 3), np.uint8)).shape == (256, 640)
    with pytest.raises(ConfigError, match="no inference.onnx in"):
        Detector.load(exported, runtime=Runtime.ONNX)


def test_not_a_detector_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="model folder not found"):
        Detector.load(tmp_path / "missing")
    with pytest.raises(ConfigError, match="no inference.onnx or inference.json or inference.pdmodel in"):
        Detector.load(tmp_path)
    config = {"Global": {"model_name": "PP-OCRv4_mobile_rec"}, "PostProcess": {"name": "CTCLabelDecode"}}
    (tmp_path / "inference.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(ConfigError, match="is not a DB detector: its post-process is CTCLabelDecode"):
        Detector.load(tmp_path)


def _save_network(path: Path, nodes: Sequence[NodeProto], channels_out: int) -> None:
    """A small ONNX network from x (N x 3 x H x W) to y (N x channels_out x H x W)."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        nodes,
        "net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", channels_out, "H", "W"])],
        [helper.make_tensor("k", TensorProto.FLOAT, [], [-10.0])],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]), path)


def test_detect_finds_ink_in_source_pixels_in_reading_order(tmp_path: Path) -> None:
    """A network whose map is 'dark ink' (sigmoid of -10 x the normalised mean): the whole Detector path, from
    resizing a 1500 px page to 960 to boxes back in source pixels, grown by unclip, in reading order."""
    from onnx import helper

    nodes = [
        helper.make_node("ReduceMean", ["x"], ["m"], axes=[1], keepdims=1),
        helper.make_node("Mul", ["m", "k"], ["s"]),
        helper.make_node("Sigmoid", ["s"], ["y"]),
    ]
    _save_network(tmp_path / "inference.onnx", nodes, 1)
    page = np.full((1000, 1500, 3), 255, np.uint8)
    ink = {"left": (100, 100, 500, 140), "right": (700, 96, 1100, 136), "below": (100, 300, 1300, 350)}
    for x0, y0, x1, y1 in ink.values():
        page[y0:y1, x0:x1] = 0
    detector = Detector.load(tmp_path)
    assert detector.probability_map(page).shape == (640, 960)
    found = detector.detect(page)
    assert len(found) == 3  # "right" starts 4 px higher than "left": same line, so left to right
    for detection, (x0, y0, x1, y1) in zip(found, ink.values(), strict=True):
        xs, ys = detection.points[:, 0], detection.points[:, 1]
        assert detection.score > 0.99
        assert xs[0] < x0 and ys[0] < y0 and xs[2] > x1 - 1 and ys[2] > y1 - 1  # top-left, bottom-right corners
        assert (xs[1], ys[3]) == (xs[2], ys[2]) and (xs[0], ys[1]) == (xs[3], ys[0])  # upright, clockwise
        grow = (x1 - x0) * (y1 - y0) * 1.5 / (2 * (x1 - x0 + y1 - y0))  # unclip offset, px
        assert abs((x0 - xs[0]) - grow) < 4 and abs((ys[2] - y1) - grow) < 4


def test_a_network_without_a_probability_map_is_refused(tmp_path: Path) -> None:
    """An ONNX network that returns its 3-channel input: caught at load by a 32 x 32 probe."""
    from onnx import helper

    _save_network(tmp_path / "inference.onnx", [helper.make_node("Identity", ["x"], ["y"])], 3)
    with pytest.raises(ConfigError, match=r"output has shape \[1, 3, 32, 32\] .* not a DB probability map"):
        Detector.load(tmp_path)
