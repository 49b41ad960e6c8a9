"""`thaigen train PAGES --arch db` on the CPU: a built det set trains one epoch, exports, converts to ONNX, and loads."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

import thaigen
from thaigen.cli import main as cli
from thaigen.config.loading import make_config
from trainers.inference.detector import Detector
from trainers.inference.image import load
from trainers.inference.recognizer import Runtime
from trainers.paddleocr import export

pytestmark = pytest.mark.filterwarnings("ignore:No ccache found:UserWarning")


@pytest.mark.slow
def test_db_cpu_smoke_run_trains_exports_converts_and_loads(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "pages"
    thaigen.build(make_config(recipe="pages", count=6, seed=4), data, workers=1, progress=False)
    out = tmp_path / "run"
    args = ["train", str(data), "--arch", "db", "--device", "cpu", "--epochs", "1", "--batch-size", "2"]
    assert cli([*args, "--workers", "0", "--out", str(out)]) == 0
    model = out / "model"
    assert f"model: {model}" in capsys.readouterr().out
    for name in ("inference.json", "inference.pdiparams", "inference.yml", "inference.onnx", "model_card.json"):
        assert (model / name).is_file(), name
    infer = yaml.safe_load((model / "inference.yml").read_text(encoding="utf-8"))
    assert infer["Global"]["model_name"] == "PP-OCRv4_mobile_det" and infer["PostProcess"]["name"] == "DBPostProcess"
    card = json.loads((model / "model_card.json").read_text(encoding="utf-8"))
    assert card["onnx"]["skipped"] is None and card["onnx"]["max_abs_diff_vs_paddle"] <= export.ONNX_TOLERANCE
    assert card["inference"] == {"runtime": "onnxruntime", "file": "inference.onnx"}
    assert {"hmean", "precision", "recall"} <= set(card["training"]["best_metrics"])
    assert card["training"]["device"] == "cpu" and card["image_shape"] == [3, 640, 640]
    # The export loads in both runtimes, at the pages' own evaluation size, and both see the same map.
    page = load(data / "images/00000/00000000.png")
    onnx, paddle = Detector.load(model), Detector.load(model, runtime=Runtime.PADDLE)
    assert onnx.backend.name == "onnxruntime" and onnx.settings.limit_side_len == 1600
    started = time.perf_counter()
    maps = onnx.probability_map(page), paddle.probability_map(page)
    assert maps[0].shape[0] % 32 == 0 and maps[0].shape[1] % 32 == 0 and max(maps[0].shape) <= 1600
    assert float(np.max(np.abs(maps[0] - maps[1]))) <= export.ONNX_TOLERANCE
    detections = onnx.detect(page)
    print(f"maps {time.perf_counter() - started:.2f}s, {len(detections)} boxes")  # shown with -s
    assert all(d.points.shape == (4, 2) and 0 <= d.score <= 1 for d in detections)
