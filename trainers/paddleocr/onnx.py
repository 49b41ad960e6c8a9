"""Convert an exported Paddle model to inference.onnx with paddle2onnx (in a subprocess).

paddle2onnx 2.1.0 rejects Paddle 3.x programs whose interpolation ops carry their `scale` as doubles
(`the 0th elementwise MUST be ir::FloatAttribute`): DB's DBFPN neck, whose `F.upsample(scale_factor=2)`
paddle records as f64. Paddle itself insists on doubles there, so the conversion reads a staged copy
of the program with those attributes written as f32 (2.0 and the like are exact in both).
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from thaigen.errors import EnvironmentProblem, ThaigenError
from trainers.inference.onnx_backend import ONNX_FILE
from trainers.inference.paddle_backend import PARAMS_FILE

OPSET = 14
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_F64, _F32 = "0.a_f64", "0.a_f32"


class ConversionFailed(ThaigenError):
    """paddle2onnx could not convert the model."""


def float_interp_scales(node: Any) -> int:
    """Rewrite, in place, every f64 `scale` attribute of a PIR program's *_interp ops as f32; returns how many."""
    if isinstance(node, list):
        return sum(float_interp_scales(value) for value in node)
    if not isinstance(node, dict):
        return 0
    changed = 0
    if str(node.get("#", "")).endswith("_interp"):
        for attribute in node.get("A", []):
            if attribute.get("N") == "scale":
                for element in attribute["AT"]["D"]:
                    if element.get("#") == _F64:
                        element["#"] = _F32
                        changed += 1
    return changed + sum(float_interp_scales(value) for value in node.values())


def stage_for_paddle2onnx(model: Path, staging: Path) -> Path:
    """`model` as paddle2onnx 2.1.0 reads it: a PIR JSON program with f32 interpolation scales in `staging`
    (weights linked beside it); any other model file is returned as it is."""
    if model.suffix != ".json":
        return model
    program = json.loads(model.read_text(encoding="utf-8"))
    if not float_interp_scales(program):
        return model
    staged = staging / model.name
    staged.write_text(json.dumps(program, separators=(",", ":")), encoding="utf-8")
    (staging / PARAMS_FILE).symlink_to((model.parent / PARAMS_FILE).resolve())
    return staged


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
    with tempfile.TemporaryDirectory(prefix="paddle2onnx-") as staging:
        source = stage_for_paddle2onnx(model, Path(staging))
        command = [
            sys.executable, "-m", "paddle2onnx.command",
            "--model_dir", str(source.parent), "--model_filename", source.name, "--params_filename", PARAMS_FILE,
            "--save_file", str(target), "--opset_version", str(OPSET),
        ]  # fmt: skip
        # A subprocess: on failure paddle2onnx logs and calls sys.exit, or aborts in C++.
        done = subprocess.run(command, capture_output=True, text=True, errors="replace", check=False)
    if done.returncode != 0 or not target.is_file():
        target.unlink(missing_ok=True)
        output = _ANSI.sub("", done.stdout + done.stderr)
        errors = [line for line in output.splitlines() if "ERROR" in line or "Error" in line]
        raise ConversionFailed(
            f"paddle2onnx failed on {model}: {(errors or ['exit ' + str(done.returncode)])[0][-300:]}"
        )
    return target
