"""Convert an exported Paddle model to inference.onnx with paddle2onnx (in a subprocess)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

from thaigen.errors import EnvironmentProblem, ThaigenError
from trainers.inference.onnx_backend import ONNX_FILE
from trainers.inference.paddle_backend import PARAMS_FILE

OPSET = 14
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


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
