"""Run an exported rec model (inference.onnx) with onnxruntime on the CPU."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from thaigen.errors import EnvironmentProblem

ONNX_FILE = "inference.onnx"


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
        options.log_severity_level = 4  # errors come back as exceptions, turned into one line by the callers
        self._session = onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def run(self, batch: np.ndarray) -> np.ndarray:
        """N x C x H x W float32 in, the model's first output (N x T x classes) out."""
        return np.asarray(self._session.run(None, {self._input: batch})[0])
