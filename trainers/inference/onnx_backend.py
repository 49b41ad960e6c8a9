"""Run a rec model with onnxruntime, and convert an exported Paddle model to inference.onnx with paddle2onnx."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from thaigen.errors import EnvironmentProblem, ThaigenError
from trainers.inference.paddle_backend import PARAMS_FILE

ONNX_FILE = "inference.onnx"
OPSET = 14
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class OnnxBackend:
    """An onnxruntime CPU session for one inference.onnx."""

    name = "onnxruntime"

    def __init__(self, model_file: Path, threads: int) -> None:
        try:
            import onnxruntime
        except ImportError:
            raise EnvironmentProblem("onnxruntime is not installed: pip install -e '.[train]'") from None
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def run(self, batch: np.ndarray) -> np.ndarray:
        """N x C x H x W float32 in, the model's first output (N x T x classes) out."""
        return np.asarray(self._session.run(None, {self._input: batch})[0])


class ConversionFailed(ThaigenError):
    """paddle2onnx could not convert the model (e.g. DB with paddle2onnx 2.1.0)."""


def convert_to_onnx(folder: Path) -> Path:
    """Write `folder`/inference.onnx from its inference.json or inference.pdmodel (paddle2onnx) and return it.

    Raises:
        EnvironmentProblem: paddle2onnx is not installed.
        FileNotFoundError: the folder holds no exported Paddle model.
        ConversionFailed: paddle2onnx failed (its first error line is in the message).
    """
    if importlib.util.find_spec("paddle2onnx") is None:
        raise EnvironmentProblem("paddle2onnx is not installed: pip install -e '.[train]'")
    model = next((folder / name for name in ("inference.json", "inference.pdmodel") if (folder / name).is_file()), None)
    if model is None:
        raise FileNotFoundError(f"no inference.json or inference.pdmodel in {folder}")
    target = folder / ONNX_FILE
    command = [
        sys.executable, "-m", "paddle2onnx.command",
        "--model_dir", str(folder), "--model_filename", model.name, "--params_filename", PARAMS_FILE,
        "--save_file", str(target), "--opset_version", str(OPSET),
    ]  # fmt: skip
    # A subprocess: on failure paddle2onnx logs and calls sys.exit, or aborts in C++.
    done = subprocess.run(command, capture_output=True, text=True, errors="replace", check=False)
    if done.returncode != 0 or not target.is_file():
        target.unlink(missing_ok=True)
        output = _ANSI.sub("", done.stdout + done.stderr)
        errors = [line for line in output.splitlines() if "ERROR" in line or "Error" in line]
        raise ConversionFailed(f"paddle2onnx failed on {model}: {(errors or ['exit ' + str(done.returncode)])[0][-300:]}")
    return target
