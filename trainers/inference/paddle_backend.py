"""Run an exported PaddleOCR rec model with paddle.inference (no paddleocr needed)."""

from __future__ import annotations

import warnings
from pathlib import Path
from types import ModuleType

import numpy as np

from thaigen.errors import EnvironmentProblem

PARAMS_FILE = "inference.pdiparams"


def import_paddle() -> ModuleType:
    """Import paddle, without its warning about ccache (which only matters when compiling C++ extensions).

    Raises:
        EnvironmentProblem: paddlepaddle is not installed.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "No ccache found", UserWarning)
        try:
            import paddle
        except ImportError:
            raise EnvironmentProblem("paddlepaddle is not installed: pip install -e '.[train]'") from None
    return paddle


class PaddleBackend:
    """A paddle.inference predictor on CPU for one model file (inference.json or inference.pdmodel)."""

    name = "paddle"

    def __init__(self, model_file: Path, threads: int) -> None:
        import_paddle()
        from paddle import inference

        config = inference.Config(str(model_file), str(model_file.with_name(PARAMS_FILE)))
        config.disable_gpu()
        config.disable_glog_info()
        config.disable_mkldnn()
        config.set_cpu_math_library_num_threads(threads)
        self._predictor = inference.create_predictor(config)
        self._input = self._predictor.get_input_handle(self._predictor.get_input_names()[0])
        self._output = self._predictor.get_output_handle(self._predictor.get_output_names()[0])

    def run(self, batch: np.ndarray) -> np.ndarray:
        """N x C x H x W float32 in, the model's first output (N x T x classes) out."""
        self._input.reshape(list(batch.shape))
        self._input.copy_from_cpu(np.ascontiguousarray(batch))
        self._predictor.run()
        return np.asarray(self._output.copy_to_cpu())
