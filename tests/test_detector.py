"""Detector on a real exported DB network (random weights, PaddleOCR's own exporter): ONNX conversion, both runtimes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
import yaml
from PIL import Image

from thaigen.cli import main
from thaigen.dataset.detection import DetBox, format_det_line
from thaigen.errors import ConfigError, EnvironmentProblem
from trainers.inference.db import Detection
from trainers.inference.detector import Detector, NotADetector, preprocess
from trainers.inference.folder import NotARecognizer
from trainers.inference.recognizer import ModelLoadError, Recognizer, Runtime
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


def _digits(folder: Path) -> Path:
    path = folder / "digits.txt"
    path.write_text("".join(f"{digit}\n" for digit in range(10)), encoding="utf-8")
    return path


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


@pytest.mark.slow
def test_a_detector_given_as_a_recognizer_is_named_in_one_line(
    converted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PaddleOCR's own DB export where a recognizer belongs: read, score and serve all load it through
    Recognizer.load, which ran a line through it and died in onnxruntime ('Compute output and sum shape')."""
    told = f"{converted} is a text detector (DBPostProcess), not a recognizer: pass it as --det"
    with pytest.raises(NotARecognizer) as caught:
        Recognizer.load(converted, runtime=Runtime.PADDLE)
    assert str(caught.value) == told
    Image.new("RGB", (200, 32), "white").save(tmp_path / "line.png")
    (tmp_path / "val.txt").write_text("line.png\t12\n", encoding="utf-8")
    score = ["score", str(converted), str(tmp_path / "val.txt"), "--out", str(tmp_path / "scores")]
    for command in (["read", str(tmp_path / "line.png"), "--model", str(converted)], score):
        assert main(command) == 2
        assert capsys.readouterr().err.splitlines() == [f"thaigen: error: {told}"]  # no dictionary asked for first
    assert not (tmp_path / "scores").exists()
    serve = ["serve", "--rec", str(converted), "--host", "127.0.0.1", "--port", "0", "--quiet"]
    done = subprocess.run(
        [sys.executable, "-m", "thaigen", *serve], check=False, capture_output=True, text=True, timeout=120
    )
    assert (done.returncode, done.stderr.splitlines()) == (2, [f"thaigen: error: {told}"])

    bare = tmp_path / "no-yml"  # a PaddleOCR 2.8 or older export: nothing says what it is, and a line breaks it
    shutil.copytree(converted, bare)
    (bare / "inference.yml").unlink()
    for runtime, error in ((Runtime.ONNX, r"\[ONNXRuntimeError\]"), (Runtime.PADDLE, "InvalidArgumentError")):
        with pytest.raises(
            ModelLoadError, match=r"fails on a blank 3 x 48 x 320 line \(a text detector\? pass it as --det\): " + error
        ):
            Recognizer.load(bare, runtime=runtime, dict_path=_digits(tmp_path))


@pytest.mark.slow
def test_doctor_describes_a_detector(converted: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", str(converted)]) == 0
    out = capsys.readouterr().out
    assert (
        f"kind: text detector (DBPostProcess), not a recognizer: pass it as --det (thaigen read PAGE --det {converted}"
        in out
    )
    assert "model_name: PP-OCRv4_mobile_det" in out
    assert "longest side scaled down to at most 960 px (DetResizeForTest limit_type max" in out
    assert "post-process: DBPostProcess; thaigen runs DB with thresh 0.3, box_thresh 0.6, unclip_ratio 1.5" in out
    assert "onnxruntime on inference.onnx: loads (onnxruntime" in out
    assert "paddlepaddle on inference.json: loads (paddlepaddle" in out
    assert out.count("output [1, 1, 32, 32] for a blank 32 x 32 page") == 2
    assert "problems: none" in out and "differs" not in out and "dictionary" not in out

    folder = tmp_path / "det"
    folder.mkdir()
    for name in ("inference.json", "inference.pdiparams", "inference.yml"):
        shutil.copy(converted / name, folder / name)
    config = yaml.safe_load((folder / "inference.yml").read_text(encoding="utf-8"))
    config["PreProcess"]["transform_ops"][2] = {"DetResizeForTest": {"limit_side_len": 736, "limit_type": "min"}}
    config["PostProcess"]["box_thresh"] = 0.5
    (folder / "inference.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert main(["doctor", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "shortest side scaled up to 736 px (DetResizeForTest limit_type min" in out
    assert "inference.yml box_thresh 0.5 differs: thaigen uses 0.6" in out
    assert (
        f"thaigen doctor {folder} --to-onnx" in out and "onnxruntime" not in out.split("runtimes:")[1].split("hint")[0]
    )

    (folder / "inference.pdiparams").write_bytes(b"broken")
    assert main(["doctor", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "  - inference.json: fails (paddlepaddle" in out and "Traceback" not in out


def test_not_a_detector_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="model folder not found"):
        Detector.load(tmp_path / "missing")
    with pytest.raises(ConfigError, match="no inference.onnx or inference.json or inference.pdmodel in"):
        Detector.load(tmp_path)
    config = {"Global": {"model_name": "PP-OCRv4_mobile_rec"}, "PostProcess": {"name": "CTCLabelDecode"}}
    (tmp_path / "inference.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(
        NotADetector, match=r"is a text recognizer \(CTCLabelDecode\), not a detector: pass it as --rec"
    ):
        Detector.load(tmp_path)
    config["PostProcess"]["name"] = "EASTPostProcess"
    (tmp_path / "inference.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    with pytest.raises(NotADetector, match=r"is not a DB detector: its post-process is EASTPostProcess \(a detector"):
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
