"""From trained weights to deployable models: PaddleOCR's exporter, then ONNX with an agreement check."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from thaigen.errors import ThaigenError
from trainers.inference.onnx_backend import OnnxBackend
from trainers.inference.paddle_backend import PaddleBackend
from trainers.paddleocr.configs import ARCHS, Arch
from trainers.paddleocr.onnx import ConversionFailed, convert_to_onnx
from trainers.paddleocr.source import tool_command

MODEL_FILE = "inference.json"
INFER_CONFIG = "inference.yml"
ONNX_TOLERANCE = 5e-3
"""Largest absolute difference allowed between Paddle and ONNX Runtime probabilities. Measured here: CRNN
~1e-8; a 1-epoch SVTR 3e-4 to 2e-3, where Paddle's own CPU paths (oneDNN on vs off) already differ by 6e-4."""


class ExportError(ThaigenError):
    """Export or conversion produced no model, or a model that disagrees with the trained one."""


@dataclass(frozen=True)
class OnnxResult:
    """An ONNX conversion: the file and how far its outputs were from Paddle's, or why there is none."""

    path: Path | None
    max_abs_diff: float | None
    skipped: str | None = None


def export_inference(source: Path, config: Path, weights: Path, out_dir: Path, log: Path) -> Path:
    """Run PaddleOCR's tools/export_model.py: inference.json + .pdiparams + inference.yml in `out_dir`.

    Raises:
        ExportError: the exporter failed (last log line in the message) or wrote no model.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    command = tool_command(
        source,
        "export_model.py",
        "-c",
        str(config),
        "-o",
        f"Global.pretrained_model={weights}",
        f"Global.save_inference_dir={out_dir}",
    )
    with log.open("a", encoding="utf-8") as handle:
        done = subprocess.run(command, cwd=source, stdout=handle, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0 or not (out_dir / MODEL_FILE).is_file():
        raise ExportError(f"PaddleOCR export failed (exit {done.returncode}): {last_line(log)}")
    return out_dir


def last_line(log: Path) -> str:
    """The last non-empty line of a log file (where PaddleOCR's tools put the error)."""
    lines = [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "(empty log)"


def paddleocr3_preprocess(image_shape: list[int]) -> list[dict[str, Any]]:
    """PreProcess ops that paddleocr 3.x's TextRecognition accepts for a recogniser reading `image_shape` (C, H, W).

    It knows DecodeImage, MultiLabelEncode, RecResizeImg and KeepKeys only (CRNN's CTCLabelEncode fails
    with a bare AssertionError); label encoding is unused at inference, the resize shape is what matters.
    """
    return [
        {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
        {"MultiLabelEncode": {"gtc_encode": "NRTRLabelEncode"}},
        {"RecResizeImg": {"image_shape": image_shape}},
        {"KeepKeys": {"keep_keys": ["image", "label_ctc", "label_gtc", "length", "valid_ratio"]}},
    ]


def exported_shape(config: dict[str, Any], arch: Arch) -> list[int]:
    """The RecResizeImg image_shape the exporter copied from the training config's Eval transforms (the width
    RecFit fitted, the least width inference pads to); the architecture's default where it wrote none."""
    for op in (config.get("PreProcess") or {}).get("transform_ops") or []:
        if "RecResizeImg" in op:
            return [int(v) for v in op["RecResizeImg"]["image_shape"]]
    return list(ARCHS[arch].image_shape)


def make_loadable(model_dir: Path, arch: Arch) -> dict[str, Any]:
    """Rewrite a recogniser's inference.yml so paddleocr 3.x loads it, keeping the exported input shape; returns
    the config written."""
    path = model_dir / INFER_CONFIG
    config: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if ARCHS[arch].model_type == "rec":
        config["PreProcess"] = {"transform_ops": paddleocr3_preprocess(exported_shape(config, arch))}
        path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config


def same_best_class(reference: np.ndarray, other: np.ndarray, margin: float) -> np.ndarray:
    """Per step: both pick the same class, or the reference's top two are within `margin` (a near tie)."""
    top2 = np.sort(reference, axis=-1)[..., -2:]
    near_tie = top2[..., 1] - top2[..., 0] <= margin
    return np.asarray((reference.argmax(-1) == other.argmax(-1)) | near_tie)


def convert_checked(model_dir: Path, batch: np.ndarray, tolerance: float = ONNX_TOLERANCE) -> OnnxResult:
    """Convert with paddle2onnx and check ONNX Runtime agrees with Paddle on `batch`.

    Agreement: probabilities within `tolerance` and, for a recogniser (batch x steps x classes), the same
    best class at every step that is not a near tie, so greedy CTC decoding reads the same text.

    A conversion paddle2onnx cannot do is reported as skipped, not raised: the Paddle model is still the
    deliverable. For a DB detector `batch` is one page as trainers.inference.detector prepares it.

    Raises:
        ExportError: the ONNX model's outputs disagree with Paddle's.
    """
    try:
        onnx_file = convert_to_onnx(model_dir)
    except ConversionFailed as failure:
        return OnnxResult(None, None, skipped=str(failure))
    paddle_out = PaddleBackend(model_dir / MODEL_FILE, threads=2).run(batch)
    onnx_out = OnnxBackend(onnx_file, threads=2).run(batch)
    diff = float(np.max(np.abs(paddle_out - onnx_out)))
    if paddle_out.ndim == 3 and not np.all(same_best_class(paddle_out, onnx_out, 2 * tolerance)):
        raise ExportError(f"ONNX and Paddle pick different characters on a sample batch ({onnx_file})")
    if not diff <= tolerance:
        raise ExportError(
            f"ONNX and Paddle outputs differ by {diff:.3g} > {tolerance:g} on a sample batch ({onnx_file})"
        )
    return OnnxResult(onnx_file, diff)
