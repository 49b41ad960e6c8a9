"""Run a rec model with onnxruntime, and convert an exported Paddle model to inference.onnx with paddle2onnx."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thaigen.errors import EnvironmentProblem
from trainers.inference_paddle import PARAMS_FILE, import_paddle

ONNX_FILE = "inference.onnx"
OPSET = 14


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


def convert_to_onnx(folder: Path) -> Path:
    """Write `folder`/inference.onnx from its inference.json or inference.pdmodel (paddle2onnx) and return it.

    Raises:
        EnvironmentProblem: paddle2onnx is not installed.
        FileNotFoundError: the folder holds no exported Paddle model.
    """
    import_paddle()
    try:
        import paddle2onnx
    except ImportError:
        raise EnvironmentProblem("paddle2onnx is not installed: pip install -e '.[train]'") from None
    model = next((folder / name for name in ("inference.json", "inference.pdmodel") if (folder / name).is_file()), None)
    if model is None:
        raise FileNotFoundError(f"no inference.json or inference.pdmodel in {folder}")
    target = folder / ONNX_FILE
    paddle2onnx.export(str(model), str(folder / PARAMS_FILE), str(target), opset_version=OPSET, verbose=False)
    return target
