"""Load any exported CTC recognizer (PaddleOCR 2.x, 3.x or ONNX) and read text lines with it.

    recognizer = Recognizer.load(Path("models/rec"))            # ONNX when the folder has it
    readings = recognizer.read([inference_image.load(Path("line.png"))])

The result does not depend on which paddleocr is installed (none is needed): pre-processing, the
dictionary and CTC decoding are thaigen's, only the network runs in paddle.inference or onnxruntime.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import Protocol

import numpy as np

from thaigen.errors import ConfigError
from trainers.inference import image as inference_image
from trainers.inference.ctc import greedy_decode
from trainers.inference.engine import Reading
from trainers.inference.folder import ModelFolder, ModelFormat, read_folder
from trainers.inference.image import Image

DEFAULT_BATCH = 16
DEFAULT_THREADS = min(4, os.cpu_count() or 1)


class Runtime(Enum):
    """Which library runs the network."""

    AUTO = "auto"
    """onnxruntime when the folder has inference.onnx, else paddle."""
    ONNX = "onnx"
    PADDLE = "paddle"


class Backend(Protocol):
    """A loaded network: N x C x H x W float32 in, N x T x classes out."""

    name: str

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Run one batch."""
        ...


class ModelLoadError(ConfigError):
    """A model file that the chosen runtime cannot load or run."""


def choose_format(path: Path, formats: Sequence[ModelFormat], runtime: Runtime) -> ModelFormat:
    """The model file `runtime` runs among the `formats` found in folder `path`.

    Raises:
        ConfigError: the folder has no file for that runtime.
    """
    wanted = {
        Runtime.AUTO: list(ModelFormat),
        Runtime.ONNX: [ModelFormat.ONNX],
        Runtime.PADDLE: [ModelFormat.PADDLE3, ModelFormat.PADDLE2],
    }[runtime]
    for model_format in wanted:
        if model_format in formats:
            return model_format
    names = " or ".join(f.value for f in wanted)
    hint = f" (make one: thaigen doctor {path} --to-onnx)" if runtime is Runtime.ONNX else ""
    raise ConfigError(f"no {names} in {path}{hint}")


def runtime_message(exc: Exception) -> str:
    """The line of a runtime's error that says what went wrong (paddle opens with 'In user code:')."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return next((line for line in lines if not line.endswith(":")), lines[0] if lines else type(exc).__name__)


def open_model(path: Path, model_format: ModelFormat, threads: int = DEFAULT_THREADS) -> Backend:
    """Load a model file in the runtime that reads it (Paddle with oneDNN off).

    Raises:
        ModelLoadError: the runtime rejects the file (its own message, one line).
        EnvironmentProblem: the runtime is not installed.
    """
    try:
        if model_format is ModelFormat.ONNX:
            from trainers.inference.onnx_backend import OnnxBackend

            return OnnxBackend(path, threads)
        from trainers.inference.paddle_backend import PaddleBackend

        return PaddleBackend(path, threads)
    except ConfigError:
        raise
    except Exception as exc:
        raise ModelLoadError(f"cannot load {path}: {runtime_message(exc)}") from exc


def open_backend(folder: ModelFolder, model_format: ModelFormat, threads: int = DEFAULT_THREADS) -> Backend:
    """Load one of the folder's model files in the runtime that reads it (see open_model)."""
    return open_model(folder.model_file(model_format), model_format, threads)


def run_blank(backend: Backend, shape: tuple[int, int, int, int], failure: str) -> tuple[int, ...]:
    """Shape of the output for a blank N x C x H x W input, run at load time to check the model.

    Raises:
        ModelLoadError: the network fails on it: `failure` and the runtime's message, one line.
    """
    try:
        return tuple(backend.run(np.zeros(shape, np.float32)).shape)
    except Exception as exc:
        raise ModelLoadError(f"{failure}: {runtime_message(exc)}") from exc


def probe(backend: Backend, folder: ModelFolder) -> tuple[int, ...]:
    """Shape of the output for one blank line of the model's own size.

    Raises:
        ModelLoadError: the network fails on a line of its own input size.
    """
    c, h, w = folder.shape.channels, folder.shape.height, folder.shape.width
    failure = f"{folder.path} fails on a blank {c} x {h} x {w} line (a text detector? pass it as --det)"
    return run_blank(backend, (1, c, h, w), failure)


def to_probabilities(output: np.ndarray) -> np.ndarray:
    """The output as probabilities: heads exported without softmax give logits, which get one here."""
    if np.all(output >= 0) and np.allclose(output.sum(axis=2), 1.0, atol=1e-3):
        return output
    shifted = np.exp(output - output.max(axis=2, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=2, keepdims=True))


class Recognizer:
    """A CTC recognizer ready to read lines (an Engine)."""

    def __init__(self, folder: ModelFolder, backend: Backend, batch_size: int = DEFAULT_BATCH) -> None:
        if folder.table is None:
            raise ConfigError(f"no character dictionary for {folder.path}: give one with --dict")
        self.folder = folder
        self.table = folder.table
        self.backend = backend
        self.batch_size = batch_size

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        runtime: Runtime = Runtime.AUTO,
        dict_path: Path | None = None,
        batch_size: int = DEFAULT_BATCH,
        threads: int = DEFAULT_THREADS,
    ) -> Recognizer:
        """Load the recognizer in folder `path` and check its output layer against its dictionary.

        Raises:
            ConfigError: no model file for `runtime`, no dictionary, or a dictionary that does not fit the output layer.
            ModelLoadError: the runtime cannot load the model.
        """
        folder = read_folder(path, dict_path)
        backend = open_backend(folder, choose_format(path, folder.formats, runtime), threads)
        problem = output_problem(probe(backend, folder), folder.table)
        if problem:
            raise ConfigError(f"{path}: {problem}")
        return cls(folder, backend, batch_size)

    @property
    def name(self) -> str:
        """Folder name and runtime, e.g. 'rec (onnxruntime)'."""
        return f"{self.folder.path.name} ({self.backend.name})"

    def read_batch(self, images: Sequence[Image]) -> list[Reading]:
        """Read lines in one forward pass (padded to the widest)."""
        if not images:
            return []
        output = self.backend.run(inference_image.to_batch(images, self.folder.shape))
        return greedy_decode(to_probabilities(output), self.table)

    def read(self, images: Sequence[Image]) -> list[Reading]:
        """Read lines in batches of similar width (as PaddleOCR sorts them); results in input order."""
        order = sorted(range(len(images)), key=lambda i: images[i].shape[1] / images[i].shape[0])
        readings: list[Reading | None] = [None] * len(images)
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            for i, reading in zip(chunk, self.read_batch([images[i] for i in chunk]), strict=True):
                readings[i] = reading
        return [r for r in readings if r is not None]


def output_problem(shape: Sequence[int], table: Sequence[str] | None) -> str | None:
    """What is wrong with an output of `shape` for a CTC head decoded with `table` (None: no dictionary yet)."""
    if len(shape) == 4 and shape[1] == 1:
        return f"output has shape {list(shape)}, a probability map: a text detector, not a recognizer: pass it as --det"
    if len(shape) != 3:
        return f"output has shape {list(shape)}, not N x T x classes: not a CTC recognizer"
    if table is None:
        return None
    classes, expected = shape[2], len(table)
    if classes == expected:
        return None
    space = " + space" if table[-1] == " " else ""
    hint = (
        " (trained without use_space_char? add use_space_char: false to PostProcess)"
        if classes == expected - 1 and space
        else ""
    )
    return (
        f"output layer has {classes} classes but the dictionary gives {expected} "
        f"(blank + {expected - 1 - bool(space)} characters{space}){hint}"
    )
